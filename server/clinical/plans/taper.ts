// $taper: hyperbolic (proportional), linear and guideline (benzodiazepine 2025 joint guideline) dose reductions.
import type { Ingredient, KnowledgeBase } from '../kb-types.ts';
import { createMedicationResolver } from '../medication-resolver.ts';
import { normalizeMedication } from '../normalize.ts';
import { ClinicalInputError, type MedicationEntry, type NormalizedMedication } from '../types.ts';
import { addDays, buildCarePlan, type DoseStep, type PlanContext, type PlanParams, startDate } from './care-plan.ts';
import { ADS_RISK, BZD_GUIDELINE, DIAZEPAM_10MG_EQUIVALENT, HYPERBOLIC } from './guidelines.ts';
import { doseGrid, roundDose } from './strengths.ts';

const MAX_STEPS = 200;

export function isBenzodiazepine(rxcui: string, kb: KnowledgeBase): boolean {
  return !!(kb.classes.get('benzodiazepine')?.has(rxcui) || kb.classes.get('BZD')?.has(rxcui));
}

/** The ingredient being adjusted and its current daily dose. */
export function currentDose(request: MedicationEntry, params: PlanParams, context: PlanContext, kb: KnowledgeBase): { med: NormalizedMedication; ingredient: Ingredient; mg: number } {
  const med = normalizeMedication(request, kb, createMedicationResolver(context.medications ?? []));
  const ingredient = med.ingredients.find((i) => kb.meds.has(i.rxcui)) ?? med.ingredients[0];
  if (!ingredient) throw new ClinicalInputError('the medication could not be normalised to an RxNorm ingredient');
  const mg = params.currentDose ?? med.dailyMg.get(ingredient.rxcui);
  if (mg === undefined || !(mg >= 0)) throw new ClinicalInputError(`no daily dose can be computed for ${ingredient.name}; pass currentDose`);
  return { med, ingredient, mg };
}

interface Schedule {
  fraction: number;
  intervalDays: number;
  proportional: boolean;
  /** Largest reduction per 14 days; a coarser rounded step waits longer (BZD guideline: 25% per 2 weeks). */
  maxFractionPer14Days?: number;
  /** Text appended to each step, e.g. the diazepam equivalent of a benzodiazepine dose. */
  equivalent?: (mg: number) => string;
  notes: string[];
  source: string;
}

function chooseSchedule(ingredient: Ingredient, params: PlanParams, kb: KnowledgeBase): Schedule {
  const pct = params.stepPercent !== undefined ? params.stepPercent / 100 : undefined;
  const bzd = isBenzodiazepine(ingredient.rxcui, kb);
  const strategy = params.strategy ?? (bzd ? 'guideline' : kb.meds.get(ingredient.rxcui)?.className === 'antidepressant' ? 'hyperbolic' : 'linear');
  if (strategy === 'guideline' && bzd) {
    const fraction = Math.min(pct ?? BZD_GUIDELINE.initialStepFraction.high, BZD_GUIDELINE.maxFractionPer14Days);
    const eq = DIAZEPAM_10MG_EQUIVALENT[ingredient.name];
    return {
      fraction, intervalDays: Math.max(params.intervalDays ?? BZD_GUIDELINE.intervalDays.low, 14), proportional: true, source: BZD_GUIDELINE.source,
      maxFractionPer14Days: BZD_GUIDELINE.maxFractionPer14Days,
      equivalent: eq ? (dose) => ` (≈ diazepam ${Math.round((dose / eq.vaDod) * 10 * 100) / 100} mg/day, VA/DoD 2021)` : undefined,
      notes: [
        'Benzodiazepine taper per the 2025 joint guideline: reduce 5-10% of the current dose every 2-4 weeks, not more than 25% every 2 weeks; slow or pause for withdrawal symptoms; do not stop abruptly.',
        eq ? `Diazepam 10 mg ≈ ${ingredient.name} ${eq.vaDod} mg (VA/DoD 2021) or ${eq.ashton} mg (Ashton 2002); a switch to a longer-acting agent may be considered.` : `No diazepam equivalent for ${ingredient.name} in the guideline table.`,
      ],
    };
  }
  if (strategy === 'guideline' || strategy === 'hyperbolic') {
    const risk = ADS_RISK[ingredient.name];
    const fraction = pct ?? (risk === 'low' ? HYPERBOLIC.stepFraction.max : HYPERBOLIC.stepFraction.default);
    const notes = [`Hyperbolic taper: each step removes ${Math.round(fraction * 100)}% of the current dose.`, 'Unverified: the step percentages are a common operationalisation, not a verified source value.'];
    if (strategy === 'guideline' && !risk) notes.push(`No guideline regimen for ${ingredient.name} in the knowledge base; the hyperbolic schedule is used.`);
    if (risk) notes.push(`Discontinuation-syndrome risk for ${ingredient.name}: ${risk} (CCJM table, psychiatry-knowledge.md §5.1).`);
    return { fraction, intervalDays: Math.max(params.intervalDays ?? HYPERBOLIC.intervalDays.default, 1), proportional: true, notes, source: HYPERBOLIC.source };
  }
  return {
    fraction: pct ?? 0.25, intervalDays: Math.max(params.intervalDays ?? 14, 1), proportional: false, source: 'Titrate linear schedule (equal steps of the starting dose); no guideline source',
    notes: ['Linear taper: equal reductions of the starting dose.'],
  };
}

/** Draft CarePlan of dated dose reductions ending at `targetDose` (0 = stop). */
export function planTaper(request: MedicationEntry, params: PlanParams, context: PlanContext, kb: KnowledgeBase): fhir4.CarePlan {
  const { ingredient, mg } = currentDose(request, params, context, kb);
  const target = params.targetDose ?? 0;
  if (!(target >= 0) || target >= mg) throw new ClinicalInputError(`targetDose ${target} must be below the current ${mg} mg/day`);
  const s = chooseSchedule(ingredient, params, kb);
  if (!(s.fraction > 0 && s.fraction < 1)) throw new ClinicalInputError('stepPercent must be between 0 and 100');
  const grid = doseGrid(ingredient.rxcui, kb);
  const minimum = kb.meds.get(ingredient.rxcui)?.typicalLowMg ?? mg;
  const stopBelow = target === 0 ? Math.max(minimum * HYPERBOLIC.stopFractionOfMinimum, grid.liquid ? 0 : grid.values[0] ?? 0) : target;
  const steps: DoseStep[] = [];
  let dose = mg;
  let at = startDate(params, context.now);
  while (dose > target && steps.length < MAX_STEPS) {
    const raw = s.proportional ? dose * (1 - s.fraction) : dose - mg * s.fraction;
    let next = raw <= target || (target === 0 && raw < stopBelow) ? target : roundDose(raw, grid, dose) ?? target;
    if (next < target || (target === 0 && next < stopBelow)) next = target;
    const prev = steps[steps.length - 1];
    if (prev) {
      const fraction = (dose - next) / dose;
      const slowed = s.maxFractionPer14Days && next > 0 && fraction > s.maxFractionPer14Days + 1e-9 ? Math.ceil((14 * fraction) / s.maxFractionPer14Days - 1e-9) : 0;
      at = addDays(prev.start, Math.max(s.intervalDays, slowed));
      prev.end = addDays(at, -1);
    }
    steps.push({ start: at, dailyMg: next, text: next === 0 ? 'stop' : `${next} mg/day${s.equivalent ? s.equivalent(next) : ''}` });
    dose = next;
  }
  const notes = [...s.notes, `Starting dose ${mg} mg/day; ${steps.length} steps of ${s.intervalDays} days (about ${Math.round((steps.length * s.intervalDays) / 30.44)} months).`];
  if (grid.liquid) notes.push(`Sub-tablet doses: ${grid.liquid.name} (RxNorm ${grid.liquid.rxcui}).`);
  else if (grid.values.length) notes.push(`Doses rounded to whole or half units of the RxNorm strengths ${[...new Set(grid.solidRxcuis.map((c) => kb.products.get(c)?.strength[0]?.value ?? 0))].sort((a, b) => a - b).join(', ')} mg.`);
  return buildCarePlan({ kind: 'taper', strategy: params.strategy ?? (s.source === BZD_GUIDELINE.source ? 'guideline' : s.proportional ? 'hyperbolic' : 'linear'), request, ingredient, steps, notes, source: s.source, now: context.now, patient: context.patient });
}
