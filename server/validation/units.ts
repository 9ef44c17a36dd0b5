// Just enough UCUM to compare quantities against limits in another unit of the same dimension
// (https://ucum.org/ucum): length and mass, the units profiles and questionnaires use for limits.

const FACTORS: Record<string, [dimension: string, factor: number]> = {
  m: ['length', 1], km: ['length', 1000], cm: ['length', 0.01], mm: ['length', 0.001],
  '[mi_i]': ['length', 1609.344], '[in_i]': ['length', 0.0254], '[ft_i]': ['length', 0.3048],
  kg: ['mass', 1000], g: ['mass', 1], mg: ['mass', 0.001], ug: ['mass', 1e-6], '[lb_av]': ['mass', 453.59237],
};

export const UCUM = 'http://unitsofmeasure.org';

export interface QuantityLike {
  value?: number;
  system?: string;
  code?: string;
}

/**
 * a − b for two quantities: same system and code compare directly, UCUM length/mass convert;
 * 'incomparable' when either has no coded unit or the dimensions differ.
 */
export function compareQuantities(a: QuantityLike, b: QuantityLike): number | 'incomparable' {
  if (typeof a.value !== 'number' || typeof b.value !== 'number') return 'incomparable';
  if (!a.code || !b.code) return 'incomparable';
  if (a.code === b.code && a.system === b.system) return a.value - b.value;
  if (a.system !== UCUM || b.system !== UCUM) return 'incomparable';
  const x = FACTORS[a.code];
  const y = FACTORS[b.code];
  if (!x || !y || x[0] !== y[0]) return 'incomparable';
  return a.value * x[1] - b.value * y[1];
}
