// Achievable doses for an ingredient from the strengths RxNorm lists (rxnorm-subset.json SCDs), for rounding steps.
import type { KnowledgeBase } from '../kb-types.ts';

export interface DoseGrid {
  /** Ascending achievable daily doses in mg (whole and half units, and pairs of them). */
  values: number[];
  /** An oral solution/suspension exists, so any dose to `liquidStepMg` can be measured. */
  liquid?: { rxcui: string; name: string; mgPerMl: number };
  liquidStepMg: number;
  solidRxcuis: string[];
}

const SOLID = /tablet|capsule/i;
const LIQUID = /oral solution|oral suspension|oral concentrate/i;

export function doseGrid(rxcui: string, kb: KnowledgeBase): DoseGrid {
  const products = kb.strengthsByIngredient.get(rxcui) ?? [];
  const solids = products.filter((p) => p.unit === 'MG' && SOLID.test(p.doseForm) && !/extended|delayed|24 hr/i.test(p.doseForm));
  const units = [...new Set(solids.flatMap((p) => [p.value, p.value / 2]))];
  const values = new Set<number>(units);
  for (const a of units) for (const b of units) values.add(a + b);
  const liquidProduct = products.find((p) => p.unit === 'MG/ML' && LIQUID.test(p.doseForm));
  const liquid = liquidProduct
    ? { rxcui: liquidProduct.rxcui, name: kb.products.get(liquidProduct.rxcui)?.name ?? liquidProduct.rxcui, mgPerMl: liquidProduct.value }
    : undefined;
  return {
    values: [...values].map((v) => Math.round(v * 1000) / 1000).sort((a, b) => a - b),
    liquid,
    // 0.1 mL is the finest practical oral-syringe measure.
    liquidStepMg: liquid ? Math.round(liquid.mgPerMl * 0.1 * 1000) / 1000 : 0,
    solidRxcuis: solids.map((p) => p.rxcui),
  };
}

/** The achievable dose nearest to `mg`, strictly below `below` when given (undefined when none is). */
export function roundDose(mg: number, grid: DoseGrid, below?: number): number | undefined {
  const candidates = grid.liquid
    ? [Math.round(mg / grid.liquidStepMg) * grid.liquidStepMg, Math.floor(mg / grid.liquidStepMg) * grid.liquidStepMg]
    : grid.values.length ? grid.values : [Math.round(mg * 2) / 2];
  let best: number | undefined;
  for (const c of candidates) {
    const v = Math.round(c * 1000) / 1000;
    if (v <= 0 || (below !== undefined && v >= below - 1e-9)) continue;
    if (best === undefined || Math.abs(v - mg) < Math.abs(best - mg)) best = v;
  }
  if (best === undefined && below !== undefined && !grid.liquid) {
    const lower = grid.values.filter((v) => v < below - 1e-9);
    best = lower[lower.length - 1];
  }
  return best;
}

/** The achievable dose nearest to `mg`, strictly above `above`. */
export function roundDoseUp(mg: number, grid: DoseGrid, above: number): number {
  const step = grid.liquid ? grid.liquidStepMg : 0;
  const candidates = step ? [Math.round(mg / step) * step, Math.ceil(mg / step) * step] : grid.values.length ? grid.values : [Math.round(mg * 2) / 2];
  let best: number | undefined;
  for (const c of candidates) {
    const v = Math.round(c * 1000) / 1000;
    if (v <= above + 1e-9) continue;
    if (best === undefined || Math.abs(v - mg) < Math.abs(best - mg)) best = v;
  }
  return best ?? mg;
}
