// Public API of the clinical engine: what fhir/operations and cds/ call. Pure functions of FHIR input + `now`.
export { loadKnowledgeBase, LITHIUM_MOIETY } from './kb.ts';
export type { KnowledgeBase, Ingredient } from './kb-types.ts';
export { RXNORM, LOINC } from './kb-types.ts';
export { normalizeMedication, resolveMedication, lookupRxnormCode, isCurrent } from './normalize.ts';
export { createMedicationResolver, type MedicationResolver } from './medication-resolver.ts';
export { reviewMedications, checkDraftOrders, normalizeRegimen } from './review.ts';
export { findingsToBundle, findingToDetectedIssue, findingKey, stableUuid } from './detected-issue.ts';
export { reconcile, reconcileToParameters, type ReconcileSource, type ReconcileGroup } from './reconcile.ts';
export { sourcesFromParameters, type ReferenceResolver } from './reconcile-input.ts';
export { planTaper } from './plans/taper.ts';
export { planTitration } from './plans/titrate.ts';
export type { PlanParams, PlanContext } from './plans/care-plan.ts';
export { ClinicalInputError, ACT_CODE, FINDING_CODE } from './types.ts';
export type { Finding, FindingKind, Severity, NormalizedMedication, MedicationEntry, ReviewInput } from './types.ts';
export { planParamsFromParameters } from './plan-params.ts';
export { monitoringSchedule } from './monitoring-schedule.ts';
export type { MonitoringDue, DueStatus } from './types.ts';
