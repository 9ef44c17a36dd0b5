// Child lookup over compiled element tables: parent element id → child rules, built lazily per table.
import type { ElementRule, TypeTable } from './element-table.ts';

export interface ChildRule {
  rule: ElementRule;
  /** JSON property name, or the prefix of a choice element (`value` for `value[x]`) */
  name: string;
  choice: boolean;
  /** slices of this element (same path, `:sliceName` ids) */
  slices: ElementRule[];
}

export interface ChildIndex {
  children: ChildRule[];
  /** JSON property (without `_`) → the rule and the type that property name selects */
  byKey: Map<string, { child: ChildRule; type: string; pos: number }>;
  required: ChildRule[];
}

const cache = new WeakMap<TypeTable, Map<string, ChildRule[]>>();
const indexCache = new WeakMap<TypeTable, Map<string, ChildIndex | null>>();
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** children of `id` keyed by JSON property name, built once per table and element */
export function childIndex(table: TypeTable, id: string): ChildIndex | null {
  let map = indexCache.get(table);
  if (!map) indexCache.set(table, (map = new Map()));
  let idx = map.get(id);
  if (idx !== undefined) return idx;
  const children = childrenOf(table, id);
  if (!children) {
    map.set(id, null);
    return null;
  }
  const byKey = new Map<string, { child: ChildRule; type: string; pos: number }>();
  children.forEach((child, pos) => {
    if (child.choice) for (const t of child.rule.types) byKey.set(child.name + cap(t.code), { child, type: t.code, pos });
    else byKey.set(child.name, { child, type: child.rule.types[0]?.code ?? '', pos });
  });
  idx = { children, byKey, required: children.filter((c) => c.rule.min > 0) };
  map.set(id, idx);
  return idx;
}

function lastSegment(id: string): string {
  return id.slice(id.lastIndexOf('.') + 1);
}

function parentId(id: string): string {
  return id.slice(0, id.lastIndexOf('.'));
}

function build(table: TypeTable): Map<string, ChildRule[]> {
  const byParent = new Map<string, ChildRule[]>();
  const byId = new Map<string, ChildRule>();
  for (const rule of table.elements.slice(1)) {
    const seg = lastSegment(rule.id);
    const colon = seg.indexOf(':');
    if (colon >= 0) {
      // a slice (or a type slice such as value[x]:valueQuantity) of the element before the colon
      const baseId = `${parentId(rule.id)}.${seg.slice(0, colon)}`;
      const base = byId.get(baseId);
      if (base && !seg.slice(colon + 1).includes('.')) {
        if (base.choice && rule.sliceName && rule.sliceName.startsWith(base.name)) {
          // type slice: constraints for one type of a choice, applied as the base element's own rule
          base.slices.push(rule);
        } else {
          base.slices.push(rule);
        }
      }
      continue;
    }
    const choice = seg.endsWith('[x]');
    const child: ChildRule = { rule, name: choice ? seg.slice(0, -3) : seg, choice, slices: [] };
    byId.set(rule.id, child);
    const p = parentId(rule.id);
    let list = byParent.get(p);
    if (!list) byParent.set(p, (list = []));
    list.push(child);
  }
  return byParent;
}

export function childrenOf(table: TypeTable, id: string): ChildRule[] | undefined {
  let map = cache.get(table);
  if (!map) cache.set(table, (map = build(table)));
  return map.get(id);
}

export function hasChildren(table: TypeTable, id: string): boolean {
  return (childrenOf(table, id)?.length ?? 0) > 0;
}
