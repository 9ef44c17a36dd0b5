// isInPatientCompartment over the R4 Patient CompartmentDefinition table.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCompartmentTable } from '../../server/auth/build-compartment-table.ts';
import { isInPatientCompartment, patientCompartmentParams, patientReferencePaths } from '../../server/auth/compartment.ts';

const ref = (r: string) => ({ reference: r });

describe('isInPatientCompartment', () => {
  it.each([
    ['the Patient itself', { resourceType: 'Patient', id: 'p1' }, true],
    ['another Patient', { resourceType: 'Patient', id: 'p2' }, false],
    ['a Patient linked to it (Patient.link.other)', { resourceType: 'Patient', id: 'p9', link: [{ other: ref('Patient/p1'), type: 'seealso' }] }, true],
    ['MedicationRequest.subject', { resourceType: 'MedicationRequest', subject: ref('Patient/p1') }, true],
    ['MedicationRequest of another patient', { resourceType: 'MedicationRequest', subject: ref('Patient/p2') }, false],
    ['Observation.performer naming the patient', { resourceType: 'Observation', subject: ref('Group/g'), performer: [ref('Practitioner/x'), ref('Patient/p1')] }, true],
    ['AllergyIntolerance.patient', { resourceType: 'AllergyIntolerance', patient: ref('Patient/p1') }, true],
    ['Condition.subject (clinical-patient param)', { resourceType: 'Condition', subject: ref('Patient/p1') }, true],
    ['CarePlan.activity.detail.performer', { resourceType: 'CarePlan', subject: ref('Patient/p2'), activity: [{ detail: { performer: [ref('Patient/p1')] } }] }, true],
    ['Appointment.participant.actor', { resourceType: 'Appointment', participant: [{ actor: ref('Practitioner/a') }, { actor: ref('Patient/p1') }] }, true],
    ['Provenance.target', { resourceType: 'Provenance', target: [ref('MedicationRequest/1'), ref('Patient/p1')] }, true],
    ['a versioned reference', { resourceType: 'Encounter', subject: ref('Patient/p1/_history/3') }, true],
    ['a reference with a prefix-matching id', { resourceType: 'Encounter', subject: ref('Patient/p10') }, false],
    ['an absolute reference to another server', { resourceType: 'Encounter', subject: ref('https://other.example/fhir/Patient/p1') }, false],
    ['a type outside the compartment (Medication)', { resourceType: 'Medication', id: 'm1' }, false],
    ['a Practitioner', { resourceType: 'Practitioner', id: 'p1' }, false],
    ['a reference without a string', { resourceType: 'Encounter', subject: { display: 'Patient/p1' } }, false],
    ['not a resource', 'Patient/p1', false],
  ])('%s', (_name, resource, expected) => {
    expect(isInPatientCompartment(resource, 'p1')).toBe(expected);
  });

  it('accepts absolute references on this server when given the base URL', () => {
    const obs = { resourceType: 'Observation', subject: ref('https://titrate.example/fhir/Patient/p1') };
    expect(isInPatientCompartment(obs, 'p1', 'https://titrate.example/fhir')).toBe(true);
  });

  it('exposes the reference paths of a type for the search layer', () => {
    expect(patientReferencePaths('MedicationAdministration')).toEqual(['subject', 'performer.actor']);
    expect(patientReferencePaths('Medication')).toEqual([]);
    expect(patientCompartmentParams('Observation')).toEqual(['subject', 'performer']);
    expect(patientCompartmentParams('AllergyIntolerance')).toEqual(['patient', 'recorder', 'asserter']);
  });

  it('the committed table is what the CompartmentDefinition and SearchParameters give', () => {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
    const compartment = JSON.parse(readFileSync(join(dir, 'CompartmentDefinition-patient.json'), 'utf8'));
    const bundle = JSON.parse(readFileSync(join(dir, 'Bundle-searchParams.json'), 'utf8'));
    const table = buildCompartmentTable(compartment, bundle.entry.map((e: { resource: unknown }) => e.resource));
    const committed = JSON.parse(readFileSync(new URL('../../server/auth/patient-compartment.json', import.meta.url), 'utf8'));
    expect(table).toEqual(committed);
  });
});
