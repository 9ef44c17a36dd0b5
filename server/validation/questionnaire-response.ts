// QuestionnaireResponse against its Questionnaire (https://hl7.org/fhir/R4/questionnaireresponse.html#validation):
// linkIds, answer types, required/repeating items, options, enableWhen and the SDC value-constraint extensions.
import type { ValidationIssue } from './types.ts';
import { displayMatches, isOutsideValueSet, localDisplays, valueSetSystems } from './local-definitions.ts';
import { compareQuantities } from './units.ts';

type Node = Record<string, any>;
type Issue = (severity: ValidationIssue['severity'], code: string, path: string, text: string) => void;

const EXT = 'http://hl7.org/fhir/StructureDefinition/';
const ANSWER_TYPES: Record<string, string[]> = {
  boolean: ['Boolean'],
  decimal: ['Decimal'],
  integer: ['Integer'],
  date: ['Date'],
  dateTime: ['DateTime'],
  time: ['Time'],
  string: ['String'],
  text: ['String'],
  url: ['Uri'],
  choice: ['Coding', 'String'],
  'open-choice': ['Coding', 'String'],
  attachment: ['Attachment'],
  reference: ['Reference'],
  quantity: ['Quantity'],
};
const TYPE_NAMES: Record<string, string> = { url: 'uri', text: 'string', 'open-choice': 'Coding', choice: 'Coding' };

function ext(item: Node, name: string): Node[] {
  return (item.extension ?? []).filter(
    (e: Node) => typeof e?.url === 'string' && (e.url === `${EXT}${name}` || e.url.endsWith(`/sdc-questionnaire-${name}`)),
  );
}

function valueOf(e: Node | undefined): unknown {
  if (!e) return undefined;
  const k = Object.keys(e).find((x) => x.startsWith('value'));
  return k ? e[k] : undefined;
}

function answerValue(answer: Node): { type: string; value: any } | undefined {
  const k = Object.keys(answer).find((x) => x.startsWith('value'));
  return k ? { type: k.slice(5), value: answer[k] } : undefined;
}

function sameAnswer(a: { type: string; value: any }, option: Node): boolean {
  const o = answerValue(option);
  if (!o || o.type !== a.type) return false;
  if (a.type === 'Coding') return o.value?.system === a.value?.system && o.value?.code === a.value?.code;
  if (a.type === 'Reference') return o.value?.reference === a.value?.reference;
  return o.value === a.value;
}

function compare(a: { type: string; value: any }, bound: unknown): number | 'incomparable' | undefined {
  if (bound === undefined) return undefined;
  if (typeof a.value === 'number' && typeof bound === 'number') return a.value - bound;
  if (typeof a.value === 'string' && typeof bound === 'string') return a.value < bound ? -1 : a.value > bound ? 1 : 0;
  if (a.type === 'Quantity' && bound && typeof bound === 'object') return compareQuantities(a.value, bound as Node);
  return undefined;
}

function show(a: { type: string; value: any }): string {
  return a.type === 'Quantity' ? `${a.value?.value} ${a.value?.unit ?? a.value?.code ?? ''}`.trim() : String(a.value);
}

/** enableWhen over the answers given so far (https://hl7.org/fhir/R4/questionnaire-definitions.html#Questionnaire.item.enableWhen) */
function isEnabled(item: Node, answersByLinkId: Map<string, Node[]>): boolean {
  const conditions: Node[] = item.enableWhen ?? [];
  if (!conditions.length) return true;
  const results = conditions.map((c) => {
    const answers = answersByLinkId.get(c.question) ?? [];
    if (c.operator === 'exists') return (answers.length > 0) === (c.answerBoolean === true);
    const expected = answerValue(Object.fromEntries(Object.entries(c).filter(([k]) => k.startsWith('answer')).map(([k, v]) => [`value${k.slice(6)}`, v])));
    if (!expected) return false;
    return answers.some((a) => {
      const given = answerValue(a);
      if (!given) return false;
      const eq = sameAnswer(given, { [`value${expected.type}`]: expected.value });
      if (c.operator === '=') return eq;
      if (c.operator === '!=') return !eq;
      const d = compare(given, expected.value);
      if (typeof d !== 'number') return false;
      return c.operator === '>' ? d > 0 : c.operator === '<' ? d < 0 : c.operator === '>=' ? d >= 0 : d <= 0;
    });
  });
  return item.enableBehavior === 'any' ? results.some(Boolean) : results.every(Boolean);
}

function collectAnswers(items: Node[] | undefined, out: Map<string, Node[]>): Map<string, Node[]> {
  for (const it of items ?? []) {
    if (typeof it?.linkId === 'string') out.set(it.linkId, [...(out.get(it.linkId) ?? []), ...(it.answer ?? [])]);
    collectAnswers(it?.item, out);
    for (const a of it?.answer ?? []) collectAnswers(a?.item, out);
  }
  return out;
}

let isResourceType: (name: string) => boolean = () => true;

/** ValueSet membership from the validator's local expansions: undefined when the ValueSet is not expanded locally */
export type HasCode = (valueSet: string, system: string | undefined, code: string) => boolean | undefined;
let hasCode: HasCode = () => undefined;

/**
 * Is system|code in the ValueSet? From its local expansion; failing that, a code from a system the
 * ValueSet's compose never includes is not a member. undefined when it cannot be decided.
 */
function inValueSet(vs: string, system: unknown, code: unknown): boolean | undefined {
  if (vs.startsWith('#')) return undefined; // contained ValueSets are not expanded here
  if (typeof code !== 'string' || typeof system !== 'string') {
    const decidable = hasCode(vs.split('|')[0], undefined, '') !== undefined || valueSetSystems(vs) !== undefined;
    return decidable ? false : undefined;
  }
  const member = hasCode(vs.split('|')[0], system, code);
  if (member !== undefined) return member;
  const systems = valueSetSystems(vs);
  return systems && !systems.has(system) ? false : undefined;
}

/** a Coding answer drawn from answerValueSet: a member, with a display the code system knows (choice only for membership) */
function checkCodingAnswer(qItem: Node, coding: Node, path: string, issue: Issue): void {
  const vs: unknown = qItem.answerValueSet;
  if (typeof vs !== 'string' || !coding || typeof coding !== 'object') return;
  const member = inValueSet(vs, coding.system, coding.code);
  if (member === false && qItem.type === 'choice') {
    issue('error', 'code-invalid', path, `The code '${coding.code}' in the system '${coding.system}' is not in the options value set (${vs}) specified by the questionnaire`);
  }
  if (typeof coding.display === 'string' && typeof coding.system === 'string' && typeof coding.code === 'string') {
    const names = localDisplays(coding.system, coding.code);
    if (names && !displayMatches(coding.display, names)) {
      issue('error', 'code-invalid', `${path}.valueCoding.display`, `Wrong Display Name '${coding.display}' for ${coding.system}#${coding.code}. Valid display is '${names[0]}'`);
    }
  }
}

/**
 * a string answer to an item with an answerValueSet (R4 que-5 permits one on string items) and not open-choice:
 * the value set holds "the codes representing permitted answers", so the string must be one of its codes
 */
function checkStringAnswer(qItem: Node, value: string, path: string, issue: Issue): void {
  const vs: unknown = qItem.answerValueSet;
  if (typeof vs !== 'string' || vs.startsWith('#') || qItem.type === 'open-choice') return;
  const member = hasCode(vs.split('|')[0], undefined, value);
  if (member === false || (member === undefined && isOutsideValueSet(vs, value))) {
    issue('error', 'code-invalid', `${path}.valueString`, `The value '${value}' is not in the list of allowed values (value set '${vs}')`);
  }
}

function checkAnswer(qItem: Node, answer: Node, path: string, issue: Issue, siblings: Node[]): void {
  const a = answerValue(answer);
  if (!a) return;
  const allowed = ANSWER_TYPES[qItem.type];
  if (allowed && !allowed.includes(a.type)) {
    const want = TYPE_NAMES[qItem.type] ?? (allowed[0] === allowed[0].toLowerCase() ? allowed[0] : qItem.type);
    issue('error', 'structure', path, `Answer value must be of the type ${want} not ${a.type === 'String' ? 'string' : a.type}`);
    return;
  }
  const options: Node[] = qItem.answerOption ?? [];
  if (options.length && !(qItem.type === 'open-choice' && a.type === 'String')) {
    const hit = options.find((o) => sameAnswer(a, o));
    if (!hit) {
      issue('error', 'code-invalid', path, `The ${a.type === 'Coding' ? `code ${a.value?.system}::${a.value?.code}` : `${a.type.toLowerCase()} ${show(a)}`} is not in the set of permitted values`);
    } else if (ext(hit, 'questionnaire-optionExclusive').some((e) => e.valueBoolean) && siblings.length > 1) {
      issue('error', 'business-rule', path, `Selected answer ${a.value?.system ?? ''}#${a.value?.code ?? show(a)} is an exclusive option - can't select anything else at the same time`);
    }
  }
  for (const [name, word, sign] of [['minValue', 'less than the allowed minimum', -1], ['maxValue', 'greater than the allowed maximum', 1]] as const) {
    // SDC uses minQuantity/maxQuantity for quantity answers
    const quantityName = name === 'minValue' ? 'minQuantity' : 'maxQuantity';
    const bound = valueOf(ext(qItem, name)[0] ?? ext(qItem, quantityName)[0]);
    const d = compare(a, bound);
    if (d === 'incomparable') {
      issue('error', 'value', path, `The quantity ${show(a)} cannot be compared to the allowed ${name === 'minValue' ? 'minimum' : 'maximum'} of ${show({ type: 'Quantity', value: bound })}`);
    } else if (typeof d === 'number' && d * sign > 0) {
      issue('error', 'value', path, `The value ${show(a)} is ${word} of ${a.type === 'Quantity' ? show({ type: 'Quantity', value: bound }) : String(bound)}`);
    }
  }
  if (a.type === 'Decimal') {
    const places = valueOf(ext(qItem, 'maxDecimalPlaces')[0]);
    const decimals = String(a.value).split('.')[1]?.length ?? 0;
    if (typeof places === 'number' && decimals > places) issue('error', 'value', path, `The value ${a.value} has too many decimal places (limit = ${places})`);
  }
  if (a.type === 'String' && typeof a.value === 'string') {
    checkStringAnswer(qItem, a.value, path, issue);
    const min = valueOf(ext(qItem, 'minLength')[0]);
    if (typeof min === 'number' && a.value.length < min) issue('error', 'value', path, `The answer '${a.value}' is shorter then the required minimum length of ${min}`);
    if (typeof qItem.maxLength === 'number' && a.value.length > qItem.maxLength) {
      issue('error', 'value', path, `The answer '${a.value}' is longer then the allowed maximum length of ${qItem.maxLength}`);
    }
    const regex = valueOf(ext(qItem, 'regex')[0]);
    if (typeof regex === 'string') {
      try {
        if (!new RegExp(`^(?:${regex})$`).test(a.value)) issue('error', 'value', path, `The answer '${a.value}' does not conform to the expected format (regex '${regex}')`);
      } catch {
        issue('warning', 'value', path, `The regex '${regex}' on item ${qItem.linkId} cannot be evaluated`);
      }
    }
  }
  if (a.type === 'Attachment') {
    const types = ext(qItem, 'mimeType').map((e) => e.valueCode);
    if (types.length && a.value?.contentType && !types.includes(a.value.contentType)) {
      issue('error', 'value', path, `The mime type ${a.value.contentType} is not valid for this answer (allowed = ${types.join(', ')})`);
    }
    const max = valueOf(ext(qItem, 'maxSize')[0]);
    const size = typeof a.value?.size === 'number' ? a.value.size : typeof a.value?.data === 'string' ? Math.floor((a.value.data.length * 3) / 4) : undefined;
    if (typeof max === 'number' && size !== undefined && size > max) issue('error', 'too-long', path, `The attachment is too large (allowed = ${max}, found = ${size})`);
  }
  if (a.type === 'Coding') checkCodingAnswer(qItem, a.value, path, issue);
  if (a.type === 'Quantity') {
    const unitVs = valueOf(ext(qItem, 'questionnaire-unitValueSet')[0]);
    if (typeof unitVs === 'string' && inValueSet(unitVs, a.value?.system, a.value?.code) === false) {
      issue('error', 'code-invalid', path, `The value ${show(a)} has a unit that is not in the unit value set '${unitVs}'`);
    }
    const units = ext(qItem, 'questionnaire-unitOption').map((e) => e.valueCoding as Node);
    if (units.length && !units.some((u) => u?.system === a.value?.system && u?.code === a.value?.code)) {
      issue('error', 'code-invalid', path, `The value ${show(a)} has a unit that is not valid (allowed = ${units.map((u) => u.code).join(', ')})`);
    }
  }
  if (a.type === 'Reference' && typeof a.value?.reference === 'string') {
    const ref: string = a.value.reference;
    if (/\s/.test(ref)) issue('error', 'invalid', path, `The reference '${ref}' is not a valid reference`);
    const m = /(?:^|\/)([A-Za-z]+)\/[^/]+$/.exec(ref);
    if (m && !isResourceType(m[1])) issue('error', 'invalid', path, `The resource type ${m[1]} in the reference ${ref} is not valid`);
    const allowedTypes = ext(qItem, 'questionnaire-referenceResource').map((e) => e.valueCode);
    if (m && allowedTypes.length && !allowedTypes.includes(m[1])) {
      issue('error', 'invalid', path, `The resource type '${m[1]}' in the reference ${ref} is not allowed (allowed = ${allowedTypes.join(', ')})`);
    }
  }
}

function checkItems(qItems: Node[], rItems: Node[], path: string, issue: Issue, answers: Map<string, Node[]>, strict: boolean): void {
  const byLinkId = new Map<string, Node>(qItems.map((q) => [q.linkId, q]));
  const seen = new Map<string, number>();
  rItems.forEach((r, i) => {
    const where = `${path}[${i}]`;
    const q = byLinkId.get(r?.linkId);
    if (!q) {
      issue('error', 'structure', `${where}.linkId`, `LinkId '${r?.linkId}' not found in questionnaire`);
      return;
    }
    seen.set(q.linkId, (seen.get(q.linkId) ?? 0) + 1);
    const given: Node[] = Array.isArray(r.answer) ? r.answer : [];
    if (q.type === 'display' && given.length) issue('error', 'structure', where, "Items of type 'display' cannot have answers");
    if ((q.type === 'group' || q.type === 'question') && given.length) issue('error', 'structure', where, `Items of type ${q.type} should not have answers`);
    if (q.type === 'group' && q.required && !(r.item?.length)) issue('error', 'required', where, 'No sub-items found for required group');
    if (given.length > 1 && !q.repeats) issue('error', 'structure', where, 'Only one response answer item with this linkId allowed');
    const maxOccurs = valueOf(ext(q, 'questionnaire-maxOccurs')[0]);
    if (typeof maxOccurs === 'number' && given.length > maxOccurs) issue('error', 'structure', where, `The maximum number of answers is ${maxOccurs} but this has ${given.length} answers`);
    const minOccurs = valueOf(ext(q, 'questionnaire-minOccurs')[0]);
    if (typeof minOccurs === 'number' && given.length < minOccurs) issue('error', 'structure', where, `The minimum number of answers is ${minOccurs} but this has ${given.length} answers`);
    if (q.required && q.type !== 'group' && q.type !== 'display' && !given.length && strict) {
      issue('error', 'required', where, `No response answer found for required item '${q.linkId}'`);
    }
    given.forEach((a, j) => {
      checkAnswer(q, a, `${where}.answer[${j}]`, issue, given);
      if (a?.item) checkItems(q.item ?? [], a.item, `${where}.answer[${j}].item`, issue, answers, strict);
    });
    if (r.item) checkItems(q.item ?? [], r.item, `${where}.item`, issue, answers, strict);
  });
  for (const q of qItems) {
    if (!q.required || seen.has(q.linkId) || q.type === 'display' || !isEnabled(q, answers)) continue;
    issue(strict ? 'error' : 'warning', 'required', path, `No response answer found for required item '${q.linkId}'`);
  }
  for (const [linkId, n] of seen) {
    if (n > 1 && !byLinkId.get(linkId)?.repeats) issue('error', 'structure', path, `Only one response answer item with this linkId allowed ('${linkId}')`);
  }
}

/** issues for `qr` against the Questionnaire its canonical resolves to (warning when it does not resolve) */
export function checkQuestionnaireResponse(
  qr: Node,
  path: string,
  resolveCanonical: ((url: string) => fhir4.Resource | undefined) | undefined,
  resourceType: (name: string) => boolean,
  valueSetHasCode?: HasCode,
): ValidationIssue[] {
  isResourceType = resourceType;
  hasCode = valueSetHasCode ?? (() => undefined);
  const issues: ValidationIssue[] = [];
  if (typeof qr.questionnaire !== 'string') return issues;
  const q = (resolveCanonical?.(qr.questionnaire) ?? resolveCanonical?.(qr.questionnaire.split('|')[0])) as Node | undefined;
  if (!q || q.resourceType !== 'Questionnaire') {
    if (q) issues.push({ severity: 'error', code: 'invalid', diagnostics: `The questionnaire ${qr.questionnaire} is a ${q.resourceType}`, expression: [`${path}.questionnaire`] });
    else issues.push({ severity: 'information', code: 'not-found', diagnostics: `The questionnaire ${qr.questionnaire} could not be resolved, so answers were not checked against it`, expression: [`${path}.questionnaire`] });
    return issues;
  }
  const issue: Issue = (severity, code, where, diagnostics) => issues.push({ severity, code, diagnostics, expression: [where] });
  const strict = qr.status === 'completed' || qr.status === 'amended';
  checkItems(q.item ?? [], qr.item ?? [], `${path}.item`, issue, collectAnswers(qr.item, new Map()), strict);
  return issues;
}
