// Synthetic psychiatric patients for search benchmarks: ~100 resources each (Patient, Conditions, CarePlan,
// MedicationRequests with contained or formulary Medication, lithium 14334-7 / PHQ-9 44261-6 and other Observation series).

type R = fhir4.FhirResource;

/** Deterministic PRNG (mulberry32) so a seed always yields the same data set. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAMILIES = ['Smith', 'Smithson', 'Smid', 'Jones', 'Taylor', 'Brown', 'Williams', 'Wilson', 'Johnson', 'Davies', 'Müller', 'García', 'Martin', 'Nguyen', 'Okafor', 'Kowalski', 'Rossi', 'Larsen', 'Dubois', 'Schmidt'];
const GIVEN = ['Ann', 'John', 'Maria', 'Li', 'Amir', 'Sofia', 'Peter', 'Zoë', 'Kwame', 'Ines', 'Lars', 'Aiko'];

export const FORMULARY: { id: string; rxnorm: string; name: string }[] = [
  { id: 'med-lithium-300', rxnorm: '197891', name: 'Lithium carbonate 300 MG Oral Capsule' },
  { id: 'med-sertraline-50', rxnorm: '312940', name: 'Sertraline 50 MG Oral Tablet' },
  { id: 'med-quetiapine-100', rxnorm: '312743', name: 'Quetiapine 100 MG Oral Tablet' },
  { id: 'med-lamotrigine-100', rxnorm: '198428', name: 'Lamotrigine 100 MG Oral Tablet' },
  { id: 'med-valproate-500', rxnorm: '1099870', name: 'Divalproex 500 MG Delayed Release Oral Tablet' },
  { id: 'med-clozapine-100', rxnorm: '197535', name: 'Clozapine 100 MG Oral Tablet' },
  { id: 'med-aripiprazole-10', rxnorm: '349545', name: 'Aripiprazole 10 MG Oral Tablet' },
  { id: 'med-fluoxetine-20', rxnorm: '310385', name: 'Fluoxetine 20 MG Oral Capsule' },
];

const OTHER_LABS: { code: string; display: string; unit: string; lo: number; hi: number }[] = [
  { code: '3016-3', display: 'TSH', unit: 'm[IU]/L', lo: 0.3, hi: 6 },
  { code: '2160-0', display: 'Creatinine', unit: 'mg/dL', lo: 0.5, hi: 1.6 },
  { code: '29463-7', display: 'Body weight', unit: 'kg', lo: 50, hi: 120 },
  { code: '2951-2', display: 'Sodium', unit: 'mmol/L', lo: 133, hi: 146 },
];

const day = (start: number, offsetDays: number) => new Date(start + offsetDays * 86_400_000).toISOString().slice(0, 10);

export function formulary(): R[] {
  return FORMULARY.map((m) => ({
    resourceType: 'Medication', id: m.id, status: 'active',
    code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: m.rxnorm, display: m.name }], text: m.name },
  }));
}

function observation(id: string, patient: string, code: string, display: string, value: number, unit: string, date: string, category: string): R {
  return {
    resourceType: 'Observation', id, status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category }] }],
    code: { coding: [{ system: 'http://loinc.org', code, display }], text: display },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: `${date}T09:00:00Z`,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  };
}

/** One patient's record (~100 resources). */
export function generatePatient(i: number, random: () => number): R[] {
  const pid = `pt${i}`;
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
  const out: R[] = [];
  const birth = 1935 + Math.floor(random() * 70);
  out.push({
    resourceType: 'Patient', id: pid, active: true,
    identifier: [{ system: 'http://hospital.example/mrn', value: `MRN${100000 + i}` }],
    name: [{ family: pick(FAMILIES), given: [pick(GIVEN)] }],
    gender: random() < 0.5 ? 'female' : 'male',
    birthDate: `${birth}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
  });
  const bipolar = random() < 0.5;
  out.push({
    resourceType: 'Condition', id: `${pid}-c1`, subject: { reference: `Patient/${pid}` },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: bipolar ? 'F31.6' : 'F33.1', display: bipolar ? 'Bipolar disorder, current episode mixed' : 'Major depressive disorder, recurrent, moderate' }] },
    onsetDateTime: `${birth + 20}-06-01`,
  });
  out.push({
    resourceType: 'Condition', id: `${pid}-c2`, subject: { reference: `Patient/${pid}` },
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: random() < 0.5 ? 'active' : 'resolved' }] },
    code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'F41.1', display: 'Generalized anxiety disorder' }] },
  });
  out.push({
    resourceType: 'CarePlan', id: `${pid}-cp`, status: 'active', intent: 'plan', subject: { reference: `Patient/${pid}` },
    category: [{ coding: [{ system: 'http://snomed.info/sct', code: '736353004', display: 'Inpatient care plan' }] }],
    period: { start: '2024-01-01' }, title: 'Mood stabiliser monitoring',
  });
  const start = Date.parse('2023-01-01T00:00:00Z');
  for (let m = 0; m < 8; m++) {
    const med = bipolar && m === 0 ? FORMULARY[0] : pick(FORMULARY);
    const contained = m % 2 === 1;
    const status = m < 3 ? 'active' : pick(['completed', 'stopped', 'active', 'completed']);
    out.push({
      resourceType: 'MedicationRequest', id: `${pid}-mr${m}`, status: status as 'active', intent: 'order',
      ...(contained ? { contained: [{ resourceType: 'Medication', id: 'm', code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: med.rxnorm, display: med.name }] } }] } : {}),
      medicationReference: { reference: contained ? '#m' : `Medication/${med.id}` },
      subject: { reference: `Patient/${pid}` },
      authoredOn: day(start, Math.floor(random() * 1000)),
      requester: { reference: 'Practitioner/dr-1' },
      dosageInstruction: [{ text: 'one tablet twice daily', timing: { repeat: { frequency: 2, period: 1, periodUnit: 'd' } } }],
    } as R);
  }
  let n = 0;
  for (let k = 0; k < 30; k++) {
    const date = day(start, k * 35 + Math.floor(random() * 10));
    if (bipolar) out.push(observation(`${pid}-o${n++}`, pid, '14334-7', 'Lithium [Moles/volume] in Serum or Plasma', Math.round((0.3 + random() * 1.1) * 100) / 100, 'mmol/L', date, 'laboratory'));
    out.push(observation(`${pid}-o${n++}`, pid, '44261-6', 'PHQ-9 total score', Math.floor(random() * 28), '{score}', date, 'survey'));
  }
  while (out.length < 100) {
    const lab = pick(OTHER_LABS);
    const date = day(start, Math.floor(random() * 1100));
    out.push(observation(`${pid}-o${n++}`, pid, lab.code, lab.display, Math.round((lab.lo + random() * (lab.hi - lab.lo)) * 10) / 10, lab.unit, date, 'laboratory'));
  }
  return out;
}

/** Patients `first … first+n-1` from `seed`; one array per patient. The formulary Medications come from formulary(). */
export function* generatePatients(n: number, seed: number, first = 0): Generator<R[]> {
  for (let i = first; i < first + n; i++) yield generatePatient(i, rng(seed * 1_000_003 + i));
}
