// Reads `$taper` / `$titrate` input Parameters (strategy, stepPercent, intervalDays, targetDose, start, currentDose).
import type { PlanParams } from './plans/care-plan.ts';
import { ClinicalInputError } from './types.ts';

const STRATEGIES = new Set(['linear', 'hyperbolic', 'guideline']);

export function planParamsFromParameters(params: fhir4.Parameters | undefined): PlanParams {
  const out: PlanParams = {};
  for (const p of params?.parameter ?? []) {
    const num = p.valueDecimal ?? p.valueInteger ?? p.valuePositiveInt ?? p.valueUnsignedInt ?? p.valueQuantity?.value;
    switch (p.name) {
      case 'strategy': {
        const s = p.valueCode ?? p.valueString;
        if (!s || !STRATEGIES.has(s)) throw new ClinicalInputError(`strategy must be linear, hyperbolic or guideline`);
        out.strategy = s as PlanParams['strategy'];
        break;
      }
      case 'stepPercent': out.stepPercent = num; break;
      case 'intervalDays': out.intervalDays = num; break;
      case 'targetDose': out.targetDose = num; break;
      case 'currentDose': out.currentDose = num; break;
      case 'start': out.start = p.valueDate ?? p.valueDateTime; break;
      default: break;
    }
  }
  for (const [k, v] of Object.entries(out)) {
    if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) throw new ClinicalInputError(`${k} must be a non-negative number`);
  }
  if (out.start && Number.isNaN(Date.parse(out.start))) throw new ClinicalInputError('start must be a date');
  return out;
}
