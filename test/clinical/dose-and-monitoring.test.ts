// Dose limits (psych-meds.json), monitoring (psych-monitoring.json) and measurement-based care (psych-scales.json).
import { describe, expect, test } from 'vitest';
import { reviewMedications } from '../../server/clinical/review.ts';
import { UNVERIFIED_NOTE } from '../../server/clinical/finding.ts';
import { monitoringSchedule } from '../../server/clinical/monitoring-schedule.ts';
import { daysAgo, kb, medReq, obs, reviewInput, scd } from './builders.ts';

describe('dose above maximum', () => {
  const rows = [
    { name: 'citalopram 40 mg at age 70', drug: 'citalopram', mg: 40, age: 70, code: 'DOSEHINDA', suggested: 20, cite: 'psych-meds.json citalopram caveat "Max 20 mg/day if age >60 y" (FDA DSC 2011/2012)' },
    { name: 'quetiapine 1000 mg above the 800 mg maximum', drug: 'quetiapine', mg: 1000, age: 40, code: 'DOSEH', suggested: 800, cite: 'psych-meds.json quetiapine max_daily_dose 800 (Texas VDP criteria + UpToDate)' },
    { name: 'citalopram 60 mg above the 40 mg maximum', drug: 'citalopram', mg: 60, age: 40, code: 'DOSEH', suggested: 40, cite: 'psych-meds.json citalopram max_daily_dose 40' },
  ];
  test.each(rows)('flags $name ($cite)', (row) => {
    const findings = reviewMedications(reviewInput([medReq(row.drug, { mg: row.mg, perDay: 2 })], [], row.age), kb());
    const f = findings.find((x) => x.code.code === row.code);
    expect(f).toBeDefined();
    expect(f!.suggestedDailyMg).toBe(row.suggested);
    expect(f!.source).toBe(kb().meds.get(f!.medications[0].ingredients[0].rxcui)!.doseSource);
  });

  const negatives = [
    { name: 'citalopram 40 mg at age 45', drug: 'citalopram', mg: 40, age: 45, cite: 'age maximum applies only over 60' },
    { name: 'citalopram 20 mg at age 70', drug: 'citalopram', mg: 20, age: 70, cite: 'at the age maximum' },
    { name: 'quetiapine 600 mg', drug: 'quetiapine', mg: 600, age: 40, cite: 'below 800 mg/day' },
  ];
  test.each(negatives)('does not flag $name ($cite)', (row) => {
    const findings = reviewMedications(reviewInput([medReq(row.drug, { mg: row.mg })], [], row.age), kb());
    expect(findings.filter((f) => f.kind.startsWith('dose'))).toEqual([]);
  });

  test('computes the daily dose from tablets of the SCD strength (citalopram 20 MG Oral Tablet x2)', () => {
    const r = medReq('citalopram', { coding: scd('citalopram 20 MG Oral Tablet'), tablets: 2 });
    const f = reviewMedications(reviewInput([r], [], 75), kb()).find((x) => x.code.code === 'DOSEHINDA');
    expect(f?.summary).toContain('40 mg/day');
  });
});

describe('monitoring', () => {
  const inRangeRenalThyroid = () => [obs('2160-0', 0.9, 'mg/dL', daysAgo(30)), obs('3016-3', 2, 'm[IU]/L', daysAgo(30))];

  test('flags lithium level 1.6 mmol/L as out of range, high (lithium alert ">= 1.5", lithium label boxed warning; ARUP toxic >= 1.6)', () => {
    const level = obs('14334-7', 1.6, 'mmol/L', daysAgo(3), 'li-1');
    const findings = reviewMedications(reviewInput([medReq('lithium carbonate', { mg: 900 })], [level, ...inRangeRenalThyroid()]), kb());
    const f = findings.find((x) => x.code.code === 'monitoring-out-of-range');
    expect(f?.severity).toBe('high');
    expect(f?.observations[0].id).toBe('li-1');
    expect(f?.verified).toBe(true);
  });

  test('does not flag lithium level 0.8 mmol/L taken 20 days ago (within the lithium protocol targets)', () => {
    const findings = reviewMedications(reviewInput([medReq('lithium carbonate', { mg: 900 })], [obs('14334-7', 0.8, 'mmol/L', daysAgo(20)), ...inRangeRenalThyroid()]), kb());
    expect(findings).toEqual([]);
  });

  test('flags a lithium level 7 months old as overdue (lithium alert "no level in > 6 months", verified: false)', () => {
    const findings = reviewMedications(reviewInput([medReq('lithium carbonate', { mg: 900, start: daysAgo(400) })], [obs('14334-7', 0.8, 'mmol/L', daysAgo(213)), ...inRangeRenalThyroid()]), kb());
    const f = findings.find((x) => x.code.code === 'monitoring-overdue');
    expect(f).toBeDefined();
    expect(f!.severity).toBe('moderate');
    expect(f!.verified).toBe(false);
    expect(f!.detail).toContain(UNVERIFIED_NOTE);
  });

  test('flags clozapine in month 3 with the last ANC 10 days ago (weekly ANC months 0-6, Clozaril PI via PMC9243911)', () => {
    const anc = obs('751-8', 2500, '/uL', daysAgo(10), 'anc-1');
    const findings = reviewMedications(reviewInput([medReq('clozapine', { mg: 300, start: daysAgo(75) })], [anc]), kb());
    const f = findings.find((x) => x.ruleId === 'MON-clozapine-ANC');
    expect(f?.code.code).toBe('monitoring-overdue');
    expect(f?.detail).toContain('every 7 days');
    expect(f?.observations[0].id).toBe('anc-1');
  });

  test('does not flag clozapine in month 14 with the last ANC 10 days ago (monthly after 12 months)', () => {
    const findings = reviewMedications(reviewInput([medReq('clozapine', { mg: 300, start: daysAgo(430) })], [obs('751-8', 2500, '/uL', daysAgo(10))]), kb());
    expect(findings.filter((f) => f.ruleId.startsWith('MON-clozapine'))).toEqual([]);
  });

  test('flags ANC 1200/uL as mild neutropenia (clozapine-ANC-general band 1000-1499/uL)', () => {
    const findings = reviewMedications(reviewInput([medReq('clozapine', { mg: 300, start: daysAgo(30) })], [obs('751-8', 1200, '/uL', daysAgo(2))]), kb());
    expect(findings.find((x) => x.ruleId === 'MON-clozapine-ANC-band')?.severity).toBe('moderate');
  });

  test('flags olanzapine started 13 weeks ago with no A1c or lipids (antipsychotic-metabolic: 12-week check, ADA/APA 2004)', () => {
    const labs = [obs('29463-7', 80, 'kg', daysAgo(7)), obs('8480-6', 120, 'mm[Hg]', daysAgo(7)), obs('8280-0', 90, 'cm', daysAgo(95))];
    const findings = reviewMedications(reviewInput([medReq('olanzapine', { mg: 10, start: daysAgo(91) })], labs), kb());
    const overdue = findings.filter((f) => f.code.code === 'monitoring-overdue').map((f) => f.ruleId);
    expect(overdue).toEqual(expect.arrayContaining([expect.stringContaining('glucose'), expect.stringContaining('lipid')]));
    expect(overdue.some((id) => /weight|blood pressure|waist/.test(id))).toBe(false);
  });

  test('does not flag olanzapine when the 12-week glucose and lipids are on record', () => {
    const labs = ['29463-7', '8480-6', '4548-4', '2093-3'].map((c) => obs(c, 5, 'x', daysAgo(5)));
    const findings = reviewMedications(reviewInput([medReq('olanzapine', { mg: 10, start: daysAgo(91) })], [...labs, obs('8280-0', 90, 'cm', daysAgo(95))]), kb());
    expect(findings).toEqual([]);
  });

  test('flags QTc 520 ms on citalopram (QTc-monitoring alert "QTc > 500 ms", verified: false)', () => {
    const findings = reviewMedications(reviewInput([medReq('citalopram', { mg: 20 })], [obs('8636-3', 520, 'ms', daysAgo(3))]), kb());
    const f = findings.find((x) => x.ruleId === 'MON-QTc-absolute');
    expect(f?.code.code).toBe('monitoring-out-of-range');
    expect(f?.detail).toContain(UNVERIFIED_NOTE);
  });

  test('flags valproate level 130 ug/mL above the mania range 50-125 (ARUP)', () => {
    const labs = [obs('4086-5', 130, 'ug/mL', daysAgo(5)), ...['1742-6'].map((c) => obs(c, 20, 'U/L', daysAgo(5)))];
    const findings = reviewMedications(reviewInput([medReq('valproate', { mg: 1500 })], labs), kb());
    expect(findings.find((x) => x.code.code === 'monitoring-out-of-range')?.severity).toBe('moderate');
  });
});

describe('measurement-based care', () => {
  const rows = [
    { name: 'PHQ-9 20 → 8 is a response', code: '44261-6', from: 20, to: 8, expected: 'mbc-response', cite: 'psych-scales.json PHQ-9 response ">= 50% reduction"' },
    { name: 'PHQ-9 20 → 4 is a remission', code: '44261-6', from: 20, to: 4, expected: 'mbc-remission', cite: 'psych-scales.json PHQ-9 remission "total < 5 (CMS159)"' },
    { name: 'PHQ-9 10 → 16 is worsening', code: '44261-6', from: 10, to: 16, expected: 'mbc-worsening', cite: 'psych-scales.json PHQ-9 bands (moderate → moderately severe)' },
    { name: 'GAD-7 16 → 6 is a response', code: '70274-6', from: 16, to: 6, expected: 'mbc-response', cite: 'PHQ-9 response definition applied to GAD-7 (not in the data: unverified)' },
  ];
  test.each(rows)('$name ($cite)', (row) => {
    const scores = [obs(row.code, row.from, '{score}', daysAgo(90), 'base'), obs(row.code, row.to, '{score}', daysAgo(2), 'latest')];
    const findings = reviewMedications(reviewInput([medReq('sertraline', { mg: 100 })], scores), kb());
    expect(findings.map((f) => f.code.code)).toEqual([row.expected]);
    expect(findings[0].observations.map((o) => o.id)).toEqual(['latest', 'base']);
  });

  test('PHQ-9 12 → 9 is neither response, remission nor worsening', () => {
    const scores = [obs('44261-6', 12, '{score}', daysAgo(60)), obs('44261-6', 9, '{score}', daysAgo(1))];
    expect(reviewMedications(reviewInput([medReq('sertraline', { mg: 100 })], scores), kb())).toEqual([]);
  });
});

describe('monitoring schedule (what is due, what is overdue)', () => {
  test('clozapine month 3 with an ANC 3 days ago: the next ANC is due in 4 days (weekly, Clozaril PI)', () => {
    const items = monitoringSchedule(reviewInput([medReq('clozapine', { mg: 300, start: daysAgo(75) })], [obs('751-8', 2500, '/uL', daysAgo(3))]), kb());
    const anc = items.find((i) => i.ruleId === 'MON-clozapine-ANC')!;
    expect(anc.status).toBe('due');
    expect(anc.dueDate.toISOString()).toBe(daysAgo(-4));
  });

  test('lithium level 20 days ago is ok and next due 6 months after it (lithium alert "> 6 months")', () => {
    const items = monitoringSchedule(reviewInput([medReq('lithium carbonate', { mg: 900 })], [obs('14334-7', 0.8, 'mmol/L', daysAgo(20))]), kb());
    const level = items.find((i) => i.loinc.includes('14334-7'))!;
    expect(level.status).toBe('ok');
    expect(Math.round((level.dueDate.getTime() - Date.parse(daysAgo(20))) / 86_400_000)).toBe(183);
    expect(items.filter((i) => i.status === 'overdue').map((i) => i.test)).toEqual(expect.arrayContaining(['renal function']));
  });

  test('olanzapine at week 13 with the 12-week checks done: weight next due at week 25 (then quarterly, ADA/APA 2004)', () => {
    const labs = ['29463-7', '8480-6', '4548-4', '2093-3', '8280-0'].map((c) => obs(c, 5, 'x', daysAgo(5)));
    const items = monitoringSchedule(reviewInput([medReq('olanzapine', { mg: 10, start: daysAgo(91) })], labs), kb());
    expect(items.every((i) => i.status !== 'overdue')).toBe(true);
    const weight = items.find((i) => i.test === 'weight/BMI')!;
    expect(weight.dueDate.toISOString()).toBe(new Date(Date.parse(daysAgo(91)) + 25 * 7 * 86_400_000).toISOString());
  });
});
