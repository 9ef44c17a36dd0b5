// Layers 2 and 3: walks a resource against element tables (core or profile): cardinality, choice
// types, fixed/pattern values, slices, required bindings and invariants (https://hl7.org/fhir/R4/validation.html).
import type { ElementRule, TypeTable } from './element-table.ts';
import { childIndex, hasChildren, type ChildRule } from './element-index.ts';
import { fixedExpression, InvariantEngine, NATIVE_INVARIANTS, NATIVE_KEYS, resolveWithin, type ResolveScope } from './invariants.ts';
import { ACTIVE_HTML, checkXhtml, collectLocalRefs, decodedBase64Length, isEmptyElement, MAX_STRING_BYTES } from './native-checks.ts';
import { matchesPattern, ruleById, sliceMatches } from './pattern.ts';
import type { Terminology } from './terminology.ts';
import type { IssueSeverity, ValidationIssue } from './types.ts';
import { compareQuantities, type QuantityLike } from './units.ts';

export interface WalkerDeps {
  core: Record<string, TypeTable>;
  /** constraint profiles by canonical: core datatype profiles, extensions, Titrate, US Core */
  byUrl: Map<string, TypeTable>;
  terminology: Terminology;
  invariants: InvariantEngine;
  /** keys of invariants defined by the core spec, skipped when walking a profile (already checked) */
  coreConstraintKeys: Set<string>;
}

export interface WalkState {
  issues: ValidationIssue[];
  seen: Set<string>;
  scope: ResolveScope;
  /** the resource whose content is being walked (%resource) */
  resource: Record<string, any>;
  /** true when walking a profile table: core-only checks are skipped */
  profileMode: boolean;
  profileUrl?: string;
  securityChecks: boolean;
  noHtmlInMarkdown: boolean;
  allowExampleUrls: boolean;
  unknownExtensions: 'warning' | 'error';
  /** set while walking a primitive's `_x` object: the element path extensions there apply to */
  extensionContext?: string;
  /** validate a nested resource (contained, Bundle.entry.resource, Parameters) with all layers */
  validateNested: (resource: unknown, path: string, container: Record<string, any>) => void;
}

const isPrimitive = (code: string) => code.charCodeAt(0) >= 97 && code.charCodeAt(0) <= 122;
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function report(
  st: WalkState,
  severity: IssueSeverity,
  code: string,
  path: string,
  diagnostics: string,
  kind: string,
): void {
  const key = `${kind}|${path}`;
  if (st.seen.has(key)) return;
  st.seen.add(key);
  st.issues.push({
    severity,
    code,
    diagnostics: st.profileUrl ? `${diagnostics} (profile ${st.profileUrl})` : diagnostics,
    expression: [path],
  });
}

interface Item {
  key: string;
  value: unknown;
  ext: unknown;
  type: string;
  path: string;
  parent: Record<string, any>;
  index?: number;
}

function pushItems(items: Item[], key: string, type: string, parent: Record<string, any>, path: string): void {
  const v = parent[key];
  const e = parent[`_${key}`];
  if (Array.isArray(v) || Array.isArray(e)) {
    const n = Math.max(Array.isArray(v) ? v.length : 0, Array.isArray(e) ? e.length : 0);
    for (let i = 0; i < n; i++) {
      const value = Array.isArray(v) ? v[i] : undefined;
      const ext = Array.isArray(e) ? e[i] : undefined;
      if (value == null && ext == null) continue;
      items.push({ key, value, ext, type, path: `${path}.${key}[${i}]`, parent, index: i });
    }
  } else if (v != null || e != null) {
    items.push({ key, value: v, ext: e, type, path: `${path}.${key}`, parent });
  }
}

/** walks the children of element `id` of `table` on `node` */
export function walkChildren(
  deps: WalkerDeps,
  st: WalkState,
  table: TypeTable,
  id: string,
  node: Record<string, any>,
  path: string,
): void {
  const idx = childIndex(table, id);
  if (!idx) return;
  // group the properties present on the node by the element they belong to (few keys, many rules)
  let groups: Map<ChildRule, Item[]> | undefined;
  for (const raw in node) {
    const key = raw.charCodeAt(0) === 95 ? raw.slice(1) : raw;
    if (key !== raw && key in node) continue; // `_x` is read together with `x`
    const hit = idx.byKey.get(key);
    if (!hit) continue;
    groups ??= new Map();
    let list = groups.get(hit.child);
    if (!list) groups.set(hit.child, (list = []));
    pushItems(list, key, hit.type, node, path);
  }
  for (const child of idx.required) {
    const n = groups?.get(child)?.length ?? 0;
    if (n < child.rule.min) {
      const where = child.choice ? `${path}.${child.name}[x]` : `${path}.${child.name}`;
      report(st, 'error', 'required', where, `${child.rule.path}: minimum required = ${child.rule.min}, but only found ${n}`, 'min');
    }
  }
  if (!groups) return;
  for (const [child, items] of groups) {
    const rule = child.rule;
    const where = child.choice ? `${path}.${child.name}[x]` : `${path}.${child.name}`;
    if (rule.max >= 0 && items.length > rule.max) {
      report(st, 'error', 'structure', where, `${rule.path}: max allowed = ${rule.max}, but found ${items.length}`, 'max');
    }
    if (!items.length) continue;
    let sliceOf: (ElementRule | undefined)[] | undefined;
    if (child.slices.length && st.profileMode) sliceOf = checkSlices(deps, st, table, child, items, where);
    for (let i = 0; i < items.length; i++) {
      const slice = sliceOf?.[i];
      walkItem(deps, st, table, slice ?? rule, items[i]);
      if (slice && child.choice) walkItem(deps, st, table, rule, items[i]);
    }
  }
}

function checkSlices(
  deps: WalkerDeps,
  st: WalkState,
  table: TypeTable,
  child: ChildRule,
  items: Item[],
  where: string,
): (ElementRule | undefined)[] {
  const assigned: (ElementRule | undefined)[] = items.map(() => undefined);
  const discriminators = child.rule.slicing?.discriminator ?? [];
  for (const slice of child.slices) {
    let count = 0;
    for (let i = 0; i < items.length; i++) {
      if (assigned[i]) continue;
      const ok = child.choice
        ? slice.sliceName === items[i].key || slice.types.some((t) => child.name + cap(t.code) === items[i].key)
        : sliceMatches(
            { byUrl: deps.byUrl, conforms: (url, v) => conformsTo(deps, st, url, v), resolve: (ref) => resolveWithin(st.scope, ref) },
            table,
            slice,
            discriminators,
            items[i].value,
          );
      if (ok) {
        assigned[i] = slice;
        count++;
      }
    }
    if (count < slice.min) {
      report(st, 'error', 'required', where, `Slice '${slice.sliceName}' of ${slice.path}: minimum required = ${slice.min}, but only found ${count}`, `slice-min:${slice.id}`);
    }
    if (slice.max >= 0 && count > slice.max) {
      report(st, 'error', 'structure', where, `Slice '${slice.sliceName}' of ${slice.path}: max allowed = ${slice.max}, but found ${count}`, `slice-max:${slice.id}`);
    }
  }
  // a discriminator this engine cannot evaluate (other FHIRPath functions) must not turn into errors
  const evaluable = discriminators.every((d) => !d.path.includes('(') || /^(\$this\.)?(.*\.)?resolve\(\)$/.test(d.path));
  if (child.rule.slicing?.rules === 'closed' && evaluable) {
    items.forEach((it, i) => {
      if (!assigned[i]) report(st, 'error', 'structure', it.path, `This element does not match any known slice of ${child.rule.path}`, 'slice-closed');
    });
  }
  return assigned;
}

function walkItem(deps: WalkerDeps, st: WalkState, table: TypeTable, rule: ElementRule, item: Item): void {
  const { value, path } = item;
  let type = item.type;
  if (Array.isArray(value) && value.length === 0) {
    report(st, 'error', 'structure', path, 'Array cannot be empty - the property should not be present if it has no values', 'empty');
    return;
  }
  if (rule.fixed !== undefined && !matchesPattern(value, rule.fixed, true)) {
    report(st, 'error', 'value', path, `Value is not the fixed value ${JSON.stringify(rule.fixed)}`, 'fixed');
  }
  if (rule.pattern !== undefined && !matchesPattern(value, rule.pattern, false)) {
    report(st, 'error', 'value', path, `Value does not match the required pattern ${JSON.stringify(rule.pattern)}`, 'pattern');
  }
  if (rule.binding?.strength === 'required') checkBinding(deps, st, rule, type, value, path);
  if (rule.minValue !== undefined || rule.maxValue !== undefined) checkLimits(st, rule, value, path);
  if (rule.constraints) {
    if (isPrimitive(type)) {
      // fhirpath 5.2.2 cannot take a bare primitive with a base path (ctx.getDecimal is not set yet),
      // so a primitive's constraint is evaluated from its parent as `key[i].all(expr)`
      const at = item.index === undefined ? item.key : `${item.key}[${item.index}]`;
      runConstraints(deps, st, rule.constraints, rule.path.slice(0, rule.path.lastIndexOf('.')), item.parent, path, at);
    } else {
      runConstraints(deps, st, rule.constraints, baseFor(rule, item), value, path);
    }
  }

  if (type === '' && rule.contentRef) {
    const target = ruleById(table, rule.contentRef);
    if (target?.constraints) runConstraints(deps, st, target.constraints, target.path, value, path);
    // a profile may unroll the recursive element (slices of Parameters.parameter.part) under its own id
    const id = st.profileMode && hasChildren(table, rule.id) ? rule.id : rule.contentRef;
    if (value && typeof value === 'object') walkComplex(deps, st, table, id, value as Record<string, any>, path);
    return;
  }
  if (type === '' || type === 'BackboneElement' || type === 'Element') {
    if (value && typeof value === 'object') walkComplex(deps, st, table, rule.id, value as Record<string, any>, path);
    return;
  }
  if (isPrimitive(type)) {
    if (value !== undefined) checkPrimitive(deps, st, type, value, path, rule);
    const ext = item.ext as Record<string, any> | undefined;
    if (ext && typeof ext === 'object' && !Array.isArray(ext) && deps.core.Element && !st.profileMode) {
      const prev = st.extensionContext;
      st.extensionContext = rule.path;
      walkComplex(deps, st, deps.core.Element, 'Element', ext, path);
      st.extensionContext = prev;
    }
    return;
  }
  if (!value || typeof value !== 'object') return;
  const obj = value as Record<string, any>;
  if (type === 'Resource' || deps.core[type]?.kind === 'resource') {
    // nested resources are validated once, by the core pass, with their own claimed profiles;
    // a profile pass adds the profiles the element's type names (Parameters.parameter.resource …)
    if (!st.profileMode) st.validateNested(obj, path, st.scope.root);
    else {
      // several profiles on one type are alternatives: meeting any one is enough
      const urls = rule.types.flatMap((t) => t.profiles ?? []).filter((u) => deps.byUrl.get(u)?.type === obj.resourceType);
      if (urls.length === 1 || (urls.length > 1 && !urls.some((u) => conformsTo(deps, st, u, obj)))) {
        walkTable(deps, { ...st, resource: obj, profileUrl: urls[0] }, deps.byUrl.get(urls[0])!, obj, path);
      }
    }
    return;
  }
  if (type === 'Extension') {
    const ext = extensionTable(deps, rule, obj);
    if (!st.profileMode) checkExtensionUse(deps, st, ext, table, rule, obj, path);
    if (ext) {
      walkTable(deps, st, ext, obj, path);
      if (hasChildren(table, rule.id)) walkComplex(deps, st, table, rule.id, obj, path);
      return;
    }
  }
  // a profile that unrolled this element constrains its children itself
  if (st.profileMode && hasChildren(table, rule.id)) {
    walkComplex(deps, st, table, rule.id, obj, path);
    return;
  }
  const typeProfile = rule.types.find((t) => t.code === type)?.profiles?.map((u) => deps.byUrl.get(u)).find(Boolean);
  // in a profile pass, content the profile does not constrain was already checked by the core pass
  if (st.profileMode && !typeProfile) return;
  const dt = typeProfile ?? deps.core[type];
  if (dt) {
    const prev = st.profileMode;
    // core datatype tables carry core rules only; profiles of datatypes are walked in profile mode
    st.profileMode = !!typeProfile && prev;
    walkTable(deps, st, dt, obj, path);
    st.profileMode = prev;
  }
  if (type === 'Attachment') checkAttachment(st, obj, path);
  if (type === 'Coding' && typeof obj.system === 'string' && !st.profileMode) checkCodingSystem(st, obj.system, `${path}.system`);
  if (type === 'Narrative' && typeof obj.div === 'string' && !st.profileMode) {
    for (const p of checkXhtml(obj.div)) report(st, 'error', 'invariant', `${path}.div`, `Constraint failed: ${p.key}: ${p.message}`, p.key);
  }
}

/** ele-1 and the JSON shape rules of https://hl7.org/fhir/R4/json.html: no nulls, no empty arrays */
function checkJsonShape(st: WalkState, obj: Record<string, any>, path: string): void {
  if (isEmptyElement(obj)) {
    report(st, 'error', 'invariant', path, "Constraint failed: ele-1: 'All FHIR elements must have a @value or children'", 'ele-1');
  }
  for (const key in obj) {
    const v = obj[key];
    if (v === null) {
      report(st, 'error', 'structure', `${path}.${key}`, `The property ${key} must not be null`, 'null');
    } else if (Array.isArray(v)) {
      if (v.length === 0) {
        report(st, 'error', 'structure', `${path}.${key}`, 'Array cannot be empty - the property should not be present if it has no values', 'empty');
      } else if (v.includes(null)) {
        const twin = key.startsWith('_') ? obj[key.slice(1)] : obj[`_${key}`];
        v.forEach((x, i) => {
          if (x === null && (!Array.isArray(twin) || twin[i] == null)) {
            report(st, 'error', 'structure', `${path}.${key}[${i}]`, 'A null array entry needs a matching value or extension in the twin array', 'null');
          }
        });
      }
    }
  }
}

/** whether `value` meets profile `url` (profile rules only), for profile discriminators */
function conformsTo(deps: WalkerDeps, st: WalkState, url: string, value: unknown): boolean {
  const profile = deps.byUrl.get(url);
  if (!profile || !value || typeof value !== 'object') return false;
  const probe: WalkState = { ...st, issues: [], seen: new Set(), profileMode: true, profileUrl: url, resource: value as Record<string, any> };
  walkTable(deps, probe, profile, value as Record<string, any>, 'probe');
  return !probe.issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
}

/** the table's root rules (constraints) then its children */
export function walkTable(deps: WalkerDeps, st: WalkState, table: TypeTable, obj: Record<string, any>, path: string): void {
  const root = table.elements[0];
  if (root?.constraints) runConstraints(deps, st, root.constraints, root.path, obj, path);
  if (table.type === 'Extension' && !st.profileMode) {
    const hasValue = Object.keys(obj).some((k) => k.startsWith('value'));
    const hasExt = Array.isArray(obj.extension) && obj.extension.length > 0;
    if (hasValue === hasExt) {
      report(st, 'error', 'invariant', path, "Constraint failed: ext-1: 'Must have either extensions or value[x], not both'", 'ext-1');
    }
  }
  walkComplex(deps, st, table, root?.id ?? table.type, obj, path);
}

function walkComplex(deps: WalkerDeps, st: WalkState, table: TypeTable, id: string, obj: Record<string, any>, path: string): void {
  if (Array.isArray(obj)) return;
  if (!st.profileMode) checkJsonShape(st, obj, path);
  walkChildren(deps, st, table, id, obj, path);
}

function extensionTable(deps: WalkerDeps, rule: ElementRule, obj: Record<string, any>): TypeTable | undefined {
  for (const t of rule.types) for (const p of t.profiles ?? []) {
    const tb = deps.byUrl.get(p);
    if (tb) return tb;
  }
  return typeof obj.url === 'string' ? deps.byUrl.get(obj.url) ?? deps.core.Extension : deps.core.Extension;
}

const CORE_SD = 'http://hl7.org/fhir/StructureDefinition/';
const ANY_CONTEXT = new Set(['Element', 'Resource', 'DomainResource', 'BackboneElement']);

/**
 * Unknown extensions are accepted (Titrate fronts EHRs that use their own) except in the core
 * namespace, where an unknown URL is an error; known extensions must be used in their context.
 */
function checkExtensionUse(
  deps: WalkerDeps,
  st: WalkState,
  ext: TypeTable | undefined,
  table: TypeTable,
  rule: ElementRule,
  obj: Record<string, any>,
  path: string,
): void {
  const url = obj.url;
  if (typeof url !== 'string' || rule.types.some((t) => t.profiles?.length)) return;
  if (!ext || ext === deps.core.Extension) {
    if (url.includes('|')) {
      report(st, 'error', 'structure', path, `The extension URL must not contain a version (${url})`, 'ext-version');
    } else if (url.startsWith(CORE_SD)) {
      // R5 / extension-pack URLs share this namespace, so an unknown one is only a warning
      report(st, 'warning', 'structure', path, `The extension ${url} is not defined in FHIR R4`, 'ext-unknown');
    } else {
      report(st, st.unknownExtensions, 'structure', path, `The extension ${url} is unknown, and not validated`, 'ext-unknown');
    }
    return;
  }
  const modifier = ext.elements[0]?.isModifier === true;
  const inModifierSlot = rule.path.endsWith('.modifierExtension');
  if (modifier !== inModifierSlot) {
    report(st, 'error', 'structure', path, modifier
      ? `The extension ${url} must not be used as an extension (it's a modifierExtension)`
      : `The extension ${url} must not be used as a modifierExtension (it's a regular extension)`, 'ext-modifier');
  }
  // the R4 definitions themselves put this one on ElementDefinition.type, not on type.code
  if (!ext.context?.length || url === `${CORE_SD}structuredefinition-fhir-type`) return;
  const parentId = rule.id.slice(0, rule.id.lastIndexOf('.'));
  const here = st.extensionContext ?? parentId;
  const hereType = st.extensionContext ? undefined : table.type;
  const ok = ext.context.some((e) => {
    if (ANY_CONTEXT.has(e) || e === here || e === hereType) return true;
    // a datatype table cannot see which resource element holds it: accept resource-path contexts
    if (table.kind === 'complex-type' && !st.extensionContext) {
      const head = e.split('.')[0];
      return deps.core[head]?.kind === 'resource';
    }
    return false;
  });
  if (!ok) {
    report(st, 'error', 'structure', path, `The extension ${url} is not allowed to be used at ${here} (allowed: ${ext.context.join(', ')})`, 'ext-context');
  }
}

function baseFor(rule: ElementRule, item: Item): string {
  if (!rule.path.endsWith('[x]')) return rule.path;
  return rule.path.slice(0, rule.path.lastIndexOf('.') + 1) + item.key;
}

function runConstraints(
  deps: WalkerDeps,
  st: WalkState,
  constraints: NonNullable<ElementRule['constraints']>,
  base: string,
  node: unknown,
  path: string,
  /** evaluate as `${via}.all(expression)` on `node` (the parent of a primitive) */
  via?: string,
): void {
  for (const c of constraints) {
    if (NATIVE_KEYS.has(c.key)) continue;
    if (st.profileMode && deps.coreConstraintKeys.has(c.key)) continue;
    const native = NATIVE_INVARIANTS[c.key];
    if (native && !st.profileMode && !via) {
      if (node && typeof node === 'object' && !native(node as Record<string, any>, st.scope)) {
        report(st, c.severity, 'invariant', path, `Constraint failed: ${c.key}: '${c.human}'`, c.key);
      }
      continue;
    }
    st.scope.resource = st.resource;
    const expression = fixedExpression(c.key, c.expression);
    const r = deps.invariants.check(base, via ? `${via}.all(${expression})` : expression, node, st.scope);
    if (r.failed) report(st, c.severity, 'invariant', path, `Constraint failed: ${c.key}: '${c.human}'`, c.key);
  }
}

function checkBinding(deps: WalkerDeps, st: WalkState, rule: ElementRule, type: string, value: unknown, path: string): void {
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

function checkPrimitive(deps: WalkerDeps, st: WalkState, type: string, value: unknown, path: string, rule: ElementRule): void {
  if (typeof value !== 'string') return;
  if (value.length > MAX_STRING_BYTES) {
    report(st, 'error', 'too-long', path, 'value is longer than permitted maximum length of 1 MB (1048576 bytes)', 'length');
  }
  if (rule.maxLength && value.length > rule.maxLength) {
    report(st, 'error', 'too-long', path, `value is longer than the maxLength ${rule.maxLength}`, 'maxLength');
  }
  if (st.securityChecks && (type === 'string' || type === 'markdown') && ACTIVE_HTML.test(value)) {
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
    const targets = rule.types[0].targets.map((t) => t.slice(t.lastIndexOf('/') + 1));
    if (m && deps.core[m[1]]?.kind === 'resource' && !targets.includes(m[1]) && !targets.includes('Resource')) {
      report(st, 'error', 'invalid', path, `Canonical URL '${value}' refers to a ${m[1]}, not ${targets.join(' or ')}`, 'canonical');
    }
  }
  if (type === 'base64Binary' && decodedBase64Length(value) === undefined) {
    report(st, 'error', 'value', path, `The value '${value.slice(0, 40)}' is not a valid Base64 value`, 'base64');
  }
}

/** ElementDefinition.minValue[x] / maxValue[x] on numbers, dates and quantities */
function checkLimits(st: WalkState, rule: ElementRule, value: unknown, path: string): void {
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
function checkCodingSystem(st: WalkState, system: string, path: string): void {
  if (!system.includes(':')) {
    report(st, 'error', 'value', path, 'Coding.system must be an absolute reference, not a local reference', 'coding-system');
  } else if (/^https?:\/\/hl7\.org\/fhir\/ValueSet\//.test(system)) {
    report(st, 'error', 'value', path, `The Coding references a value set, not a code system ('${system}')`, 'coding-system');
  }
}

function checkAttachment(st: WalkState, obj: Record<string, any>, path: string): void {
  if (typeof obj.data !== 'string' || typeof obj.size !== 'number') return;
  const actual = decodedBase64Length(obj.data);
  if (actual !== undefined && actual !== obj.size) {
    report(st, 'error', 'structure', `${path}.size`, `Stated Attachment Size ${obj.size} does not match actual attachment size ${actual}`, 'size');
  }
}

/** dom-2 … dom-6 for a resource (contained flags whether it sits in `contained`) */
export function checkDomainResource(st: WalkState, res: Record<string, any>, path: string, contained: boolean): void {
  if (st.profileMode) return;
  const list = Array.isArray(res.contained) ? (res.contained as Record<string, any>[]) : [];
  if (list.length) {
    const refs = collectLocalRefs({ ...res, contained: undefined }, new Set());
    for (const c of list) collectLocalRefs(c, refs);
    list.forEach((c, i) => {
      const where = `${path}.contained[${i}]`;
      if (!c || typeof c !== 'object') return;
      if (c.contained) report(st, 'error', 'invariant', where, "Constraint failed: dom-2: 'If the resource is contained in another resource, it SHALL NOT contain nested Resources'", 'dom-2');
      if (c.meta?.versionId || c.meta?.lastUpdated) report(st, 'error', 'invariant', where, "Constraint failed: dom-4: 'If a resource is contained in another resource, it SHALL NOT have a meta.versionId or a meta.lastUpdated'", 'dom-4');
      if (c.meta?.security) report(st, 'error', 'invariant', where, "Constraint failed: dom-5: 'If a resource is contained in another resource, it SHALL NOT have a security label'", 'dom-5');
      const self = collectLocalRefs(c, new Set());
      if (!refs.has(`#${c.id}`) && !self.has('#')) {
        report(st, 'error', 'invariant', where, `Constraint failed: dom-3: 'If the resource is contained in another resource, it SHALL be referred to from elsewhere in the resource' (contained resource '${c.id}' is not referenced)`, 'dom-3');
      }
    });
  }
  if (!contained && !res.text?.div) {
    report(st, 'warning', 'invariant', path, "Constraint failed: dom-6: 'A resource should have narrative for robust management'", 'dom-6');
  }
}
