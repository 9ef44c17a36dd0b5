// Dose steps → draft CarePlan (status draft, intent plan) with dated activities (SPEC §4 $taper / $titrate).
import type { Ingredient } from '../kb-types.ts';
import { RXNORM } from '../kb-types.ts';
import type { MedicationEntry } from '../types.ts';

export interface DoseStep {
  start: Date;
  /** Last day of the step; absent for the final (maintenance or stop) step. */
  end?: Date;
  dailyMg: number;
  text: string;
}

export interface PlanParams {
  strategy?: 'linear' | 'hyperbolic' | 'guideline';
  stepPercent?: number;
  intervalDays?: number;
  targetDose?: number;
  start?: string;
  /** Overrides the daily dose computed from the request. */
  currentDose?: number;
}

export interface PlanContext {
  now: Date;
  /** The patient's other current entries (co-therapy decides guideline regimens). */
  regimen?: MedicationEntry[];
  medications?: fhir4.Medication[];
  patient?: fhir4.Reference;
}

export const DAY_MS = 86_400_000;

export function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function addDays(d: Date, n: number): Date {
  return new Date(d.getTime() + n * DAY_MS);
}

export function startDate(params: PlanParams, now: Date): Date {
  const d = params.start ? new Date(params.start) : now;
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export interface CarePlanInit {
  kind: 'taper' | 'titration';
  strategy: string;
  request: MedicationEntry;
  ingredient: Ingredient;
  steps: DoseStep[];
  notes: string[];
  source: string;
  now: Date;
  patient?: fhir4.Reference;
}

export function buildCarePlan(init: CarePlanInit): fhir4.CarePlan {
  const code: fhir4.CodeableConcept = { coding: [{ system: RXNORM, code: init.ingredient.rxcui, display: init.ingredient.name }], text: init.ingredient.name };
  const last = init.steps[init.steps.length - 1];
  const requestRef = init.request.id ? { reference: `${init.request.resourceType}/${init.request.id}` } : undefined;
  return {
    resourceType: 'CarePlan',
    meta: { profile: ['http://titrate.health/fhir/StructureDefinition/titrate-taper-plan'] },
    status: 'draft',
    intent: 'plan',
    title: `${init.ingredient.name} ${init.kind} (${init.strategy})`,
    description: `${init.kind === 'taper' ? 'Taper' : 'Titration'} of ${init.ingredient.name} in ${init.steps.length} steps to ${last?.dailyMg ?? 0} mg/day.`,
    category: [{ text: init.kind === 'taper' ? 'medication taper' : 'medication titration' }],
    subject: init.patient ?? init.request.subject ?? { display: 'unknown patient' },
    created: init.now.toISOString(),
    period: { start: day(init.steps[0]?.start ?? init.now), ...(last ? { end: day(last.start) } : {}) },
    ...(requestRef ? { supportingInfo: [requestRef] } : {}),
    activity: init.steps.map((s, i) => ({
      detail: {
        kind: 'MedicationRequest',
        code,
        status: 'not-started',
        scheduledPeriod: { start: day(s.start), ...(s.end ? { end: day(s.end) } : {}) },
        productCodeableConcept: code,
        dailyAmount: { value: s.dailyMg, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
        description: `Step ${i + 1}: ${s.text}`,
      },
    })),
    note: [...init.notes, `Source: ${init.source}`].map((text) => ({ text })),
  };
}
