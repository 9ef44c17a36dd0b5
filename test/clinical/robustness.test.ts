// Malformed or unusual input never throws from the review (SPEC §9: hostile input never yields 500).
import { describe, expect, test } from 'vitest';
import { findingsToBundle } from '../../server/clinical/detected-issue.ts';
import { reviewMedications } from '../../server/clinical/review.ts';
import { reconcile } from '../../server/clinical/reconcile.ts';
import { kb, medReq, NOW, RXNORM } from './builders.ts';

const odd = (patch: Record<string, unknown>) => ({ ...medReq('citalopram', { mg: 20 }), ...patch }) as fhir4.MedicationRequest;

const rows = [
  { name: 'no medication at all', entry: odd({ medicationCodeableConcept: undefined }) },
  { name: 'an empty CodeableConcept', entry: odd({ medicationCodeableConcept: {} }) },
  { name: 'an unresolvable medicationReference', entry: odd({ medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/missing' } }) },
  { name: 'a period of 0 days', entry: odd({ dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 0, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 20, code: 'mg' } }] }] }) },
  { name: 'a string dose value', entry: odd({ dosageInstruction: [{ timing: { repeat: { frequency: 1 } }, doseAndRate: [{ doseQuantity: { value: 'twenty', code: 'mg' } }] }] }) },
  { name: 'a negative dose', entry: odd({ dosageInstruction: [{ timing: { repeat: { frequency: 1 } }, doseAndRate: [{ doseQuantity: { value: -5, code: 'mg' } }] }] }) },
  { name: 'an invalid authoredOn', entry: odd({ authoredOn: 'yesterday' }) },
  { name: 'a null dosage line', entry: odd({ dosageInstruction: [null] }) },
  { name: 'a non-RxNorm coding only', entry: odd({ medicationCodeableConcept: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.253', code: '123' }] } }) },
];

describe('robustness', () => {
  test.each(rows)('reviews an order with $name without throwing', ({ entry }) => {
    const input = { patient: { resourceType: 'Patient' as const, birthDate: 'not-a-date' }, medicationRequests: [entry, medReq('sertraline', { mg: 50 })], medications: [], observations: [{ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8636-3' }] }, effectiveDateTime: 'bad', valueQuantity: { value: 'x' } } as unknown as fhir4.Observation], now: NOW };
    const findings = reviewMedications(input, kb());
    expect(() => findingsToBundle(findings, 'Patient/p1', NOW)).not.toThrow();
    expect(findings.every((f) => f.detail.length > 0 && !f.detail.includes('NaN') && !f.detail.includes('Infinity'))).toBe(true);
    expect(() => reconcile([{ label: 'a', entries: [entry] }, { label: 'b', entries: [] }], kb())).not.toThrow();
  });

  test('an unknown RxNorm code is reported as un-normalised, not guessed', () => {
    const f = reviewMedications({ patient: { resourceType: 'Patient' }, medicationRequests: [odd({ medicationCodeableConcept: { coding: [{ system: RXNORM, code: '0' }] } })], medications: [], observations: [], now: NOW }, kb());
    expect(f).toEqual([]);
  });
});
