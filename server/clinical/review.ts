// $medication-review and $check: every rule over the patient's current regimen (SPEC §4 "Clinical operations").
import type { KnowledgeBase } from './kb-types.ts';
import { sortFindings } from './finding.ts';
import { createMedicationResolver } from './medication-resolver.ts';
import { isCurrent, normalizeMedication } from './normalize.ts';
import { indexObservations } from './observations.ts';
import { findClozapineAnc } from './rules/clozapine-anc.ts';
import { ageInYears, findDoseLimits } from './rules/dose-limits.ts';
import { findDrugLevels } from './rules/drug-levels.ts';
import { findInteractions, findSameIngredient } from './rules/interactions.ts';
import { findMbc } from './rules/mbc.ts';
import { findMetabolic } from './rules/metabolic.ts';
import { findQtc } from './rules/qtc.ts';
import type { Finding, MedicationEntry, NormalizedMedication, ReviewInput } from './types.ts';

/** Normalises the current entries (active, intended, on-hold, plus the given drafts) of a regimen. */
export function normalizeRegimen(entries: MedicationEntry[], medications: fhir4.Medication[], kb: KnowledgeBase, drafts: Set<MedicationEntry> = new Set()): NormalizedMedication[] {
  const resolve = createMedicationResolver(medications);
  return entries.filter((e) => drafts.has(e) || isCurrent(e)).map((e) => {
    const n = normalizeMedication(e, kb, resolve);
    return drafts.has(e) ? { ...n, isDraft: true } : n;
  });
}

/** All findings for the patient's current regimen at `now`. */
export function reviewMedications(input: ReviewInput, kb: KnowledgeBase, drafts: Set<MedicationEntry> = new Set()): Finding[] {
  const meds = normalizeRegimen(input.medicationRequests, input.medications, kb, drafts);
  const obs = indexObservations(input.observations);
  const age = ageInYears(input.patient.birthDate, input.now);
  // Monitoring follows therapy already under way; a draft order has not started yet.
  const started = meds.filter((m) => !m.isDraft);
  return sortFindings([
    ...findInteractions(meds, kb),
    ...findSameIngredient(meds, kb),
    ...findDoseLimits(meds, kb, age),
    ...findDrugLevels(started, obs, kb, input.now),
    ...findClozapineAnc(started, obs, kb, input.now),
    ...findMetabolic(started, obs, kb, input.now),
    ...findQtc(meds, obs, kb),
    ...findMbc(started, obs, kb),
  ]);
}

/**
 * $check: the review computed as if the draft orders were added to the regimen. A draft with the id of an
 * existing order replaces it (a revised order re-signed in order-sign).
 */
export function checkDraftOrders(input: ReviewInput, drafts: fhir4.MedicationRequest[], kb: KnowledgeBase): Finding[] {
  const replaced = new Set(drafts.map((d) => d.id).filter((id): id is string => !!id));
  const existing = input.medicationRequests.filter((e) => !(e.resourceType === 'MedicationRequest' && e.id && replaced.has(e.id)));
  return reviewMedications({ ...input, medicationRequests: [...existing, ...drafts] }, kb, new Set(drafts));
}
