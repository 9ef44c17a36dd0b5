// Reads a CDS Hooks request (context.draftOrders Bundle, selections, prefetch) into clinical review input.
import type { ReviewInput } from '../clinical/index.ts';

export interface HookContext {
  patientId?: string;
  userId?: string;
  encounterId?: string;
  selections?: string[];
  draftOrders?: fhir4.Bundle;
}

export interface DraftOrders {
  drafts: fhir4.MedicationRequest[];
  /** Medications sent alongside the drafts (Epic orders use medicationReference). */
  medications: fhir4.Medication[];
  /** Drafts named by `selections` (order-select); all drafts when there is no selection. */
  selected: fhir4.MedicationRequest[];
}

function resourcesOf<T extends fhir4.FhirResource['resourceType']>(bundle: fhir4.Bundle | undefined, type: T): Extract<fhir4.FhirResource, { resourceType: T }>[] {
  return (bundle?.entry ?? []).map((e) => e.resource).filter((r): r is Extract<fhir4.FhirResource, { resourceType: T }> => r?.resourceType === type);
}

export function draftOrdersFromContext(context: HookContext): DraftOrders {
  const drafts = resourcesOf(context.draftOrders, 'MedicationRequest');
  const medications = resourcesOf(context.draftOrders, 'Medication');
  const wanted = new Set((context.selections ?? []).map((s) => s.replace(/^MedicationRequest\//, '')));
  const selected = wanted.size ? drafts.filter((d) => d.id && wanted.has(d.id)) : drafts;
  return { drafts, medications, selected };
}

/** Prefetch (or the same searches done by the server) → ReviewInput. Missing prefetch keys give empty lists. */
export function reviewInputFromPrefetch(prefetch: Record<string, fhir4.FhirResource | null | undefined>, now: Date, patientId?: string): ReviewInput {
  const patient = prefetch.patient?.resourceType === 'Patient' ? prefetch.patient : { resourceType: 'Patient' as const, id: patientId };
  const meds = prefetch.medications?.resourceType === 'Bundle' ? prefetch.medications : undefined;
  const obs = prefetch.observations?.resourceType === 'Bundle' ? prefetch.observations : undefined;
  return {
    patient,
    medicationRequests: [...resourcesOf(meds, 'MedicationRequest'), ...resourcesOf(meds, 'MedicationStatement')],
    medications: resourcesOf(meds, 'Medication'),
    observations: resourcesOf(obs, 'Observation'),
    now,
  };
}
