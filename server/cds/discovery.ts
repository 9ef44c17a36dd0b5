// CDS Hooks 2.0 discovery document for Titrate's order-select / order-sign services
// (https://cds-hooks.hl7.org/2.0/#discovery; reference/smart-and-ehrs.md §8).

export interface CdsService {
  hook: string;
  id: string;
  title: string;
  description: string;
  prefetch: Record<string, string>;
  usageRequirements?: string;
}

/** Prefetch keys the services read; the same keys are used by reviewInputFromPrefetch. */
export const PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  medications: 'MedicationRequest?patient={{context.patientId}}&status=active&_include=MedicationRequest:medication',
  observations: 'Observation?patient={{context.patientId}}&_sort=-date&_count=100',
} as const;

export const SERVICE_IDS = { orderSelect: 'titrate-order-select', orderSign: 'titrate-order-sign' } as const;

export function cdsDiscovery(): { services: CdsService[] } {
  const usage = 'Needs read access to the patient\'s MedicationRequests, Medications and Observations (or the prefetch).';
  return {
    services: [
      {
        hook: 'order-select', id: SERVICE_IDS.orderSelect, title: 'Titrate psychotropic order check',
        description: 'Interactions, duplicate therapy, dose above label or age maximum and overdue monitoring for the selected psychotropic orders.',
        prefetch: { ...PREFETCH }, usageRequirements: usage,
      },
      {
        hook: 'order-sign', id: SERVICE_IDS.orderSign, title: 'Titrate psychotropic order-sign check',
        description: 'The same checks as titrate-order-select on every draft order before it is signed.',
        prefetch: { ...PREFETCH }, usageRequirements: usage,
      },
    ],
  };
}
