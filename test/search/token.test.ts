// Token search: system|code forms, :not, :text, :of-type, :in / :not-in, booleans, identifiers, :missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, ids, openFixture, type SearchFixture } from './harness.ts';
import { LOINC, observation, patient } from './builders.ts';

const FIXTURES = [
  observation('li1', 'p1', '14334-7', 0.8, 'mmol/L', '2025-01-10'),
  observation('li2', 'p1', '14334-7', 1.3, 'mmol/L', '2025-02-10'),
  observation('phq1', 'p1', '44261-6', 12, '{score}', '2025-01-10', {
    code: { coding: [{ system: LOINC, code: '44261-6', display: 'PHQ-9 total score' }], text: 'Patient Health Questionnaire' },
  }),
  observation('local', 'p2', 'X1', 3, '1', '2025-01-10', { code: { coding: [{ code: 'X1' }] }, status: 'preliminary' }),
  observation('nocode', 'p2', '14334-7', 1, '1', '2025-01-10', { code: { text: 'free text only' } }),
  patient('p1', 'Smith', 'Ann', '1950-01-01', {
    active: true,
    identifier: [{ system: 'http://hospital.example/mrn', value: 'MRN-1', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] } }],
  }),
  patient('p2', 'Jones', 'Bob', '1970-01-01', { active: false, identifier: [{ system: 'http://other.example/id', value: 'MRN-1' }] }),
  patient('p3', 'Doe', 'Cy', '1980-01-01'),
  {
    resourceType: 'ValueSet', id: 'mood-labs', url: 'http://titrate.example/ValueSet/mood-labs', status: 'active',
    compose: { include: [{ system: LOINC, concept: [{ code: '14334-7' }, { code: '44261-6' }] }] },
  },
];

describe.each(DRIVERS.map((d) => [d.name, d] as const))('token search on %s', (_, dc) => {
  let f: SearchFixture;
  beforeAll(async () => (f = await openFixture(dc, FIXTURES)));
  afterAll(() => f.close());

  it('matches system|code', async () => {
    expect(await ids(f, 'Observation', `code=${LOINC}|14334-7`)).toEqual(['li1', 'li2']);
  });
  it('matches a code in any system', async () => {
    expect(await ids(f, 'Observation', 'code=X1')).toEqual(['local']);
  });
  it('matches |code only when the coding has no system', async () => {
    expect(await ids(f, 'Observation', 'code=|X1')).toEqual(['local']);
    expect(await ids(f, 'Observation', 'code=|14334-7')).toEqual([]);
  });
  it('matches system| for any code of the system', async () => {
    expect(await ids(f, 'Observation', `code=${LOINC}|`)).toEqual(['li1', 'li2', 'phq1']);
  });
  it('ORs comma-separated values and ANDs repeated parameters', async () => {
    expect(await ids(f, 'Observation', 'code=44261-6,X1')).toEqual(['local', 'phq1']);
    expect(await ids(f, 'Observation', 'code=44261-6,X1&status=final')).toEqual(['phq1']);
  });
  it(':not excludes matches and keeps resources without the element', async () => {
    expect(await ids(f, 'Observation', 'code:not=14334-7')).toEqual(['local', 'nocode', 'phq1']);
  });
  it(':text matches CodeableConcept.text and Coding.display, case- and word-prefix-insensitive', async () => {
    expect(await ids(f, 'Observation', 'code:text=health quest')).toEqual(['phq1']);
    expect(await ids(f, 'Observation', 'code:text=PHQ')).toEqual(['phq1']);
    expect(await ids(f, 'Observation', 'code:text=free')).toEqual(['nocode']);
  });
  it('matches booleans as tokens', async () => {
    expect(await ids(f, 'Patient', 'active=true')).toEqual(['p1']);
    expect(await ids(f, 'Patient', 'active=false')).toEqual(['p2']);
  });
  it('matches identifiers by system|value and value', async () => {
    expect(await ids(f, 'Patient', 'identifier=http://hospital.example/mrn|MRN-1')).toEqual(['p1']);
    expect(await ids(f, 'Patient', 'identifier=MRN-1')).toEqual(['p1', 'p2']);
  });
  it(':of-type matches identifier type system|code|value', async () => {
    expect(await ids(f, 'Patient', 'identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|MRN-1')).toEqual(['p1']);
  });
  it(':in and :not-in use a ValueSet stored on the server', async () => {
    expect(await ids(f, 'Observation', 'code:in=http://titrate.example/ValueSet/mood-labs')).toEqual(['li1', 'li2', 'phq1']);
    expect(await ids(f, 'Observation', 'code:in=ValueSet/mood-labs')).toEqual(['li1', 'li2', 'phq1']);
    expect(await ids(f, 'Observation', 'code:not-in=http://titrate.example/ValueSet/mood-labs')).toEqual(['local', 'nocode']);
  });
  it(':missing finds resources with and without a value', async () => {
    expect(await ids(f, 'Patient', 'active:missing=true')).toEqual(['p3']);
    expect(await ids(f, 'Patient', 'active:missing=false')).toEqual(['p1', 'p2']);
  });
  it('_id matches ids, comma-separated', async () => {
    expect(await ids(f, 'Patient', '_id=p1,p3')).toEqual(['p1', 'p3']);
  });
});
