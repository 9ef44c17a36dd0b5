// Demo data for `npm start` (DEMO=1): synthetic psychiatric patients, seeded once into an empty store.
// Codes are the knowledge base's (../shared/reference/data): RxNorm ingredients, LOINC 14334-7 lithium, 44261-6 PHQ-9.
import type { ResourceStore } from '../store/resource-store.ts';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const LOINC = 'http://loinc.org';
const DAY = 86_400_000;

interface DemoMed {
  rxcui: string;
  name: string;
  mgPerDose: number;
  perDay: number;
  startDaysAgo: number;
}

interface DemoPatient {
  id: string;
  family: string;
  given: string;
  gender: 'male' | 'female';
  birthDate: string;
  meds: DemoMed[];
  lithiumLevels?: number[];
  phq9?: number[];
}

const PATIENTS: DemoPatient[] = [
  {
    id: 'demo-rivera', family: 'Rivera', given: 'Alex', gender: 'female', birthDate: '1984-03-12',
    meds: [
      { rxcui: '42351', name: 'lithium carbonate', mgPerDose: 300, perDay: 3, startDaysAgo: 400 },
      { rxcui: '36437', name: 'sertraline', mgPerDose: 100, perDay: 1, startDaysAgo: 200 },
    ],
    lithiumLevels: [0.6, 0.8, 1.0, 1.3],
    phq9: [19, 15, 11, 8],
  },
  {
    id: 'demo-okafor', family: 'Okafor', given: 'Sam', gender: 'male', birthDate: '1956-07-02',
    meds: [
      { rxcui: '2556', name: 'citalopram', mgPerDose: 40, perDay: 1, startDaysAgo: 300 },
      { rxcui: '51272', name: 'quetiapine', mgPerDose: 200, perDay: 2, startDaysAgo: 120 },
    ],
    phq9: [21, 20, 16],
  },
  {
    id: 'demo-lindqvist', family: 'Lindqvist', given: 'Maja', gender: 'female', birthDate: '1991-11-23',
    meds: [{ rxcui: '2626', name: 'clozapine', mgPerDose: 150, perDay: 2, startDaysAgo: 95 }],
  },
  {
    id: 'demo-tanaka', family: 'Tanaka', given: 'Ren', gender: 'male', birthDate: '1978-01-30',
    meds: [
      { rxcui: '61381', name: 'olanzapine', mgPerDose: 10, perDay: 1, startDaysAgo: 91 },
      { rxcui: '28439', name: 'lamotrigine', mgPerDose: 100, perDay: 2, startDaysAgo: 500 },
    ],
    phq9: [12, 9, 4],
  },
];

function resourcesFor(p: DemoPatient, now: Date): { type: string; id: string; resource: Record<string, unknown> }[] {
  const at = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY).toISOString();
  const subject = { reference: `Patient/${p.id}` };
  const out: { type: string; id: string; resource: Record<string, unknown> }[] = [
    {
      type: 'Patient',
      id: p.id,
      resource: { resourceType: 'Patient', id: p.id, name: [{ family: p.family, given: [p.given] }], gender: p.gender, birthDate: p.birthDate },
    },
  ];
  p.meds.forEach((m, i) => {
    const id = `${p.id}-mr${i + 1}`;
    out.push({
      type: 'MedicationRequest',
      id,
      resource: {
        resourceType: 'MedicationRequest', id, status: 'active', intent: 'order', subject,
        medicationCodeableConcept: { coding: [{ system: RXNORM, code: m.rxcui, display: m.name }], text: m.name },
        authoredOn: at(m.startDaysAgo).slice(0, 10),
        requester: { display: 'Demo Psychiatrist' },
        dosageInstruction: [{
          text: `${m.mgPerDose} mg ${m.perDay === 1 ? 'once' : `${m.perDay} times`} daily`,
          timing: { repeat: { frequency: m.perDay, period: 1, periodUnit: 'd' } },
          doseAndRate: [{ doseQuantity: { value: m.mgPerDose, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
        }],
      },
    });
  });
  (p.lithiumLevels ?? []).forEach((v, i, all) => {
    const id = `${p.id}-li${i + 1}`;
    out.push({
      type: 'Observation',
      id,
      resource: {
        resourceType: 'Observation', id, status: 'final', subject,
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
        code: { coding: [{ system: LOINC, code: '14334-7', display: 'Lithium [Moles/volume] in Serum or Plasma' }] },
        effectiveDateTime: at((all.length - i) * 45),
        valueQuantity: { value: v, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
      },
    });
  });
  (p.phq9 ?? []).forEach((v, i, all) => {
    const id = `${p.id}-phq${i + 1}`;
    out.push({
      type: 'Observation',
      id,
      resource: {
        resourceType: 'Observation', id, status: 'final', subject,
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey' }] }],
        code: { coding: [{ system: LOINC, code: '44261-6', display: 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]' }] },
        effectiveDateTime: at((all.length - i) * 28),
        valueInteger: v,
      },
    });
  });
  if (p.meds.length) {
    const id = `${p.id}-plan`;
    out.push({
      type: 'CarePlan',
      id,
      resource: {
        resourceType: 'CarePlan', id, status: 'active', intent: 'plan', subject,
        title: 'Psychotropic monitoring plan',
        activity: [{ detail: { status: 'scheduled', description: 'Review regimen, levels and PHQ-9 every 4 weeks' } }],
      },
    });
  }
  return out;
}

/** Seeds the demo patients when the store holds none of them; returns how many resources were written. */
export async function seedDemoData(store: ResourceStore, now: () => Date): Promise<number> {
  const existing = await store.read('Patient', PATIENTS[0].id);
  if (existing) return 0;
  // The demo sign-ins' fhirUser resources (auth/users.ts): a psychiatrist and a pharmacist.
  const practitioners = [
    { id: 'demo-psychiatrist', family: 'Moreau', given: 'Claire', qualification: 'Psychiatrist' },
    { id: 'demo-pharmacist', family: 'Haddad', given: 'Omar', qualification: 'Pharmacist' },
  ].map((pr) => ({
    type: 'Practitioner',
    id: pr.id,
    resource: { resourceType: 'Practitioner', id: pr.id, active: true, name: [{ family: pr.family, given: [pr.given] }], qualification: [{ code: { text: pr.qualification } }] },
  }));
  const items = [...practitioners, ...PATIENTS.flatMap((p) => resourcesFor(p, now()))];
  await store.transaction(async (tx) => {
    for (const item of items) await tx.put(item.type, item.id, item.resource, now().toISOString());
  });
  return items.length;
}
