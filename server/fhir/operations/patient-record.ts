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

/**
 * Upper bound on compartment rows read per query, so one request cannot page through an unbounded record. A record
 * past it is refused (too-costly) rather than reviewed in part: a review that silently left out rows could miss the
 * newest level.
 */
const MAX_ROWS = 5000;

export interface RecordOptions {
  /** Only Observations with one of these LOINC codes (in code or component.code) are read; default: all. */
  readonly observationCodes?: readonly string[];
}

async function compartmentRows(ctx: FhirContext, patientId: string, type: string, filter: [string, string][] = []): Promise<StoredResource[]> {
  const rows: StoredResource[] = [];
  let params: [string, string][] = [...filter, ['_count', '1000']];
  for (;;) {
    const page = await ctx.search.search(ctx.store, { type, params, compartment: { type: 'Patient', id: patientId }, strict: true });
    rows.push(...page.matches);
    if (!page.next) break;
    if (rows.length >= MAX_ROWS) throw new FhirError('too-costly', `Patient/${patientId} has more than ${MAX_ROWS} ${type} resources to review; the operation would be incomplete`);
    params = page.next;
  }
  return filterVisible(ctx, rows, 'search');
}

/** The patient's Observations, all of them or those coded (or with a component coded) by the given LOINC codes. */
async function observationRows(ctx: FhirContext, patientId: string, codes: readonly string[] | undefined): Promise<StoredResource[]> {
  if (!codes) return compartmentRows(ctx, patientId, 'Observation');
  if (codes.length === 0) return [];
  // combo-code covers Observation.code and Observation.component.code in one condition. Bare codes keep the value
  // under the search engine's length limit (1,000 characters); a same-looking code of another system is read too
  // and then ignored by the rules, which look at LOINC codings only.
  return compartmentRows(ctx, patientId, 'Observation', [['combo-code', codes.join(',')]]);
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

export async function loadPatientRecord(ctx: FhirContext, patientId: string, opts: RecordOptions = {}): Promise<PatientRecord> {
  const stored = await ctx.store.read('Patient', patientId);
  if (!stored || stored.deleted || !stored.json) throw new FhirError('not-found', `Patient/${patientId} is not known`);
  const [requests, statements, observations] = await Promise.all([
    compartmentRows(ctx, patientId, 'MedicationRequest'),
    compartmentRows(ctx, patientId, 'MedicationStatement'),
    observationRows(ctx, patientId, opts.observationCodes),
  ]);
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
