// The patient's medication record for clinical operations: medication entries, referenced Medications and
// Observations, read through the search engine's Patient compartment and held to the caller's access.
import type { FhirContext } from '../context.ts';
import { FhirError } from '../errors.ts';
import { filterVisible } from '../access.ts';
import type { StoredResource } from '../../store/resource-store.ts';

export interface PatientRecord {
  patient: fhir4.Patient;
  medicationRequests: (fhir4.MedicationRequest | fhir4.MedicationStatement)[];
  medications: fhir4.Medication[];
  observations: fhir4.Observation[];
}

/** Upper bound on compartment rows read per type, so one request cannot page through an unbounded record. */
const MAX_ROWS = 5000;

async function compartmentRows(ctx: FhirContext, patientId: string, type: string): Promise<StoredResource[]> {
  const rows: StoredResource[] = [];
  let params: [string, string][] = [['_count', '1000']];
  while (rows.length < MAX_ROWS) {
    const page = await ctx.search.search(ctx.store, { type, params, compartment: { type: 'Patient', id: patientId }, strict: true });
    rows.push(...page.matches);
    if (!page.next) break;
    params = page.next;
  }
  return filterVisible(ctx, rows, 'search');
}

function parseAll<T>(rows: StoredResource[]): T[] {
  return rows.map((r) => JSON.parse(r.json!) as T);
}

/** Medications named by `medicationReference` that are stored here (contained ones travel with their entry). */
async function referencedMedications(ctx: FhirContext, entries: (fhir4.MedicationRequest | fhir4.MedicationStatement)[]): Promise<fhir4.Medication[]> {
  const ids = new Set<string>();
  for (const e of entries) {
    const ref = e.medicationReference?.reference;
    const m = ref ? /^(?:.*\/)?Medication\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
    if (m) ids.add(m[1]);
  }
  const rows = await ctx.store.readMany('Medication', [...ids]);
  return parseAll<fhir4.Medication>(filterVisible(ctx, rows, 'read'));
}

export async function loadPatientRecord(ctx: FhirContext, patientId: string): Promise<PatientRecord> {
  const stored = await ctx.store.read('Patient', patientId);
  if (!stored || stored.deleted || !stored.json) throw new FhirError('not-found', `Patient/${patientId} is not known`);
  const [requests, statements, observations] = await Promise.all(
    ['MedicationRequest', 'MedicationStatement', 'Observation'].map((t) => compartmentRows(ctx, patientId, t)),
  );
  const medicationRequests = [
    ...parseAll<fhir4.MedicationRequest>(requests),
    ...parseAll<fhir4.MedicationStatement>(statements),
  ];
  return {
    patient: JSON.parse(stored.json) as fhir4.Patient,
    medicationRequests,
    medications: await referencedMedications(ctx, medicationRequests),
    observations: parseAll<fhir4.Observation>(observations),
  };
}
