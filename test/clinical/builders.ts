// Builders for clinical tests: small FHIR resources with RxNorm/LOINC codes taken from the knowledge-base files.
import { fileURLToPath } from 'node:url';
import { loadKnowledgeBase } from '../../server/clinical/kb.ts';
import type { KnowledgeBase } from '../../server/clinical/kb-types.ts';
import type { MedicationEntry, ReviewInput } from '../../server/clinical/types.ts';

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const LOINC = 'http://loinc.org';
export const NOW = new Date('2026-06-15T12:00:00Z');
export const DATA_DIR = fileURLToPath(new URL('../../../shared/reference/data/', import.meta.url));
export const CORPUS_DIR = fileURLToPath(new URL('../../../shared/corpora/synthea-smart-r4-mental-health-subset/', import.meta.url));

let cached: KnowledgeBase | undefined;
/** One knowledge base per test worker (read-only). */
export function kb(): KnowledgeBase {
  return (cached ??= loadKnowledgeBase(DATA_DIR));
}

/** RxNorm ingredient code of a drug, looked up by name in the data files (never typed in by hand). */
export function rxcui(name: string): string {
  const k = kb();
  const hits = k.names.get(name.toLowerCase());
  if (!hits?.length) throw new Error(`no RxNorm ingredient for ${name} in the knowledge base`);
  return hits[0];
}

/** An SCD from rxnorm-subset.json by exact name, e.g. "citalopram 20 MG Oral Tablet". */
export function scd(name: string): { code: string; display: string } {
  for (const p of kb().products.values()) if (p.name === name) return { code: p.rxcui, display: p.name };
  throw new Error(`no RxNorm product named ${name}`);
}

export function daysAgo(days: number, now = NOW): string {
  return new Date(now.getTime() - days * 86_400_000).toISOString();
}

let seq = 0;
export interface MedOptions {
  id?: string;
  /** Daily dose in mg, written as doseQuantity mg once daily (or `perDay` times). */
  mg?: number;
  perDay?: number;
  status?: fhir4.MedicationRequest['status'];
  start?: string;
  /** Use this coding (e.g. an SCD) instead of the ingredient. */
  coding?: { code: string; display: string };
  tablets?: number;
  text?: string;
}

/** MedicationRequest coded with an RxNorm ingredient (or a given product coding). */
export function medReq(drug: string, o: MedOptions = {}): fhir4.MedicationRequest {
  const coding = o.coding ?? { code: rxcui(drug), display: drug };
  const dose: fhir4.Quantity | undefined = o.tablets !== undefined
    ? { value: o.tablets, unit: 'tablet', system: 'http://unitsofmeasure.org', code: '{tbl}' }
    : o.mg !== undefined ? { value: o.mg / (o.perDay ?? 1), unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } : undefined;
  return {
    resourceType: 'MedicationRequest',
    id: o.id ?? `mr-${drug.replace(/\W+/g, '-')}-${++seq}`,
    status: o.status ?? 'active',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    authoredOn: o.start ?? daysAgo(60),
    medicationCodeableConcept: { coding: [{ system: RXNORM, ...coding }], text: o.text ?? coding.display },
    dosageInstruction: dose ? [{
      timing: { repeat: { frequency: o.perDay ?? 1, period: 1, periodUnit: 'd' } },
      doseAndRate: [{ doseQuantity: dose }],
    }] : undefined,
  };
}

export function patient(age: number, now = NOW): fhir4.Patient {
  const y = now.getUTCFullYear() - age;
  return { resourceType: 'Patient', id: 'p1', birthDate: `${y}-01-01`, gender: 'female' };
}

/** Observation with a LOINC code that must exist in the knowledge base (LOINC registry or scale totals). */
export function obs(code: string, value: number, unit: string, effective: string, id?: string): fhir4.Observation {
  const k = kb();
  const display = k.loinc.get(code)?.display ?? k.scaleByLoinc.get(code)?.total?.display;
  if (!display) throw new Error(`LOINC ${code} is not in the knowledge base`);
  return {
    resourceType: 'Observation', id: id ?? `obs-${code}-${++seq}`, status: 'final',
    code: { coding: [{ system: LOINC, code, display }] }, subject: { reference: 'Patient/p1' },
    effectiveDateTime: effective, valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  };
}

export function reviewInput(meds: MedicationEntry[], observations: fhir4.Observation[] = [], age = 45, medications: fhir4.Medication[] = []): ReviewInput {
  return { patient: patient(age), medicationRequests: meds, medications, observations, now: NOW };
}
