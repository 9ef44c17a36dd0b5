// Builders for instances of each Titrate profile, valid as built; tests break one rule at a time.
import { createValidator, type Validator } from '../../server/validation/validator.ts';

export const SD = 'http://titrate.health/fhir/StructureDefinition/';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
const OBSCAT = 'http://terminology.hl7.org/CodeSystem/observation-category';

let shared: Promise<Validator> | undefined;

/** one validator per test worker: creation costs ~0.5 s and the instance is stateless */
export function sharedValidator(): Promise<Validator> {
  shared ??= createValidator();
  return shared;
}

type R = Record<string, any>;

const text = { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>test</p></div>' };

export function titrateMedicationRequest(overrides: R = {}): R {
  return {
    resourceType: 'MedicationRequest',
    meta: { profile: [`${SD}titrate-medicationrequest`] },
    text,
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: '36437', display: 'sertraline' }] },
    subject: { reference: 'Patient/p1' },
    authoredOn: '2026-01-05',
    requester: { reference: 'Practitioner/dr1' },
    dosageInstruction: [
      {
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: { value: 50, unit: 'mg', system: UCUM, code: 'mg' } }],
      },
    ],
    ...overrides,
  };
}

function observation(profile: string, category: string, code: string, overrides: R): R {
  return {
    resourceType: 'Observation',
    meta: { profile: [`${SD}${profile}`] },
    text,
    status: 'final',
    category: [{ coding: [{ system: OBSCAT, code: category }] }],
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: 'Patient/p1' },
    effectiveDateTime: '2026-01-05T09:00:00Z',
    ...overrides,
  };
}

export function scaleObservation(profile: 'titrate-phq9' | 'titrate-gad7', score: number, overrides: R = {}): R {
  return observation(profile, 'survey', profile === 'titrate-phq9' ? '44261-6' : '70274-6', { valueInteger: score, ...overrides });
}

export function labObservation(profile: string, code: string, value: number, unit: string, overrides: R = {}): R {
  return observation(profile, 'laboratory', code, { valueQuantity: { value, unit, system: UCUM, code: unit }, ...overrides });
}

export function vitalObservation(code: string, value: number, unit: string, overrides: R = {}): R {
  return observation('titrate-metabolic-vital', 'vital-signs', code, { valueQuantity: { value, unit, system: UCUM, code: unit }, ...overrides });
}

export function bloodPressure(overrides: R = {}): R {
  const component = (code: string, value: number) => ({
    code: { coding: [{ system: LOINC, code }] },
    valueQuantity: { value, unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' },
  });
  return observation('titrate-metabolic-vital', 'vital-signs', '85354-9', {
    component: [component('8480-6', 128), component('8462-4', 82)],
    ...overrides,
  });
}

export function taperPlan(overrides: R = {}): R {
  const step = (start: string, mg: number) => ({
    detail: {
      status: 'scheduled',
      productCodeableConcept: { coding: [{ system: RXNORM, code: '36437', display: 'sertraline' }] },
      dailyAmount: { value: mg, unit: 'mg', system: UCUM, code: 'mg' },
      scheduledPeriod: { start },
    },
  });
  return {
    resourceType: 'CarePlan',
    meta: { profile: [`${SD}titrate-taper-plan`] },
    text,
    status: 'draft',
    intent: 'proposal',
    subject: { reference: 'Patient/p1' },
    activity: [step('2026-02-01', 25), step('2026-02-15', 0)],
    ...overrides,
  };
}

export function reconciliationList(overrides: R = {}): R {
  return {
    resourceType: 'List',
    meta: { profile: [`${SD}titrate-reconciliation-list`] },
    text,
    status: 'current',
    mode: 'snapshot',
    code: { coding: [{ system: LOINC, code: '10160-0' }] },
    subject: { reference: 'Patient/p1' },
    date: '2026-01-05T10:00:00Z',
    source: { reference: 'Practitioner/dr1' },
    entry: [{ item: { reference: 'MedicationRequest/m1' } }, { item: { reference: 'MedicationStatement/s1' } }],
    ...overrides,
  };
}

/** structuredClone + a mutation, for table rows */
export function broken(base: R, mutate: (r: R) => void): R {
  const copy = structuredClone(base);
  mutate(copy);
  return copy;
}
