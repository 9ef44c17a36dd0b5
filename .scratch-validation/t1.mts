import { createValidator } from '/work/main/server/validation/validator.ts';
import { readFileSync } from 'node:fs';
const t0 = Date.now();
const v = await createValidator();
console.log('start ms', Date.now() - t0);
const dir = '/work/main/node_modules/hl7.fhir.r4.examples/';
for (const f of ['MedicationRequest-medrx0302.json', 'Observation-example.json', 'Patient-example.json', 'CarePlan-example.json']) {
  const r = JSON.parse(readFileSync(dir + f, 'utf8'));
  console.log(f, JSON.stringify(v.validate(r), null, 0));
}
const bad = { resourceType: 'MedicationRequest', subject: { reference: 'Patient/1' }, foo: 1, dosageInstruction: [{ timing: { repeat: { duration: 3 } } }], medicationCodeableConcept: {} };
console.log(JSON.stringify(v.validate(bad), null, 1));
