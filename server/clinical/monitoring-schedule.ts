// What is due, what is overdue: every scheduled monitoring check for the current regimen (SPEC §2 "Monitoring").
import type { KnowledgeBase } from './kb-types.ts';
import { indexObservations } from './observations.ts';
import { normalizeRegimen } from './review.ts';
import { clozapineSchedule } from './rules/clozapine-anc.ts';
import { drugLevelSchedule } from './rules/drug-levels.ts';
import { metabolicSchedule } from './rules/metabolic.ts';
import type { MonitoringDue, ReviewInput } from './types.ts';

const ORDER = { overdue: 0, due: 1, ok: 2 } as const;

/** Scheduled checks (drug levels and labs, clozapine ANC, antipsychotic metabolic), overdue first, then by due date. */
export function monitoringSchedule(input: ReviewInput, kb: KnowledgeBase): MonitoringDue[] {
  const meds = normalizeRegimen(input.medicationRequests, input.medications, kb);
  const obs = indexObservations(input.observations);
  return [
    ...drugLevelSchedule(meds, obs, kb, input.now),
    ...clozapineSchedule(meds, obs, kb, input.now),
    ...metabolicSchedule(meds, obs, kb, input.now),
  ].sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.dueDate.getTime() - b.dueDate.getTime());
}
