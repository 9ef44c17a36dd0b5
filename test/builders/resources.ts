// Builders for small valid resources used across API tests.
let n = 0;

export function patient(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  n++;
  return { resourceType: 'Patient', name: [{ family: `Test${n}`, given: ['Pat'] }], gender: 'female', birthDate: '1980-01-01', ...overrides };
}

export function medicationRequest(patientRef: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'MedicationRequest',
    status: 'active',
    intent: 'order',
    subject: { reference: patientRef },
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '36437', display: 'sertraline' }] },
    authoredOn: '2026-01-05',
    dosageInstruction: [{ timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 50, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }] }],
    ...overrides,
  };
}
