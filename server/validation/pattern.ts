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

function ruleById(table: TypeTable, id: string): ElementRule | undefined {
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

/** whether an instance value belongs to a slice, judged by the slicing discriminators */
export function sliceMatches(
  _deps: unknown,
  table: TypeTable,
  slice: ElementRule,
  discriminators: Discriminator[],
  value: unknown,
): boolean {
  if (!discriminators.length) return false;
  for (const d of discriminators) {
    const path = d.path.replace(/^\$this\.?/, '');
    if (d.type === 'type' || d.type === 'profile') {
      const rt = (value as { resourceType?: string })?.resourceType;
      if (rt && !slice.types.some((t) => t.code === rt || t.code === 'Resource')) return false;
      continue;
    }
    if (d.type === 'exists') {
      const sub = ruleById(table, `${slice.id}.${path}`);
      const present = navigate(value, path).length > 0;
      if (sub && ((sub.min > 0 && !present) || (sub.max === 0 && present))) return false;
      continue;
    }
    if (path.includes('(')) return false;
    const target = path ? ruleById(table, `${slice.id}.${path}`) : slice;
    let expected = target?.fixed ?? target?.pattern;
    if (expected === undefined && path === 'url') expected = slice.types[0]?.profiles?.[0];
    if (expected === undefined) return false;
    const found = path ? navigate(value, path) : [value];
    if (!found.some((f) => matchesPattern(f, expected, false))) return false;
  }
  return true;
}
