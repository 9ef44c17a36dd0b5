// Interaction and duplicate-therapy rules: each row cites the psych-interactions.json rule it rests on.
import { describe, expect, test } from 'vitest';
import { reviewMedications } from '../../server/clinical/review.ts';
import { UNVERIFIED_NOTE } from '../../server/clinical/finding.ts';
import { daysAgo, kb, medReq, obs, reviewInput } from './builders.ts';

interface Row {
  name: string;
  drugs: [string, string];
  ruleId: string;
  code: 'DRG' | 'DUPTHPY';
  severity: 'high' | 'moderate' | 'low';
  cite: string;
}

const rows: Row[] = [
  { name: 'MAOI + SSRI', drugs: ['phenelzine', 'sertraline'], ruleId: 'MAOI-SSRI', code: 'DRG', severity: 'high', cite: 'MAOI-SSRI: ONC High-Priority DDI list (Phansalkar, JAMIA 2012)' },
  { name: 'linezolid + SSRI', drugs: ['linezolid', 'citalopram'], ruleId: 'linezolid-serotonergic', code: 'DRG', severity: 'high', cite: 'linezolid-serotonergic: FDA DSC 2011 / ONC list' },
  { name: 'lithium + ibuprofen', drugs: ['lithium carbonate', 'ibuprofen'], ruleId: 'lithium-NSAID', code: 'DRG', severity: 'moderate', cite: 'lithium-NSAID: lithium label, ONC list' },
  { name: 'lithium + lisinopril', drugs: ['lithium carbonate', 'lisinopril'], ruleId: 'lithium-ACEI', code: 'DRG', severity: 'moderate', cite: 'lithium-ACEI: lithium label' },
  { name: 'lithium + hydrochlorothiazide', drugs: ['lithium carbonate', 'hydrochlorothiazide'], ruleId: 'lithium-thiazide', code: 'DRG', severity: 'moderate', cite: 'lithium-thiazide: lithium label' },
  { name: 'clozapine + fluvoxamine', drugs: ['clozapine', 'fluvoxamine'], ruleId: 'clozapine-CYP1A2-strong-inhibitor', code: 'DRG', severity: 'moderate', cite: 'clozapine-CYP1A2-strong-inhibitor: Clozaril PI' },
  { name: 'clozapine + ciprofloxacin', drugs: ['clozapine', 'ciprofloxacin'], ruleId: 'clozapine-CYP1A2-strong-inhibitor', code: 'DRG', severity: 'moderate', cite: 'clozapine-CYP1A2-strong-inhibitor: Clozaril PI' },
  { name: 'valproate + lamotrigine', drugs: ['valproate', 'lamotrigine'], ruleId: 'valproate-lamotrigine', code: 'DRG', severity: 'moderate', cite: 'valproate-lamotrigine: Lamictal label' },
  { name: 'benzodiazepine + oxycodone', drugs: ['clonazepam', 'oxycodone'], ruleId: 'BZD-opioid', code: 'DRG', severity: 'moderate', cite: 'BZD-opioid: FDA boxed warning 2016' },
  { name: 'citalopram + methadone (QT)', drugs: ['citalopram', 'methadone'], ruleId: 'citalopram-QT', code: 'DRG', severity: 'moderate', cite: 'citalopram-QT: FDA DSC 2011/2012' },
  { name: 'pimozide + sertraline', drugs: ['pimozide', 'sertraline'], ruleId: 'pimozide-SSRI', code: 'DRG', severity: 'high', cite: 'pimozide-SSRI: pimozide/sertraline labels' },
  { name: 'two SSRIs', drugs: ['sertraline', 'fluoxetine'], ruleId: 'DUP-two-SSRI', code: 'DUPTHPY', severity: 'moderate', cite: 'DUP-two-SSRI (verified: false in the data)' },
  { name: 'two antipsychotics', drugs: ['olanzapine', 'risperidone'], ruleId: 'DUP-two-antipsychotics', code: 'DUPTHPY', severity: 'low', cite: 'DUP-two-antipsychotics (verified: false in the data)' },
];

describe('interaction and duplicate therapy rules', () => {
  test.each(rows)('flags $name ($cite)', (row) => {
    const a = medReq(row.drugs[0], { mg: 10 });
    const b = medReq(row.drugs[1], { mg: 10 });
    const findings = reviewMedications(reviewInput([a, b]), kb());
    const f = findings.find((x) => x.ruleId === row.ruleId);
    expect(f, `no ${row.ruleId} among ${findings.map((x) => x.ruleId)}`).toBeDefined();
    const rule = kb().rules.find((r) => r.id === row.ruleId)!;
    expect(f!.code.code).toBe(row.code);
    expect(f!.severity).toBe(row.severity);
    expect(f!.source).toBe(rule.source);
    expect(f!.verified).toBe(rule.verified);
    expect(f!.detail.includes(UNVERIFIED_NOTE)).toBe(!rule.verified);
    expect(f!.medications.map((m) => m.resource)).toEqual([a, b]);
  });

  test('methadone + citalopram also fires the methadone QT rule (methadone-QT-psych)', () => {
    const findings = reviewMedications(reviewInput([medReq('methadone', { mg: 30 }), medReq('citalopram', { mg: 20 })]), kb());
    expect(findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['citalopram-QT', 'methadone-QT-psych']));
  });

  test('ignores stopped orders', () => {
    const findings = reviewMedications(reviewInput([medReq('phenelzine', { mg: 45, status: 'stopped' }), medReq('sertraline', { mg: 50 })]), kb());
    expect(findings).toEqual([]);
  });

  test('brand and generic of one drug are a same-ingredient duplicate, not a class duplicate', () => {
    const findings = reviewMedications(reviewInput([medReq('sertraline', { mg: 50 }), medReq('zoloft', { mg: 50 })]), kb());
    expect(findings.map((f) => f.ruleId)).toEqual(['DUP-same-ingredient']);
    expect(findings[0].code.code).toBe('DUPTHPY');
  });
});

describe('negatives produce no finding', () => {
  test('sertraline alone (no rule in psych-interactions.json fires)', () => {
    expect(reviewMedications(reviewInput([medReq('sertraline', { mg: 100 })]), kb())).toEqual([]);
  });

  test('lithium with acetaminophen and in-range, recent labs (lithium protocol, psych-monitoring.json)', () => {
    // Acetaminophen has no RxNorm code in the data files (rxnorm-subset.md: an unresolved A-ingredient);
    // the code below is the one Synthea sends (corpus Milan_Beatty): it must simply not match anything.
    const acetaminophen: fhir4.MedicationRequest = {
      ...medReq('ibuprofen', { mg: 1000 }),
      medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '313782', display: 'Acetaminophen 325 MG Oral Tablet' }], text: 'Acetaminophen 325 MG Oral Tablet' },
    };
    const labs = [
      obs('14334-7', 0.8, 'mmol/L', daysAgo(20)), obs('2160-0', 0.9, 'mg/dL', daysAgo(20)), obs('3016-3', 2.1, 'm[IU]/L', daysAgo(20)),
    ];
    const findings = reviewMedications(reviewInput([medReq('lithium carbonate', { mg: 900 }), acetaminophen], labs), kb());
    expect(findings).toEqual([]);
  });
});
