// Times the pure $medication-review rules for a 30-drug patient with 500 observations (SPEC §8: p99 ≤ 20 ms
// for the HTTP operation; this is the engine share). Run: npx tsx bench/medication-review.ts
import { fileURLToPath } from 'node:url';
import { loadKnowledgeBase, type KnowledgeBase } from '../server/clinical/kb.ts';
import { reviewMedications } from '../server/clinical/review.ts';
import type { ReviewInput } from '../server/clinical/types.ts';

const DATA_DIR = fileURLToPath(new URL('../knowledge/', import.meta.url));
const NOW = new Date('2026-06-15T12:00:00Z');
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/** 30 current entries: psychotropics from psych-meds.json coded by SCD where one exists, plus interacting drugs. */
function buildPatient(kb: KnowledgeBase): ReviewInput {
  const meds = [...kb.meds.values()].slice(0, 24).map((m) => m.rxcui);
  const others = ['ibuprofen', 'lisinopril', 'hydrochlorothiazide', 'oxycodone', 'ciprofloxacin', 'methadone'].map((n) => kb.names.get(n)![0]);
  const requests: fhir4.MedicationRequest[] = [...meds, ...others].map((rxcui, i) => {
    const scd = (kb.strengthsByIngredient.get(rxcui) ?? []).find((p) => p.unit === 'MG' && /Oral Tablet|Oral Capsule/.test(p.doseForm));
    return {
      resourceType: 'MedicationRequest', id: `mr-${i}`, status: 'active', intent: 'order', subject: { reference: 'Patient/bench' },
      authoredOn: new Date(NOW.getTime() - (30 + i * 10) * 86_400_000).toISOString(),
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: scd?.rxcui ?? rxcui }] },
      dosageInstruction: [{ timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet', code: '{tbl}' } }] }],
    };
  });
  const codes = ['14334-7', '4086-5', '751-8', '4548-4', '2093-3', '29463-7', '8480-6', '8636-3', '44261-6', '70274-6', '2160-0', '3016-3'];
  const observations: fhir4.Observation[] = Array.from({ length: 500 }, (_, i) => ({
    resourceType: 'Observation', id: `o-${i}`, status: 'final', subject: { reference: 'Patient/bench' },
    code: { coding: [{ system: 'http://loinc.org', code: codes[i % codes.length] }] },
    effectiveDateTime: new Date(NOW.getTime() - i * 2 * 86_400_000).toISOString(),
    valueQuantity: { value: 1 + (i % 20), unit: 'x' },
  }));
  return { patient: { resourceType: 'Patient', id: 'bench', birthDate: '1950-01-01' }, medicationRequests: requests, medications: [], observations, now: NOW };
}

export async function benchMedicationReview(iterations = 2000): Promise<{ p50: number; p99: number; opsPerSec: number }> {
  const kb = loadKnowledgeBase(DATA_DIR);
  const input = buildPatient(kb);
  for (let i = 0; i < 200; i++) reviewMedications(input, kb);
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    reviewMedications(input, kb);
    times.push(performance.now() - t);
  }
  const total = performance.now() - started;
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { p50: at(0.5), p99: at(0.99), opsPerSec: (iterations / total) * 1000 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchMedicationReview().then((r) => console.log(JSON.stringify(r)));
}
