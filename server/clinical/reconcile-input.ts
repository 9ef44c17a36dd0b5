// Reads `$reconcile` input Parameters (source parts: label, date, list = List or Bundle) into ReconcileSources.
import type { ReconcileSource } from './reconcile.ts';
import type { MedicationEntry } from './types.ts';

export type ReferenceResolver = (ref: string) => fhir4.FhirResource | undefined;

function isEntry(r: fhir4.FhirResource | undefined): r is MedicationEntry {
  return r?.resourceType === 'MedicationRequest' || r?.resourceType === 'MedicationStatement';
}

/** List items are resolved from the List's contained resources, then through `resolve` (stored resources). */
export function sourcesFromParameters(params: fhir4.Parameters, resolve: ReferenceResolver = () => undefined): ReconcileSource[] {
  const out: ReconcileSource[] = [];
  for (const p of params.parameter ?? []) {
    if (p.name !== 'source') continue;
    const part = (n: string) => p.part?.find((x) => x.name === n);
    const label = part('label')?.valueString ?? `source ${out.length + 1}`;
    const date = part('date')?.valueDateTime ?? part('date')?.valueDate;
    const list = part('list')?.resource;
    const entries: MedicationEntry[] = [];
    const medications: fhir4.Medication[] = [];
    let bundle: fhir4.Bundle | undefined;
    if (list?.resourceType === 'Bundle') {
      bundle = list;
      for (const e of list.entry ?? []) {
        if (isEntry(e.resource)) entries.push(e.resource);
        else if (e.resource?.resourceType === 'Medication') medications.push(e.resource);
      }
    } else if (list?.resourceType === 'List') {
      for (const item of list.entry ?? []) {
        const ref = item.item.reference ?? '';
        const r = ref.startsWith('#') ? list.contained?.find((c) => c.id === ref.slice(1)) : resolve(ref);
        if (isEntry(r)) entries.push(r);
      }
      for (const c of list.contained ?? []) if (c.resourceType === 'Medication') medications.push(c);
    }
    out.push({ label, date: date ?? (list?.resourceType === 'List' ? list.date : undefined), entries, medications, bundle });
  }
  return out;
}
