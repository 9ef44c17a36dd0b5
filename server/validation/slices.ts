// Slice assignment and slice cardinality for a sliced element (https://hl7.org/fhir/R4/profiling.html#slicing).
import type { ElementRule, TypeTable } from './element-table.ts';
import type { ChildRule } from './element-index.ts';
import { resolveWithin } from './invariants.ts';
import { sliceMatches } from './pattern.ts';
import { codesInValueSet } from './value-checks.ts';
import { cap, report, type Item, type WalkerDeps, type WalkState } from './walk-state.ts';

export function checkSlices(
  deps: WalkerDeps,
  st: WalkState,
  table: TypeTable,
  child: ChildRule,
  items: Item[],
  where: string,
  conforms: (url: string, value: unknown) => boolean,
): (ElementRule | undefined)[] {
  const assigned: (ElementRule | undefined)[] = items.map(() => undefined);
  const discriminators = child.rule.slicing?.discriminator ?? [];
  // a discriminator this engine cannot evaluate (FHIRPath functions other than resolve()) must not turn into errors
  if (!discriminators.every((d) => !d.path.includes('(') || /^(\$this\.)?(.*\.)?resolve\(\)$/.test(d.path))) return assigned;
  for (const slice of child.slices) {
    let count = 0;
    for (let i = 0; i < items.length; i++) {
      if (assigned[i]) continue;
      const ok = child.choice
        ? slice.sliceName === items[i].key || slice.types.some((t) => child.name + cap(t.code) === items[i].key)
        : sliceMatches(
            {
              byUrl: deps.byUrl,
              conforms,
              resolve: (ref) => resolveWithin(st.scope, ref),
              inValueSet: (vs, v) => codesInValueSet(deps, vs, v),
            },
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
  if (child.rule.slicing?.rules === 'closed') {
    items.forEach((it, i) => {
      if (!assigned[i]) report(st, 'error', 'structure', it.path, `This element does not match any known slice of ${child.rule.path}`, 'slice-closed');
    });
  }
  return assigned;
}
