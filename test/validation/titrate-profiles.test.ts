// Titrate profiles (profiles/): valid instances pass; each rule broken once fails at the expected location.
import { describe, expect, it } from 'vitest';
import { isError } from '../../server/validation/types.ts';
import {
  bloodPressure,
  broken,
  labObservation,
  reconciliationList,
  RXNORM,
  scaleObservation,
  sharedValidator,
  taperPlan,
  titrateMedicationRequest,
  vitalObservation,
} from './builders.ts';

type R = Record<string, any>;

interface Row {
  rule: string;
  resource: R;
  expression: string;
  code?: string;
  resolve?: (ref: string) => fhir4.Resource | undefined;
}

const mr = titrateMedicationRequest();
const phq9 = scaleObservation('titrate-phq9', 12);
const gad7 = scaleObservation('titrate-gad7', 9);
const lithium = labObservation('titrate-lithium-level', '14334-7', 0.8, 'mmol/L');
const clozapine = labObservation('titrate-clozapine-level', '6896-5', 420, 'ng/mL');
const valproate = labObservation('titrate-valproate-level', '4086-5', 75, 'ug/mL');
const carbamazepine = labObservation('titrate-carbamazepine-level', '3432-2', 8, 'ug/mL');
const anc = labObservation('titrate-anc', '751-8', 2.1, '10*3/uL');
const a1c = labObservation('titrate-metabolic-lab', '4548-4', 5.6, '%');
const weight = vitalObservation('29463-7', 82, 'kg');
const plan = taperPlan();
const list = reconciliationList();

const valid: [string, R][] = [
  ['MedicationRequest with an RxNorm medicationCodeableConcept', mr],
  [
    'MedicationRequest whose contained Medication carries RxNorm',
    broken(mr, (r) => {
      delete r.medicationCodeableConcept;
      r.contained = [{ resourceType: 'Medication', id: 'med', code: { coding: [{ system: RXNORM, code: '36437' }] } }];
      r.medicationReference = { reference: '#med' };
    }),
  ],
  ['MedicationRequest referencing a Medication that cannot be resolved here', broken(mr, (r) => {
    delete r.medicationCodeableConcept;
    r.medicationReference = { reference: 'Medication/m1' };
  })],
  ['PHQ-9 total 0', scaleObservation('titrate-phq9', 0)],
  ['PHQ-9 total 27', scaleObservation('titrate-phq9', 27)],
  ['PHQ-9 total as a unitless whole-number Quantity', scaleObservation('titrate-phq9', 0, { valueInteger: undefined, valueQuantity: { value: 14, unit: '{score}' } })],
  ['GAD-7 total 21', scaleObservation('titrate-gad7', 21)],
  ['GAD-7 with an extra category besides survey', broken(gad7, (r) => r.category.unshift({ text: 'behavioral' }))],
  ['lithium 0.8 mmol/L', lithium],
  ['lithium trough 74806-1 in mEq/L', labObservation('titrate-lithium-level', '74806-1', 0.9, 'meq/L')],
  ['clozapine 420 ng/mL', clozapine],
  ['valproate 75 ug/mL', valproate],
  ['carbamazepine 8 ug/mL', carbamazepine],
  ['ANC 2.1 10*3/uL', anc],
  ['HbA1c 5.6 %', a1c],
  ['fasting glucose 95 mg/dL', labObservation('titrate-metabolic-lab', '1558-6', 95, 'mg/dL')],
  ['weight 82 kg', weight],
  ['blood pressure panel with systolic and diastolic components', bloodPressure()],
  ['taper plan with dated steps', plan],
  ['reconciled medication list', list],
];

const rows: Row[] = [
  // psychotropic MedicationRequest
  { rule: 'medication SHALL have an RxNorm coding', resource: broken(mr, (r) => (r.medicationCodeableConcept.coding[0].system = 'http://snomed.info/sct')), expression: 'MedicationRequest.medicationCodeableConcept', code: 'invariant' },
  {
    rule: 'a contained Medication SHALL carry RxNorm',
    resource: broken(mr, (r) => {
      delete r.medicationCodeableConcept;
      r.contained = [{ resourceType: 'Medication', id: 'med', code: { text: 'sertraline 50 mg' } }];
      r.medicationReference = { reference: '#med' };
    }),
    expression: 'MedicationRequest.medicationReference',
    code: 'invariant',
  },
  {
    rule: 'a referenced Medication, when resolvable, SHALL carry RxNorm',
    resource: broken(mr, (r) => {
      delete r.medicationCodeableConcept;
      r.medicationReference = { reference: 'Medication/m1' };
    }),
    resolve: (ref) => (ref === 'Medication/m1' ? ({ resourceType: 'Medication', id: 'm1', code: { coding: [{ system: 'http://snomed.info/sct', code: '1' }] } } as fhir4.Medication) : undefined),
    expression: 'MedicationRequest.medicationReference',
    code: 'invariant',
  },
  { rule: 'medication is required', resource: broken(mr, (r) => delete r.medicationCodeableConcept), expression: 'MedicationRequest.medication[x]', code: 'required' },
  { rule: 'dosageInstruction is required', resource: broken(mr, (r) => delete r.dosageInstruction), expression: 'MedicationRequest.dosageInstruction', code: 'required' },
  { rule: 'each dosageInstruction needs a timing', resource: broken(mr, (r) => delete r.dosageInstruction[0].timing), expression: 'MedicationRequest.dosageInstruction[0].timing', code: 'required' },
  { rule: 'each dosageInstruction needs a dose', resource: broken(mr, (r) => delete r.dosageInstruction[0].doseAndRate), expression: 'MedicationRequest.dosageInstruction[0].doseAndRate', code: 'required' },
  { rule: 'doseAndRate needs dose[x]', resource: broken(mr, (r) => (r.dosageInstruction[0].doseAndRate = [{ rateQuantity: { value: 1 } }])), expression: 'MedicationRequest.dosageInstruction[0].doseAndRate[0].dose[x]', code: 'required' },
  { rule: 'requester is required', resource: broken(mr, (r) => delete r.requester), expression: 'MedicationRequest.requester', code: 'required' },
  { rule: 'authoredOn is required', resource: broken(mr, (r) => delete r.authoredOn), expression: 'MedicationRequest.authoredOn', code: 'required' },
  { rule: 'status is required (core)', resource: broken(mr, (r) => delete r.status), expression: 'MedicationRequest.status', code: 'required' },
  { rule: 'intent is required (core)', resource: broken(mr, (r) => delete r.intent), expression: 'MedicationRequest.intent', code: 'required' },
  // PHQ-9 / GAD-7
  { rule: 'PHQ-9 total above 27', resource: scaleObservation('titrate-phq9', 28), expression: 'Observation.valueInteger', code: 'invariant' },
  { rule: 'PHQ-9 total below 0', resource: scaleObservation('titrate-phq9', -1), expression: 'Observation.valueInteger', code: 'invariant' },
  { rule: 'PHQ-9 total not a whole number', resource: scaleObservation('titrate-phq9', 0, { valueInteger: undefined, valueQuantity: { value: 5.5 } }), expression: 'Observation.valueQuantity', code: 'invariant' },
  { rule: 'PHQ-9 code SHALL be LOINC 44261-6', resource: broken(phq9, (r) => (r.code.coding[0].code = '44249-1')), expression: 'Observation.code', code: 'value' },
  { rule: 'PHQ-9 category SHALL include survey', resource: broken(phq9, (r) => (r.category[0].coding[0].code = 'exam')), expression: 'Observation.category', code: 'required' },
  { rule: 'PHQ-9 value is required', resource: broken(phq9, (r) => delete r.valueInteger), expression: 'Observation.value[x]', code: 'required' },
  { rule: 'PHQ-9 subject is required', resource: broken(phq9, (r) => delete r.subject), expression: 'Observation.subject', code: 'required' },
  { rule: 'PHQ-9 effective[x] is required', resource: broken(phq9, (r) => delete r.effectiveDateTime), expression: 'Observation.effective[x]', code: 'required' },
  { rule: 'GAD-7 total above 21', resource: scaleObservation('titrate-gad7', 22), expression: 'Observation.valueInteger', code: 'invariant' },
  { rule: 'GAD-7 code SHALL be LOINC 70274-6', resource: broken(gad7, (r) => (r.code.coding[0].code = '44261-6')), expression: 'Observation.code', code: 'value' },
  // drug levels, ANC, metabolic
  { rule: 'lithium SHALL be in mmol/L or mEq/L', resource: labObservation('titrate-lithium-level', '14334-7', 5.5, 'ug/mL'), expression: 'Observation.valueQuantity', code: 'invariant' },
  { rule: 'lithium code SHALL be a lithium LOINC', resource: broken(lithium, (r) => (r.code.coding[0].code = '4086-5')), expression: 'Observation.code', code: 'code-invalid' },
  { rule: 'lithium category SHALL include laboratory', resource: broken(lithium, (r) => (r.category[0].coding[0].code = 'survey')), expression: 'Observation.category', code: 'required' },
  { rule: 'lithium value is required', resource: broken(lithium, (r) => delete r.valueQuantity), expression: 'Observation.value[x]', code: 'required' },
  { rule: 'clozapine SHALL be in ng/mL, ug/L or nmol/L', resource: labObservation('titrate-clozapine-level', '6896-5', 0.4, 'mg/L'), expression: 'Observation.valueQuantity', code: 'invariant' },
  { rule: 'clozapine code SHALL be a clozapine LOINC', resource: broken(clozapine, (r) => (r.code.coding[0].code = '14334-7')), expression: 'Observation.code', code: 'code-invalid' },
  { rule: 'valproate unit SHALL be UCUM', resource: broken(valproate, (r) => (r.valueQuantity.system = 'http://example.org/units')), expression: 'Observation.valueQuantity', code: 'invariant' },
  { rule: 'carbamazepine code SHALL be 3432-2', resource: broken(carbamazepine, (r) => (r.code.coding[0].code = '4086-5')), expression: 'Observation.code', code: 'code-invalid' },
  { rule: 'ANC SHALL be a count per volume', resource: labObservation('titrate-anc', '751-8', 2.1, '%'), expression: 'Observation.valueQuantity', code: 'invariant' },
  { rule: 'ANC code SHALL be a neutrophil count LOINC', resource: broken(anc, (r) => (r.code.coding[0].code = '6690-2')), expression: 'Observation.code', code: 'code-invalid' },
  { rule: 'metabolic lab code SHALL be in the metabolic ValueSet', resource: broken(a1c, (r) => (r.code.coding[0].code = '14334-7')), expression: 'Observation.code', code: 'code-invalid' },
  { rule: 'metabolic vital SHALL be vital-signs category', resource: broken(weight, (r) => (r.category[0].coding[0].code = 'laboratory')), expression: 'Observation.category', code: 'required' },
  { rule: 'metabolic vital SHALL have a UCUM value', resource: broken(weight, (r) => delete r.valueQuantity.system), expression: 'Observation.valueQuantity', code: 'invariant' },
  { rule: 'blood pressure panel SHALL have systolic and diastolic values', resource: broken(bloodPressure(), (r) => r.component.pop()), expression: 'Observation', code: 'invariant' },
  // taper / titration CarePlan
  { rule: 'a plan SHALL have at least one step', resource: broken(plan, (r) => delete r.activity), expression: 'CarePlan.activity', code: 'required' },
  { rule: 'each step SHALL have a detail', resource: broken(plan, (r) => (r.activity[1] = { progress: [{ text: 'x' }] })), expression: 'CarePlan.activity[1].detail', code: 'required' },
  { rule: 'each step SHALL name the product', resource: broken(plan, (r) => delete r.activity[0].detail.productCodeableConcept), expression: 'CarePlan.activity[0].detail.product[x]', code: 'required' },
  { rule: 'each step SHALL have a daily amount', resource: broken(plan, (r) => delete r.activity[1].detail.dailyAmount), expression: 'CarePlan.activity[1].detail.dailyAmount', code: 'required' },
  { rule: 'each step SHALL have a scheduled period', resource: broken(plan, (r) => delete r.activity[0].detail.scheduledPeriod), expression: 'CarePlan.activity[0].detail.scheduled[x]', code: 'required' },
  { rule: 'each step period SHALL have a start', resource: broken(plan, (r) => (r.activity[0].detail.scheduledPeriod = { end: '2026-03-01' })), expression: 'CarePlan.activity[0].detail.scheduledPeriod', code: 'invariant' },
  // reconciliation List
  { rule: 'the reconciled list SHALL be a snapshot', resource: broken(list, (r) => (r.mode = 'working')), expression: 'List.mode', code: 'value' },
  { rule: 'the reconciled list SHALL be coded 10160-0', resource: broken(list, (r) => (r.code.coding[0].code = '11450-4')), expression: 'List.code', code: 'value' },
  { rule: 'the reconciled list SHALL name its patient', resource: broken(list, (r) => delete r.subject), expression: 'List.subject', code: 'required' },
  { rule: 'the reconciled list SHALL be dated', resource: broken(list, (r) => delete r.date), expression: 'List.date', code: 'required' },
  { rule: 'the reconciled list SHALL name who reconciled it', resource: broken(list, (r) => delete r.source), expression: 'List.source', code: 'required' },
];

describe('Titrate profiles', () => {
  it.each(valid)('accepts %s', async (_name, resource) => {
    const v = await sharedValidator();
    expect(v.validate(resource).filter(isError)).toEqual([]);
  });

  it.each(rows.map((r) => [r.rule, r] as const))('rejects when %s', async (_rule, row) => {
    const v = await sharedValidator();
    const errors = v.validate(row.resource, { resolveReference: row.resolve }).filter(isError);
    const hit = errors.find((i) => i.expression.includes(row.expression));
    expect(hit, JSON.stringify(errors, null, 1)).toBeDefined();
    if (row.code) expect(hit!.code).toBe(row.code);
  });

  it('checks a profile named in the validate call even when meta.profile does not claim it', async () => {
    const v = await sharedValidator();
    const plain = broken(mr, (r) => {
      delete r.meta;
      delete r.requester;
    });
    expect(v.validate(plain).filter(isError)).toEqual([]);
    const issues = v.validate(plain, { profiles: ['http://titrate.health/fhir/StructureDefinition/titrate-medicationrequest'] });
    expect(issues.filter(isError).map((i) => i.expression[0])).toEqual(['MedicationRequest.requester']);
  });

  it('serves every profile, ValueSet and CodeSystem and lists profiles per type', async () => {
    const v = await sharedValidator();
    const urls = v.conformanceResources().map((r) => (r as fhir4.StructureDefinition).url);
    expect(urls).toContain('http://titrate.health/fhir/StructureDefinition/titrate-phq9');
    expect(urls).toContain('http://titrate.health/fhir/CodeSystem/finding');
    expect(v.profileUrls('Observation')).toEqual(expect.arrayContaining([
      'http://titrate.health/fhir/StructureDefinition/titrate-phq9',
      'http://titrate.health/fhir/StructureDefinition/titrate-lithium-level',
    ]));
    expect(v.profileUrls('CarePlan')).toContain('http://titrate.health/fhir/StructureDefinition/titrate-taper-plan');
  });
});
