// Validation throughput: MedicationRequests/s through schema, core definitions and the Titrate profile
// on one core. Run: `tsx bench/validation.ts`.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createValidator } from '../server/validation/validator.ts';

const PROFILE = 'http://titrate.health/fhir/StructureDefinition/titrate-medicationrequest';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const UCUM = 'http://unitsofmeasure.org';

/** a varied set: generated psychotropic orders plus the 40 official MedicationRequest examples */
function medicationRequests(): Record<string, unknown>[] {
  const drugs = [['36437', 'sertraline', 50], ['2556', 'citalopram', 20], ['6448', 'lithium', 300], ['2626', 'clozapine', 100], ['28439', 'lamotrigine', 25]] as const;
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 200; i++) {
    const [code, name, mg] = drugs[i % drugs.length];
    out.push({
      resourceType: 'MedicationRequest',
      id: `bench-${i}`,
      meta: { profile: [PROFILE] },
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { coding: [{ system: RXNORM, code, display: name }], text: name },
      subject: { reference: `Patient/p${i % 50}` },
      authoredOn: `2026-01-${String((i % 28) + 1).padStart(2, '0')}`,
      requester: { reference: 'Practitioner/dr1', display: 'Dr One' },
      dosageInstruction: [
        {
          sequence: 1,
          text: `${name} ${mg} mg daily`,
          timing: { repeat: { frequency: 1 + (i % 2), period: 1, periodUnit: 'd' } },
          route: { coding: [{ system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' }] },
          doseAndRate: [{ doseQuantity: { value: mg, unit: 'mg', system: UCUM, code: 'mg' } }],
        },
      ],
      dispenseRequest: { numberOfRepeatsAllowed: 2, quantity: { value: 30, unit: 'tablet' }, expectedSupplyDuration: { value: 30, unit: 'days', system: UCUM, code: 'd' } },
    });
  }
  const examples = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
  for (const f of readdirSync(examples).filter((x) => x.startsWith('MedicationRequest-'))) {
    const r = JSON.parse(readFileSync(join(examples, f), 'utf8'));
    r.meta = { ...(r.meta ?? {}), profile: [PROFILE] };
    out.push(r);
  }
  return out;
}

export async function benchValidation(opts: { seconds?: number } = {}): Promise<{ resourcesPerSec: number; startMs: number; errorsPerResource: number }> {
  const t0 = performance.now();
  const validator = await createValidator();
  const startMs = performance.now() - t0;
  const input = medicationRequests();
  let errors = 0;
  for (const r of input) errors += validator.validate(r).filter((i) => i.severity === 'error').length;
  for (let i = 0; i < 2000; i++) validator.validate(input[i % input.length]);
  const until = performance.now() + (opts.seconds ?? 3) * 1000;
  let n = 0;
  const started = performance.now();
  while (performance.now() < until) {
    for (let i = 0; i < 100; i++) validator.validate(input[(n + i) % input.length]);
    n += 100;
  }
  const resourcesPerSec = Math.round(n / ((performance.now() - started) / 1000));
  return { resourcesPerSec, startMs: Math.round(startMs), errorsPerResource: errors / input.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await benchValidation();
  console.log(`validation: ${r.resourcesPerSec} MedicationRequests/s on one core (3 layers); createValidator ${r.startMs} ms; ${r.errorsPerResource.toFixed(2)} errors/resource in the input`);
}
