// fixed[x] / pattern[x] comparison and slice discriminator matching
// (https://hl7.org/fhir/R4/profiling.html#discriminator).
import type { Discriminator, ElementRule, TypeTable } from './element-table.ts';

/** fixed: deep equality; pattern: every property/array item of the pattern is present in the value */
export function matchesPattern(value: unknown, pattern: unknown, exact: boolean): boolean {
  if (pattern === null || typeof pattern !== 'object') {
    return value === pattern || (typeof value === 'number' && typeof pattern === 'number' && value === pattern);
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(value)) return pattern.length === 1 && matchesPattern(value, pattern[0], exact);
    if (exact && value.length !== pattern.length) return false;
    return pattern.every((p) => value.some((v) => matchesPattern(v, p, exact)));
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const p = pattern as Record<string, unknown>;
  if (exact && Object.keys(v).some((k) => !(k in p))) return false;
  for (const k of Object.keys(p)) {
    const pv = p[k];
    const vv = v[k];
    if (vv === undefined) return false;
    // a pattern CodeableConcept.coding is an array; a value may have extra codings
    if (!matchesPattern(vv, pv, exact)) return false;
  }
  return true;
}

const idIndex = new WeakMap<TypeTable, Map<string, ElementRule>>();

export function ruleById(table: TypeTable, id: string): ElementRule | undefined {
  let map = idIndex.get(table);
  if (!map) {
    map = new Map(table.elements.map((e) => [e.id, e]));
    idIndex.set(table, map);
  }
  return map.get(id);
}

function navigate(value: unknown, path: string): unknown[] {
  let current: unknown[] = [value];
  for (const seg of path.split('.')) {
    const next: unknown[] = [];
    for (const c of current) {
      if (!c || typeof c !== 'object') continue;
      const v = (c as Record<string, unknown>)[seg];
      if (Array.isArray(v)) next.push(...v);
      else if (v !== undefined) next.push(v);
    }
    current = next;
  }
  return current;
}

/**
 * The value a discriminator path takes from a fixed or pattern value set on an element above it (the slice
 * itself, e.g. fixedContactPoint {use: home} for the path `use`): profiling.html#discriminator "as determined
 * by the applicable fixed value, pattern …".
 */
function inheritedValue(table: TypeTable, slice: ElementRule, path: string): unknown {
  const segs = path.split('.');
  for (let k = segs.length - 1; k >= 0; k--) {
    const holder = k ? ruleById(table, `${slice.id}.${segs.slice(0, k).join('.')}`) : slice;
    const value = holder?.fixed ?? holder?.pattern;
    if (value === undefined) continue;
    const found = navigate(value, segs.slice(k).join('.'));
    return found.length === 1 ? found[0] : undefined;
  }
  return undefined;
}

/** whether an instance value belongs to a slice, judged by the slicing discriminators */
export function sliceMatches(
  deps: {
    byUrl: Map<string, TypeTable>;
    conforms?: (url: string, value: unknown) => boolean;
    resolve?: (reference: string) => Record<string, any> | undefined;
    inValueSet?: (valueSet: string, value: unknown) => boolean | undefined;
  },
  table: TypeTable,
  slice: ElementRule,
  discriminators: Discriminator[],
  value: unknown,
): boolean {
  if (!discriminators.length) return false;
  let determined = 0;
  for (const d of discriminators) {
    const path = d.path.replace(/^\$this\.?/, '');
    if ((d.type === 'type' || d.type === 'profile') && /^(.*?)\.?resolve\(\)$/.test(path)) {
      // $this.resolve(): the type of the referenced resource, from the targetProfiles
      const refPath = path.replace(/\.?resolve\(\)$/, '');
      const target = refPath ? ruleById(table, `${slice.id}.${refPath}`) : slice;
      const targets = new Set((target?.types ?? []).flatMap((t) => t.targets ?? []).map((u) => deps.byUrl.get(u)?.type ?? u.slice(u.lastIndexOf('/') + 1)));
      if (!targets.size) return false;
      const refs = (refPath ? navigate(value, refPath) : [value]) as { reference?: string }[];
      const types = refs.map((r) => (typeof r?.reference === 'string' ? deps.resolve?.(r.reference)?.resourceType : undefined));
      if (!types.some((t) => t && (targets.has(t) || targets.has('Resource')))) return false;
      determined++;
      continue;
    }
    if (d.type === 'type' || d.type === 'profile') {
      const target = path ? ruleById(table, `${slice.id}.${path}`) : slice;
      if (!target?.types.length) return false;
      const found = path ? navigate(value, path) : [value];
      const typeOf = (v: unknown) => (v as { resourceType?: string })?.resourceType;
      const allowed = new Set<string>();
      for (const t of target.types) {
        if (d.type === 'profile' && t.profiles?.length) {
          for (const url of t.profiles) allowed.add(deps.byUrl.get(url)?.type ?? t.code);
        } else {
          allowed.add(t.code);
        }
      }
      if (!found.some((f) => allowed.has('Resource') || allowed.has(typeOf(f) ?? ''))) return false;
      if (d.type === 'profile' && deps.conforms) {
        const urls = target.types.flatMap((t) => t.profiles ?? []).filter((u) => deps.byUrl.has(u));
        if (urls.length && !found.some((f) => urls.some((u) => deps.conforms!(u, f)))) return false;
      }
      determined++;
      continue;
    }
    if (d.type === 'exists') {
      const sub = ruleById(table, `${slice.id}.${path}`);
      const present = navigate(value, path).length > 0;
      if (sub && ((sub.min > 0 && !present) || (sub.max === 0 && present))) return false;
      if (sub) determined++;
      continue;
    }
    if (path.includes('(')) return false;
    const target = path ? ruleById(table, `${slice.id}.${path}`) : slice;
    let expected = target?.fixed ?? target?.pattern;
    if (expected === undefined && path) expected = inheritedValue(table, slice, path);
    if (expected === undefined && path === 'url') expected = slice.types[0]?.profiles?.[0];
    if (expected === undefined && target?.binding?.strength === 'required' && deps.inValueSet) {
      // a pattern discriminator whose slice is defined by a required binding (US Core category slices)
      const found = path ? navigate(value, path) : [value];
      const member = found.map((f) => deps.inValueSet!(target.binding!.valueSet, f));
      if (member.some((x) => x === undefined)) return false;
      if (!member.some(Boolean)) return false;
      determined++;
      continue;
    }
    // a slice that leaves this discriminator open does not constrain it
    if (expected === undefined) continue;
    determined++;
    const found = path ? navigate(value, path) : [value];
    if (!found.some((f) => matchesPattern(f, expected, false))) return false;
  }
  return determined > 0;
}
