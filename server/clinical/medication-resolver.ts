// Resolves MedicationRequest.medicationReference: contained `#id`, `Medication/id` (stored or absolute URL)
// or a `urn:uuid:` fullUrl of the same Bundle (Epic sends medicationReference; Cerner contains IV Medications).
import type { MedicationEntry } from './types.ts';

export type MedicationResolver = (ref: fhir4.Reference, owner: MedicationEntry) => fhir4.Medication | undefined;

/** Builds a resolver over known Medications and, optionally, the Bundle the requests came in. */
export function createMedicationResolver(
  medications: fhir4.Medication[] = [],
  bundle?: fhir4.Bundle,
): MedicationResolver {
  const byId = new Map<string, fhir4.Medication>();
  for (const m of medications) if (m.id) byId.set(m.id, m);
  const byFullUrl = new Map<string, fhir4.Medication>();
  for (const e of bundle?.entry ?? []) {
    if (e.resource?.resourceType !== 'Medication') continue;
    const med = e.resource as fhir4.Medication;
    if (e.fullUrl) byFullUrl.set(e.fullUrl, med);
    if (med.id && !byId.has(med.id)) byId.set(med.id, med);
  }
  return (ref, owner) => {
    const target = ref.reference;
    if (!target) return undefined;
    if (target.startsWith('#')) {
      const id = target.slice(1);
      return owner.contained?.find((r): r is fhir4.Medication => r.resourceType === 'Medication' && r.id === id);
    }
    const full = byFullUrl.get(target);
    if (full) return full;
    const hit = /(?:^|\/)Medication\/([^/]+)(?:\/_history\/[^/]+)?$/.exec(target);
    return hit ? byId.get(hit[1]) : undefined;
  };
}
