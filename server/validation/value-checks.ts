// Value checks on single elements: required bindings, primitive formats and limits, Coding.system,
// Attachment size (https://hl7.org/fhir/R4/datatypes.html).
import type { ElementRule } from './element-table.ts';
import { ACTIVE_HTML, decodedBase64Length, MAX_STRING_BYTES } from './native-checks.ts';
import { compareQuantities, type QuantityLike } from './units.ts';
import { CORE_SD, report, type WalkerDeps, type WalkState } from './walk-state.ts';

export function checkBinding(deps: WalkerDeps, st: WalkState, rule: ElementRule, type: string, value: unknown, path: string): void {
  const vs = rule.binding!.valueSet;
  const t = deps.terminology;
  if (!t.isKnown(vs)) return;
  const bad = (shown: string) =>
    report(st, 'error', 'code-invalid', path, `The code ${shown} is not in the required value set ${vs}`, 'binding');
  if (type === 'code' || type === 'string' || type === 'uri') {
    if (typeof value === 'string' && t.hasCode(vs, undefined, value) === false) bad(`'${value}'`);
  } else if (type === 'Quantity' || type === 'Age' || type === 'Duration' || type === 'Distance' || type === 'Count') {
    const q = value as fhir4.Quantity;
    if (q?.system && q.code && t.hasCode(vs, q.system, q.code) === false) bad(`${q.system}#${q.code}`);
  } else if (type === 'Coding') {
    const c = value as fhir4.Coding;
    if (c?.system && c.code && t.hasCode(vs, c.system, c.code) === false) bad(`${c.system}#${c.code}`);
  } else if (type === 'CodeableConcept') {
    const codings = ((value as fhir4.CodeableConcept)?.coding ?? []).filter((c) => c?.system && c.code);
    if (codings.length && !codings.some((c) => t.hasCode(vs, c.system, c.code!))) {
      bad(codings.map((c) => `${c.system}#${c.code}`).join(', '));
    }
  }
}

export function checkPrimitive(deps: WalkerDeps, st: WalkState, type: string, value: unknown, path: string, rule: ElementRule): void {
  if (typeof value !== 'string') return;
  if (value.length > MAX_STRING_BYTES) {
    report(st, 'error', 'too-long', path, 'value is longer than permitted maximum length of 1 MB (1048576 bytes)', 'length');
  }
  if (rule.maxLength && value.length > rule.maxLength) {
    report(st, 'error', 'too-long', path, `value is longer than the maxLength ${rule.maxLength}`, 'maxLength');
  }
  if (st.securityChecks && (type === 'string' || type === 'markdown') && (value.includes('<') || value.includes(':')) && ACTIVE_HTML.test(value)) {
    report(st, 'error', 'security', path, 'The value contains active HTML content (script, frame, form or event handler), which is not allowed', 'html');
  }
  if (st.noHtmlInMarkdown && type === 'markdown' && /<\/?[A-Za-z][^>]*>/.test(value)) {
    report(st, 'error', 'invalid', path, 'The markdown contains content that appears to be an embedded HTML tag', 'markdown-html');
  }
  if (!st.allowExampleUrls && /^[a-z][a-z0-9+.-]*:\/\/([^/]*\.)?example\.(org|com)([:/]|$)/i.test(value)) {
    report(st, 'error', 'invalid', path, `Example URLs are not allowed in this context (${value})`, 'example-url');
  }
  if ((type === 'uri' || type === 'url' || type === 'uuid') && value.startsWith('urn:uuid:') && !/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)) {
    report(st, 'error', 'value', path, `UUIDs must be valid and lowercase (${value.slice(9)})`, 'uuid');
  }
  if (type === 'canonical' && rule.types[0]?.targets?.length) {
    // a canonical whose URL names another resource type (…/ValueSet/x where a Questionnaire is expected)
    const m = /\/([A-Z][A-Za-z]+)\/[^/]+$/.exec(value.split('|')[0]);
    // target profiles name their type through the table (sdc-questionnaire → Questionnaire); unknown ones are not judged
    const targets = rule.types[0].targets.map((t) => deps.byUrl.get(t)?.type ?? (t.startsWith(CORE_SD) ? t.slice(CORE_SD.length) : undefined));
    if (m && !targets.includes(undefined) && deps.core[m[1]]?.kind === 'resource' && !targets.includes(m[1]) && !targets.includes('Resource')) {
      report(st, 'error', 'invalid', path, `Canonical URL '${value}' refers to a ${m[1]}, not ${targets.join(' or ')}`, 'canonical');
    }
  }
  if (type === 'base64Binary' && decodedBase64Length(value) === undefined) {
    report(st, 'error', 'value', path, `The value '${value.slice(0, 40)}' is not a valid Base64 value`, 'base64');
  }
}

/** ElementDefinition.minValue[x] / maxValue[x] on numbers, dates and quantities */
export function checkLimits(st: WalkState, rule: ElementRule, value: unknown, path: string): void {
  for (const [limit, sign, word] of [[rule.minValue, -1, 'minimum'], [rule.maxValue, 1, 'maximum']] as const) {
    if (limit === undefined || value === undefined) continue;
    let d: number | 'incomparable' | undefined;
    if (typeof value === 'number' && typeof limit === 'number') d = value - limit;
    else if (typeof value === 'string' && typeof limit === 'string') d = value < limit ? -1 : value > limit ? 1 : 0;
    else if (value && typeof value === 'object' && limit && typeof limit === 'object') d = compareQuantities(value as QuantityLike, limit as QuantityLike);
    if (d === 'incomparable') {
      report(st, 'error', 'value', path, `The value cannot be compared to the ${word} ${JSON.stringify(limit)} (units differ or are not coded)`, `limit-${word}`);
    } else if (typeof d === 'number' && d * sign > 0) {
      report(st, 'error', 'value', path, `The value is ${sign < 0 ? 'less' : 'greater'} than the ${word} ${JSON.stringify(limit)}`, `limit-${word}`);
    }
  }
}

/** Coding.system is a code system URI: absolute, and not a ValueSet canonical */
export function checkCodingSystem(st: WalkState, system: string, path: string): void {
  if (!system.includes(':')) {
    report(st, 'error', 'value', path, 'Coding.system must be an absolute reference, not a local reference', 'coding-system');
  } else if (/^https?:\/\/hl7\.org\/fhir\/ValueSet\//.test(system)) {
    report(st, 'error', 'value', path, `The Coding references a value set, not a code system ('${system}')`, 'coding-system');
  }
}

export function checkAttachment(st: WalkState, obj: Record<string, any>, path: string): void {
  if (typeof obj.data !== 'string' || typeof obj.size !== 'number') return;
  const actual = decodedBase64Length(obj.data);
  if (actual !== undefined && actual !== obj.size) {
    report(st, 'error', 'structure', `${path}.size`, `Stated Attachment Size ${obj.size} does not match actual attachment size ${actual}`, 'size');
  }
}

/** whether a code/Coding/CodeableConcept has a code in the ValueSet; undefined when it is not available */
export function codesInValueSet(deps: WalkerDeps, vs: string, value: unknown): boolean | undefined {
  if (!deps.terminology.isKnown(vs)) return undefined;
  if (typeof value === 'string') return deps.terminology.hasCode(vs, undefined, value);
  const v = value as { coding?: fhir4.Coding[]; system?: string; code?: string };
  const codings = v?.coding ?? (v?.code ? [v as fhir4.Coding] : []);
  return codings.some((c) => c?.system && c.code && deps.terminology.hasCode(vs, c.system, c.code));
}
