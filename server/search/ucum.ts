// UCUM normalisation for quantity search: simple metric units to one canonical unit per dimension
// (https://ucum.org/ucum; https://hl7.org/fhir/R4/search.html#quantity "canonical units").
export const UCUM = 'http://unitsofmeasure.org';

const PREFIX: Record<string, number> = { '': 1, k: 1e3, d: 1e-1, c: 1e-2, m: 1e-3, u: 1e-6, n: 1e-9, p: 1e-12 };
const BASE: Record<string, string> = { g: 'g', L: 'L', l: 'L', mol: 'mol', eq: 'eq', 'U': 'U', IU: '[iU]', '[iU]': '[iU]' };
const TIME: Record<string, number> = { s: 1, min: 60, h: 3600, d: 86400, wk: 604800, mo: 2629800, a: 31557600, ms: 1e-3 };

function atom(unit: string): [number, string] | undefined {
  if (TIME[unit] !== undefined) return [TIME[unit], 's'];
  if (BASE[unit]) return [1, BASE[unit]];
  const p = unit[0];
  if (PREFIX[p] !== undefined && BASE[unit.slice(1)]) return [PREFIX[p], BASE[unit.slice(1)]];
  return undefined;
}

/** Converts value+UCUM code to the canonical unit; undefined when the unit is not a simple one. */
export function normaliseUcum(value: number, code: string): { value: number; code: string } | undefined {
  const parts = code.split('/');
  if (parts.length > 2) return undefined;
  const num = atom(parts[0]);
  if (!num) return undefined;
  if (parts.length === 1) return { value: round(value * num[0]), code: num[1] };
  const den = atom(parts[1]);
  if (!den) return undefined;
  return { value: round((value * num[0]) / den[0]), code: `${num[1]}/${den[1]}` };
}

/** 12 significant digits: 80 mg/dL and 0.8 g/L must compare equal. */
function round(x: number): number {
  return Number(x.toPrecision(12));
}
