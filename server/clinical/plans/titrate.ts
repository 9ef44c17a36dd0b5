// $titrate: lamotrigine label regimens chosen by co-therapy (valproate / enzyme inducers), else linear or
// hyperbolic (proportional) increases to a target dose.
import type { KnowledgeBase } from '../kb-types.ts';
import { normalizeRegimen } from '../review.ts';
import { ClinicalInputError, type MedicationEntry } from '../types.ts';
import { addDays, buildCarePlan, type DoseStep, type PlanContext, type PlanParams, startDate } from './care-plan.ts';
import { LAMOTRIGINE } from './guidelines.ts';
import { doseGrid, roundDoseUp } from './strengths.ts';
import { currentDose } from './taper.ts';

export type LamotrigineRegimen = keyof typeof LAMOTRIGINE.regimens;

/** Co-therapy decides the regimen; the member lists come from the valproate-lamotrigine and inducer-lamotrigine rules. */
export function lamotrigineRegimen(regimen: MedicationEntry[], medications: fhir4.Medication[], kb: KnowledgeBase): { regimen: LamotrigineRegimen; because?: string } {
  const meds = normalizeRegimen(regimen, medications, kb);
  const valproate = kb.rules.find((r) => r.id === 'valproate-lamotrigine')?.precipitant.members ?? new Set<string>();
  const inducers = kb.rules.find((r) => r.id === 'inducer-lamotrigine')?.precipitant.members ?? new Set<string>();
  const find = (set: Set<string>) => meds.flatMap((m) => m.ingredients).find((i) => set.has(i.rxcui));
  const v = find(valproate);
  if (v) return { regimen: 'with-valproate', because: v.name };
  const ind = find(inducers);
  return ind ? { regimen: 'with-inducer', because: ind.name } : { regimen: 'standard' };
}

function lamotrigineSteps(regimen: LamotrigineRegimen, start: Date, target?: number): DoseStep[] {
  const steps: DoseStep[] = [];
  let at = start;
  for (const s of LAMOTRIGINE.regimens[regimen]) {
    const final = s.days === 0 || (target !== undefined && s.dailyMg >= target);
    steps.push({ start: at, end: final ? undefined : addDays(at, s.days - 1), dailyMg: s.dailyMg, text: s.text });
    if (final) break;
    at = addDays(at, s.days);
  }
  return steps;
}

export function planTitration(request: MedicationEntry, params: PlanParams, context: PlanContext, kb: KnowledgeBase): fhir4.CarePlan {
  const { ingredient, mg } = (() => {
    try {
      return currentDose(request, params, context, kb);
    } catch (e) {
      // A new start has no current dose yet: titrate from zero.
      if (e instanceof ClinicalInputError && /daily dose/.test(e.message)) return { ...currentDose(request, { ...params, currentDose: 0 }, context, kb) };
      throw e;
    }
  })();
  const start = startDate(params, context.now);
  const isLamotrigine = (kb.names.get(LAMOTRIGINE.name) ?? []).includes(ingredient.rxcui);
  const strategy = params.strategy ?? (isLamotrigine ? 'guideline' : 'linear');
  if (strategy === 'guideline' && isLamotrigine) {
    const others = (context.regimen ?? []).filter((e) => e !== request);
    const choice = lamotrigineRegimen(others, context.medications ?? [], kb);
    const steps = lamotrigineSteps(choice.regimen, start, params.targetDose);
    const notes = [
      `Lamotrigine regimen: ${choice.regimen}${choice.because ? ` (co-therapy: ${choice.because})` : ''}.`,
      'Boxed warning: serious rash including SJS/TEN; follow the escalation exactly; stop at the first sign of rash unless clearly not drug-related.',
      'If stopped for more than 5 half-lives, restart at the week-1 dose.',
    ];
    return buildCarePlan({ kind: 'titration', strategy: 'guideline', request, ingredient, steps, notes, source: LAMOTRIGINE.source, now: context.now, patient: context.patient });
  }
  const entry = kb.meds.get(ingredient.rxcui);
  const target = params.targetDose ?? entry?.typicalLowMg ?? undefined;
  if (target === undefined || !(target > mg)) throw new ClinicalInputError(`targetDose must be above the current ${mg} mg/day`);
  if (entry?.maxDailyMg != null && target > entry.maxDailyMg) throw new ClinicalInputError(`targetDose ${target} mg/day exceeds the maximum ${entry.maxDailyMg} mg/day for ${ingredient.name}`);
  const fraction = (params.stepPercent ?? 25) / 100;
  if (!(fraction > 0)) throw new ClinicalInputError('stepPercent must be above 0');
  const interval = Math.max(params.intervalDays ?? 7, 1);
  const grid = doseGrid(ingredient.rxcui, kb);
  const steps: DoseStep[] = [];
  let dose = mg;
  let at = start;
  while (dose < target && steps.length < 100) {
    const raw = strategy === 'hyperbolic' && dose > 0 ? dose * (1 + fraction) : dose + target * fraction;
    const next = raw >= target ? target : Math.min(roundDoseUp(raw, grid, dose), target);
    const final = next >= target;
    steps.push({ start: at, end: final ? undefined : addDays(at, interval - 1), dailyMg: next, text: `${next} mg/day${final ? ' (target)' : ''}` });
    dose = next;
    at = addDays(at, interval);
  }
  const notes = [`${strategy === 'hyperbolic' ? 'Proportional' : 'Linear'} titration from ${mg} to ${target} mg/day every ${interval} days.`];
  if (strategy === 'guideline') notes.push(`No guideline titration for ${ingredient.name} in the knowledge base; a linear schedule is used.`);
  return buildCarePlan({ kind: 'titration', strategy, request, ingredient, steps, notes, source: entry?.doseSource ?? 'Titrate titration schedule', now: context.now, patient: context.patient });
}
