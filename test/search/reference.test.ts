// Reference search (Type/id, id, absolute URLs, :Type, :identifier), chaining, _has, compartments and _list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, DRIVERS, ids, openFixture, type SearchFixture } from './harness.ts';
import { medication, medicationRequest, observation, patient } from './builders.ts';

const FIXTURES = [
  patient('p1', 'Smith', 'Ann', '1950-01-01', { generalPractitioner: [{ reference: 'Practitioner/dr1' }] }),
  patient('p2', 'Jones', 'Bob', '1970-01-01', { link: [{ other: { reference: 'Patient/p1' }, type: 'seealso' }] }),
  { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'House' }] },
  { resourceType: 'Group', id: 'g1', type: 'person', actual: true },
  medication('lith', '197891', 'Lithium carbonate 300 MG'),
  medicationRequest('mr1', 'p1', 'active', 'Medication/lith', '2025-01-01'),
  medicationRequest('mr2', 'p2', 'active', `${BASE}/Medication/lith`, '2025-01-01'),
  medicationRequest('mr3', 'p1', 'stopped', '#m', '2024-01-01', { contained: [medication('m', '312940', 'Sertraline')] }),
  observation('o1', 'p1', '14334-7', 0.8, 'mmol/L', '2025-01-01'),
  observation('o2', 'p2', '44261-6', 20, '{score}', '2025-01-01'),
  observation('o-group', 'x', '14334-7', 1, 'mmol/L', '2025-01-01', { subject: { reference: 'Group/g1' } }),
  observation('o-ext', 'x', '14334-7', 1, 'mmol/L', '2025-01-01', { subject: { reference: 'https://ehr.example/fhir/Patient/p1' } }),
  observation('o-ident', 'x', '14334-7', 1, 'mmol/L', '2025-01-01', { subject: { identifier: { system: 'http://hospital.example/mrn', value: 'M1' } } }),
  { resourceType: 'List', id: 'watch', status: 'current', mode: 'working', entry: [{ item: { reference: 'Patient/p2' } }] },
];

describe.each(DRIVERS.map((d) => [d.name, d] as const))('reference search on %s', (_, dc) => {
  let f: SearchFixture;
  beforeAll(async () => (f = await openFixture(dc, FIXTURES)));
  afterAll(() => f.close());

  it('matches Type/id, a bare id and an absolute URL under the server base', async () => {
    expect(await ids(f, 'Observation', 'subject=Patient/p1')).toEqual(['o1']);
    expect(await ids(f, 'Observation', 'patient=p1')).toEqual(['o1']);
    expect(await ids(f, 'Observation', `patient=${encodeURIComponent(`${BASE}/Patient/p1`)}`)).toEqual(['o1']);
  });
  it('indexes absolute references under the base as local ones', async () => {
    expect(await ids(f, 'MedicationRequest', 'medication=Medication/lith')).toEqual(['mr1', 'mr2']);
  });
  it('matches references outside the server by their URL only', async () => {
    expect(await ids(f, 'Observation', `subject=${encodeURIComponent('https://ehr.example/fhir/Patient/p1')}`)).toEqual(['o-ext']);
  });
  it('patient= only matches subjects that are patients; :Type restricts the target type', async () => {
    expect(await ids(f, 'Observation', 'patient=g1')).toEqual([]);
    expect(await ids(f, 'Observation', 'subject:Group=g1')).toEqual(['o-group']);
    expect(await ids(f, 'Observation', 'subject=g1')).toEqual(['o-group']);
  });
  it(':identifier matches a logical reference', async () => {
    expect(await ids(f, 'Observation', 'subject:identifier=http://hospital.example/mrn|M1')).toEqual(['o-ident']);
  });
  it(':missing is true for a reference that is absent', async () => {
    expect(await ids(f, 'Patient', 'general-practitioner:missing=true')).toEqual(['p2']);
  });
  it('chains through a typed reference', async () => {
    expect(await ids(f, 'Observation', 'subject:Patient.name=smi')).toEqual(['o1']);
    expect(await ids(f, 'MedicationRequest', 'medication.code=197891')).toEqual(['mr1', 'mr2']);
  });
  it('chains over several levels', async () => {
    expect(await ids(f, 'Observation', 'patient.general-practitioner:Practitioner.name=house')).toEqual(['o1']);
  });
  it('reverse-chains with _has, also nested', async () => {
    expect(await ids(f, 'Patient', '_has:Observation:patient:code=44261-6')).toEqual(['p2']);
    expect(await ids(f, 'Practitioner', '_has:Patient:general-practitioner:_has:Observation:patient:code=14334-7')).toEqual(['dr1']);
    expect(await ids(f, 'Patient', '_has:MedicationRequest:subject:status=stopped')).toEqual(['p1']);
  });
  it('searches a Patient compartment', async () => {
    expect(await ids(f, 'Observation', '', { compartment: { type: 'Patient', id: 'p1' } })).toEqual(['o1']);
    expect(await ids(f, 'MedicationRequest', 'status=active', { compartment: { type: 'Patient', id: 'p1' } })).toEqual(['mr1']);
    expect(await ids(f, 'Patient', '', { compartment: { type: 'Patient', id: 'p1' } })).toEqual(['p1', 'p2']);
    expect(await ids(f, 'Practitioner', '', { compartment: { type: 'Patient', id: 'p1' } })).toEqual([]);
  });
  it('_list matches the items of a List', async () => {
    expect(await ids(f, 'Patient', '_list=watch')).toEqual(['p2']);
  });
});
