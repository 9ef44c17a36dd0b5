// Quantity (prefixes, units, UCUM normalisation), number, uri (:above, :below) and composite search.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, ids, openFixture, type SearchFixture } from './harness.ts';
import { LOINC, UCUM, observation } from './builders.ts';

const FIXTURES = [
  observation('li-low', 'p1', '14334-7', 0.4, 'mmol/L', '2025-01-01'),
  observation('li-ok', 'p1', '14334-7', 0.8, 'mmol/L', '2025-02-01'),
  observation('li-high', 'p1', '14334-7', 1.5, 'mmol/L', '2025-03-01'),
  observation('li-umol', 'p1', '14334-7', 900, 'umol/L', '2025-04-01'),
  observation('phq', 'p1', '44261-6', 15, '{score}', '2025-01-01'),
  observation('creat-mg', 'p1', '2160-0', 80, 'mg/dL', '2025-01-01'),
  observation('creat-g', 'p1', '2160-0', 0.8, 'g/L', '2025-01-01'),
  observation('bp', 'p1', '85354-9', undefined, '', '2025-01-01', {
    component: [
      { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 150, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
      { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 70, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' } },
    ],
  }),
  { resourceType: 'RiskAssessment', id: 'ra1', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.25 }] },
  { resourceType: 'RiskAssessment', id: 'ra2', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.8 }] },
  { resourceType: 'ValueSet', id: 'vs1', url: 'http://titrate.example/fhir/ValueSet/mood', status: 'active' },
  { resourceType: 'ValueSet', id: 'vs2', url: 'http://titrate.example/fhir/ValueSet/mood/labs', status: 'active' },
  { resourceType: 'ValueSet', id: 'vs3', url: 'http://other.example/ValueSet/x', status: 'active' },
];

describe.each(DRIVERS.map((d) => [d.name, d] as const))('quantity, number, uri and composite search on %s', (_, dc) => {
  let f: SearchFixture;
  beforeAll(async () => (f = await openFixture(dc, FIXTURES)));
  afterAll(() => f.close());

  it('a bare number matches within its implicit precision', async () => {
    expect(await ids(f, 'Observation', 'value-quantity=0.8')).toEqual(['creat-g', 'li-ok']);
    expect(await ids(f, 'Observation', 'value-quantity=15')).toEqual(['phq']);
  });
  it('prefixes compare values', async () => {
    expect(await ids(f, 'Observation', 'code=14334-7&value-quantity=gt1.2')).toEqual(['li-high', 'li-umol']);
    expect(await ids(f, 'Observation', 'code=14334-7&value-quantity=le0.8')).toEqual(['li-low', 'li-ok']);
    expect(await ids(f, 'Observation', 'code=14334-7&value-quantity=ne0.8')).toEqual(['li-high', 'li-low', 'li-umol']);
    expect(await ids(f, 'Observation', 'code=14334-7&value-quantity=ap1.4')).toEqual(['li-high']);
  });
  it('UCUM units are compared in canonical form (900 umol/L = 0.9 mmol/L; 80 mg/dL = 0.8 g/L)', async () => {
    expect(await ids(f, 'Observation', `value-quantity=ge0.85|${UCUM}|mmol/L`)).toEqual(['li-high', 'li-umol']);
    expect(await ids(f, 'Observation', `value-quantity=0.8|${UCUM}|g/L`)).toEqual(['creat-g', 'creat-mg']);
  });
  it('a unit without a system matches the code as given', async () => {
    expect(await ids(f, 'Observation', 'value-quantity=15||{score}')).toEqual(['phq']);
  });
  it('number parameters compare with precision', async () => {
    expect(await ids(f, 'RiskAssessment', 'probability=gt0.5')).toEqual(['ra2']);
    expect(await ids(f, 'RiskAssessment', 'probability=0.25')).toEqual(['ra1']);
  });
  it('uri matches exactly, :below by path, :above by parent path', async () => {
    expect(await ids(f, 'ValueSet', 'url=http://titrate.example/fhir/ValueSet/mood')).toEqual(['vs1']);
    expect(await ids(f, 'ValueSet', 'url:below=http://titrate.example/fhir/ValueSet/mood')).toEqual(['vs1', 'vs2']);
    expect(await ids(f, 'ValueSet', 'url:above=http://titrate.example/fhir/ValueSet/mood/labs/v2')).toEqual(['vs1', 'vs2']);
  });
  it('code-value-quantity pairs a code with its value', async () => {
    expect(await ids(f, 'Observation', `code-value-quantity=${LOINC}|14334-7$gt1.2`)).toEqual(['li-high', 'li-umol']);
    expect(await ids(f, 'Observation', 'code-value-quantity=44261-6$ge15,14334-7$lt0.5')).toEqual(['li-low', 'phq']);
  });
  it('component-code-value-quantity keeps each component\'s code with its own value', async () => {
    expect(await ids(f, 'Observation', 'component-code-value-quantity=8480-6$gt140')).toEqual(['bp']);
    expect(await ids(f, 'Observation', 'component-code-value-quantity=8462-4$gt140')).toEqual([]);
  });
  it('combo-code-value-quantity covers the observation and its components', async () => {
    expect(await ids(f, 'Observation', 'combo-code-value-quantity=8480-6$gt140,44261-6$15')).toEqual(['bp', 'phq']);
    expect(await ids(f, 'Observation', 'combo-code=8462-4')).toEqual(['bp']);
  });
});
