// Layers 2 and 3: walks a resource against element tables (core or profile): cardinality, choice
// types, fixed/pattern values, slices, required bindings and invariants (https://hl7.org/fhir/R4/validation.html).
import type { ElementRule, TypeTable } from './element-table.ts';
import { childIndex, hasChildren } from './element-index.ts';
import { checkExtensionUse, extensionTable } from './extension-checks.ts';
import { fixedExpression, NATIVE_INVARIANTS, NATIVE_KEYS, resolveWithin } from './invariants.ts';
import { checkXhtml, collectLocalRefs, isEmptyElement } from './native-checks.ts';
import { matchesPattern, ruleById } from './pattern.ts';
import { checkSlices } from './slices.ts';
import { checkAttachment, checkBinding, checkCodingSystem, checkLimits, checkPrimitive } from './value-checks.ts';
import { CORE_SD, isPrimitive, report, type Item, type WalkerDeps, type WalkState } from './walk-state.ts';

export type { WalkerDeps, WalkState } from './walk-state.ts';



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
  let groups: (Item[] | undefined)[] | undefined;
  for (const raw in node) {
    const key = raw.charCodeAt(0) === 95 ? raw.slice(1) : raw;
    if (key !== raw && key in node) continue; // `_x` is read together with `x`
    const hit = idx.byKey.get(key);
    if (!hit) continue;
    groups ??= new Array(idx.children.length);
    pushItems((groups[hit.pos] ??= []), key, hit.type, node, path);
  }
  for (const child of idx.required) {
    const n = groups?.[idx.children.indexOf(child)]?.length ?? 0;
    if (n < child.rule.min) {
      const where = child.choice ? `${path}.${child.name}[x]` : `${path}.${child.name}`;
      report(st, 'error', 'required', where, `${child.rule.path}: minimum required = ${child.rule.min}, but only found ${n}`, 'min');
    }
  }
  if (!groups) return;
  for (let pos = 0; pos < groups.length; pos++) {
    const items = groups[pos];
    if (!items) continue;
    const child = idx.children[pos];
    const rule = child.rule;
    const where = child.choice ? `${path}.${child.name}[x]` : `${path}.${child.name}`;
    if (rule.max >= 0 && items.length > rule.max) {
      report(st, 'error', 'structure', where, `${rule.path}: max allowed = ${rule.max}, but found ${items.length}`, 'max');
    }
    if (!items.length) continue;
    let sliceOf: (ElementRule | undefined)[] | undefined;
    if (child.slices.length && st.profileMode) sliceOf = checkSlices(deps, st, table, child, items, where, (url, v) => conformsTo(deps, st, url, v));
    for (let i = 0; i < items.length; i++) {
      const slice = sliceOf?.[i];
      walkItem(deps, st, table, slice ?? rule, items[i]);
      if (slice && child.choice) walkItem(deps, st, table, rule, items[i]);
    }
  }
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
  if (rule.additionalRequired) {
    for (const valueSet of rule.additionalRequired) checkBinding(deps, st, { ...rule, binding: { strength: 'required', valueSet } }, type, value, path);
  }
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
    if (value && typeof value === 'object') {
      const prev = st.aliases;
      if (id !== rule.id) st.aliases = [[id, rule.path], ...(prev ?? [])];
      walkComplex(deps, st, table, id, value as Record<string, any>, path);
      st.aliases = prev;
    }
    return;
  }
  if (type === '' || type === 'BackboneElement' || type === 'Element') {
    if (value && typeof value === 'object') walkComplex(deps, st, table, rule.id, value as Record<string, any>, path);
    return;
  }
  if (isPrimitive(type)) {
    if (value !== undefined) checkPrimitive(deps, st, type, value, path, rule);
    const ext = item.ext as Record<string, any> | undefined;
    // `_x: {id}` next to a value is fine (ele-1: the primitive has a value)
    if (ext && typeof ext === 'object' && !Array.isArray(ext) && deps.core.Element && !st.profileMode && !(value !== undefined && isEmptyElement(ext))) {
      const prev = [st.extensionContext, st.extensionContextType] as const;
      st.extensionContext = rule.path;
      st.extensionContextType = type;
      walkComplex(deps, st, deps.core.Element, 'Element', ext, path);
      [st.extensionContext, st.extensionContextType] = prev;
    }
    return;
  }
  if (!value || typeof value !== 'object') return;
  const obj = value as Record<string, any>;
  if (type === 'Reference' && st.profileMode) checkTargetProfiles(deps, st, rule, obj, path);
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


/** nesting of checkTargetProfiles (resources referring to each other) */
let targetDepth = 0;

/**
 * Reference.targetProfile naming profiles: a reference that resolves to a resource at hand (contained, in the
 * Bundle, or through resolveReference) must meet one of the profiles for its type. Unresolved references
 * and targets of a type no profile names are not judged here.
 */
function checkTargetProfiles(deps: WalkerDeps, st: WalkState, rule: ElementRule, ref: Record<string, any>, path: string): void {
  const urls = rule.types.find((t) => t.code === 'Reference')?.targets;
  if (!urls?.length || typeof ref.reference !== 'string') return;
  const profiles = urls.map((u) => deps.byUrl.get(u.split('|')[0]));
  if (!profiles.some((p) => p?.derivation === 'constraint') && !profiles.includes(undefined)) return;
  const target = resolveWithin(st.scope, ref.reference);
  // resolveWithin answers a bare {resourceType, id} stub for references it cannot follow
  if (!target || Object.keys(target).length <= 2 || typeof target.resourceType !== 'string') return;
  const rt = target.resourceType;
  if (urls.some((u) => u === CORE_SD + rt || u === CORE_SD + 'Resource')) return;
  const candidates = profiles.filter((p): p is TypeTable => p?.type === rt);
  if (!candidates.length && profiles.includes(undefined)) {
    // as for a claimed profile the server does not know: said, not judged
    const unknown = urls.filter((_, i) => !profiles[i]).join(' or ');
    report(st, 'warning', 'not-supported', path, `The target profile ${unknown} is not known to this server; ${ref.reference} was not checked against it`, 'target-profile');
  }
  if (!candidates.length || candidates.some((p) => p.derivation !== 'constraint')) return;
  // resources referring to each other: follow target profiles two levels deep at most
  if (targetDepth >= 2) return;
  targetDepth++;
  try {
    if (candidates.some((p) => conformsTo(deps, st, p.url, target))) return;
  } finally {
    targetDepth--;
  }
  report(st, 'error', 'structure', path, `The resource ${ref.reference} does not conform to the target profile ${candidates.map((p) => p.url).join(' or ')}`, 'target-profile');
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
    if (native && !st.profileMode && !via && node && typeof node === 'object') {
      const holds = native(node as Record<string, any>, st.scope);
      if (holds !== undefined) {
        if (!holds) report(st, c.severity, 'invariant', path, `Constraint failed: ${c.key}: '${c.human}'`, c.key);
        continue;
      }
    }
    st.scope.resource = st.resource;
    const expression = fixedExpression(c.key, c.expression);
    const r = deps.invariants.check(base, via ? `${via}.all(${expression})` : expression, node, st.scope);
    if (r.failed) report(st, c.severity, 'invariant', path, `Constraint failed: ${c.key}: '${c.human}'`, c.key);
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
