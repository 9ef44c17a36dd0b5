// Small resource builders for the search suites: each fixture states only what a test searches on.
type R = Record<string, unknown>;

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

export function patient(id: string, family: string, given: string, birthDate: string, extra: R = {}): R {
  return { resourceType: 'Patient', id, name: [{ family, given: [given] }], birthDate, gender: 'female', ...extra };
}

export function observation(id: string, subject: string, code: string, value: number | undefined, unit: string, effective: string, extra: R = {}): R {
  return {
    resourceType: 'Observation', id, status: 'final',
    code: { coding: [{ system: LOINC, code, display: `LOINC ${code}` }] },
    subject: { reference: `Patient/${subject}` },
    effectiveDateTime: effective,
    ...(value === undefined ? {} : { valueQuantity: { value, unit, system: UCUM, code: unit } }),
    ...extra,
  };
}

export function medication(id: string, rxnorm: string, display: string): R {
  return { resourceType: 'Medication', id, code: { coding: [{ system: RXNORM, code: rxnorm, display }], text: display } };
}

export function medicationRequest(id: string, subject: string, status: string, medication: string, authoredOn: string, extra: R = {}): R {
  return {
    resourceType: 'MedicationRequest', id, status, intent: 'order',
    subject: { reference: `Patient/${subject}` },
    medicationReference: { reference: medication },
    authoredOn,
    ...extra,
  };
}
