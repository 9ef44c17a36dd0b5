// Normalisation of Epic-, Cerner- and Synthea-shaped medication resources to RxNorm ingredients and daily mg
// (rxnorm-subset.md "Using it for normalisation"; reference/smart-and-ehrs.md §2.4 and §3.4).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createMedicationResolver } from '../../server/clinical/medication-resolver.ts';
import { normalizeMedication } from '../../server/clinical/normalize.ts';
import { reviewMedications } from '../../server/clinical/review.ts';
import { CORPUS_DIR, kb, medReq, NOW, RXNORM, rxcui, scd } from './builders.ts';

const EPIC_TYPE = 'http://epic.com/CodeSystem/dose-rate-type';

function epicOrder(doseAndRate: fhir4.DosageDoseAndRate[]): { order: fhir4.MedicationRequest; medication: fhir4.Medication } {
  const product = scd('citalopram 20 MG Oral Tablet');
  const medication: fhir4.Medication = {
    resourceType: 'Medication', id: 'eXyZ.123-citalopram',
    code: { coding: [{ system: RXNORM, code: rxcui('citalopram'), display: 'citalopram' }, { system: RXNORM, code: product.code, display: product.display }, { system: 'urn:oid:2.16.840.1.113883.6.253', code: '12345' }], text: 'citalopram 20 mg tablet' },
  };
  const order: fhir4.MedicationRequest = {
    resourceType: 'MedicationRequest', id: 'eRp.HuKDlKB8MhAkzHFthQQ3', status: 'active', intent: 'order',
    subject: { reference: 'Patient/e1' }, medicationReference: { reference: 'Medication/eXyZ.123-citalopram', display: 'citalopram 20 mg tablet' },
    dosageInstruction: [{
      text: 'Take 2 tablets by mouth daily.', timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, asNeededBoolean: false,
      route: { coding: [{ system: 'urn:oid:1.2.840.114350.1.13.0.1.7.4.798268.7025', code: '15', display: 'Oral' }], text: 'Oral' },
      doseAndRate,
    }],
  };
  return { order, medication };
}

const epicRows = [
  {
    name: 'three typed doseAndRate entries (calculated, admin-amount, ordered) → the ordered mg',
    doseAndRate: [
      { type: { coding: [{ system: EPIC_TYPE, code: 'calculated' }] }, doseQuantity: { value: 40, unit: 'mg', code: 'mg' } },
      { type: { coding: [{ system: EPIC_TYPE, code: 'admin-amount' }] }, doseQuantity: { value: 2, unit: 'tablet', code: '{tbl}' } },
      { type: { coding: [{ system: EPIC_TYPE, code: 'ordered' }] }, doseQuantity: { value: 40, unit: 'mg', code: 'mg' } },
    ],
    mg: 40,
  },
  {
    name: 'only admin-amount in tablets → tablets × SCD strength (20 MG)',
    doseAndRate: [{ type: { coding: [{ system: EPIC_TYPE, code: 'admin-amount' }] }, doseQuantity: { value: 2, unit: 'tablet', code: '{tbl}' } }],
    mg: 40,
  },
  {
    name: 'doseRange 1-2 tablets → the high end for safety checks',
    doseAndRate: [{ doseRange: { low: { value: 1, unit: 'tablet' }, high: { value: 2, unit: 'tablet' } } }],
    mg: 40,
  },
];

describe('Epic-shaped MedicationRequest (medicationReference, reference/smart-and-ehrs.md §2.4)', () => {
  test.each(epicRows)('$name', (row) => {
    const { order, medication } = epicOrder(row.doseAndRate);
    const n = normalizeMedication(order, kb(), createMedicationResolver([medication]));
    expect(n.ingredients.map((i) => i.rxcui)).toEqual([rxcui('citalopram')]);
    expect(n.confidence).toBe('code');
    expect(n.dailyMg.get(rxcui('citalopram'))).toBe(row.mg);
    expect(n.product?.rxcui).toBe(scd('citalopram 20 MG Oral Tablet').code);
  });

  test('the review of a 70-year-old sees the Epic order at 40 mg/day (citalopram age maximum)', () => {
    const { order, medication } = epicOrder(epicRows[0].doseAndRate);
    const findings = reviewMedications({ patient: { resourceType: 'Patient', birthDate: '1955-02-01' }, medicationRequests: [order], medications: [medication], observations: [], now: NOW }, kb());
    expect(findings.map((f) => f.code.code)).toEqual(['DOSEHINDA']);
  });

  test('a Medication in the same Bundle resolves by urn:uuid fullUrl', () => {
    const { order, medication } = epicOrder(epicRows[0].doseAndRate);
    order.medicationReference = { reference: 'urn:uuid:2f1c1a9e-0000-4000-8000-000000000001' };
    const bundle: fhir4.Bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:2f1c1a9e-0000-4000-8000-000000000001', resource: { ...medication, id: undefined } }] };
    expect(normalizeMedication(order, kb(), createMedicationResolver([], bundle)).ingredients[0]?.name).toBe('citalopram');
  });
});

describe('Cerner-shaped MedicationRequest (reference/smart-and-ehrs.md §3.4)', () => {
  test('medicationCodeableConcept with an RxNorm coding plus a synonym coding (userSelected)', () => {
    const product = scd('sertraline 50 MG Oral Tablet');
    const order: fhir4.MedicationRequest = {
      resourceType: 'MedicationRequest', id: '313757847', status: 'active', intent: 'order', subject: { reference: 'Patient/12724066' },
      reportedBoolean: true,
      medicationCodeableConcept: {
        coding: [
          { system: RXNORM, code: product.code, display: product.display, userSelected: false },
          { system: 'https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/synonym', code: '2749633', display: 'sertraline', userSelected: true },
        ],
        text: 'sertraline (sertraline 50 mg oral tablet)',
      },
      dosageInstruction: [{ text: '100 mg, PO, BID', timing: { code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation', code: 'BID' }], text: 'BID' } }, doseAndRate: [{ doseQuantity: { value: 100, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }] }],
    };
    const n = normalizeMedication(order, kb());
    expect(n.ingredients.map((i) => i.name)).toEqual(['sertraline']);
    expect(n.dailyMg.get(rxcui('sertraline'))).toBe(200);
  });

  test('contained Medication (#id) with ingredient itemCodeableConcept and a Cerner synonym', () => {
    const order: fhir4.MedicationRequest = {
      resourceType: 'MedicationRequest', id: '313757850', status: 'active', intent: 'order', subject: { reference: 'Patient/12724066' },
      contained: [{
        resourceType: 'Medication', id: '21268149',
        ingredient: [{
          itemCodeableConcept: { coding: [{ system: RXNORM, code: rxcui('valproate'), display: 'valproate' }, { system: 'https://fhir.cerner.com/ec2458f2/synonym', code: '2750049' }], text: 'valproate sodium' },
          strength: { numerator: { value: 500, unit: 'mg' }, denominator: { value: 100, unit: 'mL' } },
        }],
      }],
      medicationReference: { reference: '#21268149', display: 'valproate sodium 500 mg in 100 mL IV' },
      dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 8, periodUnit: 'h' } }, doseAndRate: [{ doseQuantity: { value: 500, unit: 'mg', code: 'mg', system: 'http://unitsofmeasure.org' } }] }],
    };
    const n = normalizeMedication(order, kb(), createMedicationResolver([]));
    expect(n.ingredients.map((i) => i.rxcui)).toEqual([rxcui('valproate')]);
    expect(n.dailyMg.get(rxcui('valproate'))).toBe(1500);
  });
});

describe('codes, salts and text', () => {
  const rows = [
    { name: 'SBD (Zoloft) rolls up to sertraline', code: scd('sertraline 100 MG Oral Tablet [Zoloft]').code, text: 'Zoloft 100', ingredient: 'sertraline', confidence: 'code' },
    { name: 'divalproex SCD rolls up to valproate 40254', code: scd('divalproex sodium 500 MG Delayed Release Oral Tablet').code, text: 'Depakote', ingredient: 'valproate', confidence: 'code' },
    { name: 'PIN valproic acid 11118 rolls up to valproate (ingredientVariants)', code: '11118', text: 'valproic acid', ingredient: 'valproate', confidence: 'code' },
    { name: 'lithium citrate 52105 is the lithium moiety 42351 (rxnorm-subset.md §3)', code: '52105', text: 'lithium citrate', ingredient: 'lithium carbonate', confidence: 'code' },
    { name: 'BN Celexa maps to citalopram', code: scd('citalopram 20 MG Oral Tablet [Celexa]').code, text: 'Celexa', ingredient: 'citalopram', confidence: 'code' },
    { name: 'text only "Lithobid 300 mg" matches by brand name, low confidence', code: undefined, text: 'Lithobid 300 mg ER tab', ingredient: 'lithium carbonate', confidence: 'name' },
    { name: 'unknown code falls back to the display text', code: '99999999', text: 'Seroquel 25 mg', ingredient: 'quetiapine', confidence: 'name' },
  ];
  test.each(rows)('$name', (row) => {
    const r = medReq('sertraline', { mg: 50 });
    r.medicationCodeableConcept = row.code ? { coding: [{ system: RXNORM, code: row.code }], text: row.text } : { text: row.text };
    const n = normalizeMedication(r, kb());
    expect(n.ingredients.map((i) => i.name)).toEqual([row.ingredient]);
    expect(n.confidence).toBe(row.confidence);
  });

  test('a name match says so in the finding detail', () => {
    const a = medReq('sertraline', { mg: 50 });
    const b = medReq('phenelzine', { mg: 45 });
    b.medicationCodeableConcept = { text: 'Nardil 15 mg tid' };
    const f = reviewMedications({ patient: { resourceType: 'Patient' }, medicationRequests: [a, b], medications: [], observations: [], now: NOW }, kb());
    expect(f[0].ruleId).toBe('MAOI-SSRI');
    expect(f[0].detail).toContain('low confidence');
  });
});

describe('Synthea corpus (synthea-smart-r4-mental-health-subset)', () => {
  const dir = join(CORPUS_DIR, 'bundles');
  const load = (prefix: string) => {
    const file = readdirSync(dir).find((f) => f.startsWith(prefix));
    if (!file) throw new Error(`no corpus bundle ${prefix}`);
    const bundle = JSON.parse(readFileSync(join(dir, file), 'utf8')) as fhir4.Bundle;
    return bundle.entry!.map((e) => e.resource!);
  };
  const requests = (resources: fhir4.FhirResource[]) => resources.filter((r): r is fhir4.MedicationRequest => r.resourceType === 'MedicationRequest');

  const rows = [
    { patient: 'Eliseo_Cummings', display: 'Sertraline 100MG', ingredient: 'sertraline', mg: 100, confidence: 'code', cite: 'index.json: PTSD + sertraline 328670 (an SCDC code)' },
    { patient: 'Milan_Beatty', display: 'Fluoxetine 25MG', ingredient: 'fluoxetine', mg: 25, confidence: 'code', cite: 'index.json: depression + fluoxetine 406022 (an SCDC code)' },
    { patient: 'Alberto_Atencio', display: 'Carbamazepine[Tegretol]', ingredient: 'carbamazepine', mg: undefined, confidence: 'code', cite: 'SBD 308971 [Tegretol]' },
    { patient: 'Alberto_Atencio', display: 'Clonazepam [Klonopin]', ingredient: 'clonazepam', mg: undefined, confidence: 'name', cite: '1153378 is not in rxnorm-subset (no SCD/SBD/BN): brand name match' },
  ];
  test.each(rows)('$patient: $display → $ingredient ($cite)', (row) => {
    const r = requests(load(row.patient)).find((m) => m.medicationCodeableConcept?.text === row.display && m.status === 'active')!;
    const n = normalizeMedication(r, kb());
    expect(n.ingredients.map((i) => i.name)).toEqual([row.ingredient]);
    expect(n.confidence).toBe(row.confidence);
    expect(n.dailyMg.get(n.ingredients[0].rxcui)).toBe(row.mg);
  });

  test('Roberto_Graham: active sertraline + naproxen gives SSRI/SNRI-bleeding (unverified rule)', () => {
    const resources = load('Roberto_Graham');
    const patient = resources.find((r): r is fhir4.Patient => r.resourceType === 'Patient')!;
    const findings = reviewMedications({ patient, medicationRequests: requests(resources), medications: [], observations: [], now: new Date('2020-06-01T00:00:00Z') }, kb());
    const bleeding = findings.find((f) => f.ruleId === 'SSRI/SNRI-bleeding');
    expect(bleeding?.medications.map((m) => m.ingredients[0].name).sort()).toEqual(['naproxen', 'sertraline']);
    expect(bleeding?.verified).toBe(false);
  });
});

describe('MedicationStatement', () => {
  test('a patient-reported statement counts: effectivePeriod start and dosage give the regimen', () => {
    const statement: fhir4.MedicationStatement = {
      resourceType: 'MedicationStatement', id: 'ms1', status: 'active', subject: { reference: 'Patient/p1' },
      medicationCodeableConcept: { coding: [{ system: RXNORM, ...scd('lithium carbonate 300 MG Oral Capsule') }] },
      effectivePeriod: { start: '2025-01-10' },
      dosage: [{ timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: 'capsule', code: '{capsule}' } }] }],
    };
    const n = normalizeMedication(statement, kb());
    expect([n.ingredients[0].name, n.dailyMg.get(rxcui('lithium carbonate')), n.start?.toISOString().slice(0, 10)]).toEqual(['lithium carbonate', 900, '2025-01-10']);
    const findings = reviewMedications({ patient: { resourceType: 'Patient' }, medicationRequests: [statement, medReq('ibuprofen', { mg: 1200 })], medications: [], observations: [], now: NOW }, kb());
    expect(findings.map((f) => f.ruleId)).toContain('lithium-NSAID');
  });
});
