// Layers 2 and 3: walks a resource against element tables (core or profile): cardinality, choice
// types, fixed/pattern values, slices, required bindings and invariants (https://hl7.org/fhir/R4/validation.html).
import type { ElementRule, TypeTable } from './element-table.ts';
import { childrenOf, hasChildren, type ChildRule } from './element-index.ts';
import { InvariantEngine, NATIVE_KEYS, type ResolveScope } from './invariants.ts';
import { checkXhtml, collectLocalRefs, decodedBase64Length, isEmptyElement, MAX_STRING_BYTES } from './native-checks.ts';
import { matchesPattern, sliceMatches } from './pattern.ts';
import type { Terminology } from './terminology.ts';
import type { IssueSeverity, ValidationIssue } from './types.ts';

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
}

function itemsOf(node: Record<string, any>, child: ChildRule, path: string): Item[] {
  const keys: { key: string; type: string }[] = [];
  if (child.choice) {
    for (const t of child.rule.types) {
      const key = child.name + cap(t.code);
      if (key in node || `_${key}` in node) keys.push({ key, type: t.code });
    }
  } else if (child.name in node || `_${child.name}` in node) {
    keys.push({ key: child.name, type: child.rule.types[0]?.code ?? '' });
  }
  const items: Item[] = [];
  for (const { key, type } of keys) {
    const v = node[key];
    const e = node[`_${key}`];
    if (Array.isArray(v) || Array.isArray(e)) {
      const n = Math.max(Array.isArray(v) ? v.length : 0, Array.isArray(e) ? e.length : 0);
      for (let i = 0; i < n; i++) {
        const value = Array.isArray(v) ? v[i] : undefined;
        const ext = Array.isArray(e) ? e[i] : undefined;
        if (value == null && ext == null) continue;
        items.push({ key, value, ext, type, path: `${path}.${key}[${i}]` });
      }
    } else if (v != null || e != null) {
      items.push({ key, value: v, ext: e, type, path: `${path}.${key}` });
    }
  }
  return items;
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
  const children = childrenOf(table, id);
  if (!children) return;
  for (const child of children) {
    const items = itemsOf(node, child, path);
    const rule = child.rule;
    const where = child.choice ? `${path}.${child.name}[x]` : `${path}.${child.name}`;
    if (items.length < rule.min) {
      report(st, 'error', 'required', where, `${rule.path}: minimum required = ${rule.min}, but only found ${items.length}`, 'min');
    }
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
        : sliceMatches(deps, table, slice, discriminators, items[i].value);
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
  if (child.rule.slicing?.rules === 'closed') {
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
  if (rule.constraints) runConstraints(deps, st, rule.constraints, baseFor(rule, item), value, path);

  if (type === '' && rule.contentRef) {
    if (value && typeof value === 'object') walkComplex(deps, st, table, rule.contentRef, value as Record<string, any>, path);
    return;
  }
  if (type === '' || type === 'BackboneElement' || type === 'Element') {
    if (value && typeof value === 'object') walkComplex(deps, st, table, rule.id, value as Record<string, any>, path);
    return;
  }
  if (isPrimitive(type)) {
    if (value !== undefined) checkPrimitive(st, type, value, path, rule);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const obj = value as Record<string, any>;
  if (type === 'Resource' || deps.core[type]?.kind === 'resource') {
    st.validateNested(obj, path, st.scope.root);
    return;
  }
  if (type === 'Extension') {
    const ext = extensionTable(deps, rule, obj);
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
  const dt = typeProfile ?? deps.core[type];
  if (dt) {
    const prev = st.profileMode;
    // core datatype tables carry core rules only; profiles of datatypes are walked in profile mode
    st.profileMode = !!typeProfile && prev;
    walkTable(deps, st, dt, obj, path);
    st.profileMode = prev;
  }
  if (type === 'Attachment') checkAttachment(st, obj, path);
  if (type === 'Narrative' && typeof obj.div === 'string' && !st.profileMode) {
    for (const p of checkXhtml(obj.div)) report(st, 'error', 'invariant', `${path}.div`, `Constraint failed: ${p.key}: ${p.message}`, p.key);
  }
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
  if (isEmptyElement(obj) && !st.profileMode) {
    report(st, 'error', 'invariant', path, 'Constraint failed: ele-1: All FHIR elements must have a @value or children', 'ele-1');
  }
  walkChildren(deps, st, table, id, obj, path);
}

function extensionTable(deps: WalkerDeps, rule: ElementRule, obj: Record<string, any>): TypeTable | undefined {
  for (const t of rule.types) for (const p of t.profiles ?? []) {
    const tb = deps.byUrl.get(p);
    if (tb) return tb;
  }
  return typeof obj.url === 'string' ? deps.byUrl.get(obj.url) ?? deps.core.Extension : deps.core.Extension;
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
): void {
  for (const c of constraints) {
    if (NATIVE_KEYS.has(c.key)) continue;
    if (st.profileMode && deps.coreConstraintKeys.has(c.key)) continue;
    const r = deps.invariants.check(base, c.expression, node, { ...st.scope, resource: st.resource });
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

function checkPrimitive(st: WalkState, type: string, value: unknown, path: string, rule: ElementRule): void {
  if (typeof value !== 'string') return;
  if (value.length > MAX_STRING_BYTES) {
    report(st, 'error', 'too-long', path, 'value is longer than permitted maximum length of 1 MB (1048576 bytes)', 'length');
  }
  if (rule.maxLength && value.length > rule.maxLength) {
    report(st, 'error', 'too-long', path, `value is longer than the maxLength ${rule.maxLength}`, 'maxLength');
  }
  if (type === 'base64Binary' && decodedBase64Length(value) === undefined) {
    report(st, 'error', 'value', path, `The value '${value.slice(0, 40)}' is not a valid Base64 value`, 'base64');
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
