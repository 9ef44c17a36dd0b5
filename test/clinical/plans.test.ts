// $taper / $titrate CarePlans (psychiatry-knowledge.md §5: Horowitz & Taylor 2019, 2025 joint BZD guideline,
// Lamictal PI escalation regimens).
import { describe, expect, test } from 'vitest';
import { planTaper } from '../../server/clinical/plans/taper.ts';
import { planTitration } from '../../server/clinical/plans/titrate.ts';
import { doseGrid } from '../../server/clinical/plans/strengths.ts';
import { planParamsFromParameters } from '../../server/clinical/plan-params.ts';
import { ClinicalInputError } from '../../server/clinical/types.ts';
import { kb, medReq, NOW, rxcui } from './builders.ts';

const DAY = 86_400_000;

function steps(plan: fhir4.CarePlan) {
  return (plan.activity ?? []).map((a) => ({
    mg: a.detail!.dailyAmount!.value!, start: a.detail!.scheduledPeriod!.start!, end: a.detail!.scheduledPeriod!.end,
  }));
}

describe('taper', () => {
  test('hyperbolic sertraline 100 mg/day ends at 0 with dated, strictly decreasing steps (Horowitz & Taylor 2019)', () => {
    const plan = planTaper(medReq('sertraline', { mg: 100 }), { strategy: 'hyperbolic', stepPercent: 10, intervalDays: 28, start: '2026-07-01' }, { now: NOW }, kb());
    const s = steps(plan);
    expect(plan.status).toBe('draft');
    expect(plan.intent).toBe('plan');
    expect(s[0].start).toBe('2026-07-01');
    expect(s[s.length - 1].mg).toBe(0);
    expect(s.length).toBeGreaterThan(10);
    for (let i = 1; i < s.length; i++) {
      expect(s[i].mg).toBeLessThan(s[i - 1].mg);
      expect(Date.parse(s[i].start) - Date.parse(s[i - 1].start)).toBe(28 * DAY);
      // proportional: no step removes more than ~10% of the current dose plus one rounding unit, except the final stop
      if (i < s.length - 1) expect(s[i - 1].mg - s[i].mg).toBeLessThanOrEqual(s[i - 1].mg * 0.1 + 2.01);
    }
    expect(s[0].mg).toBeLessThan(100);
    expect(s[0].mg).toBeGreaterThanOrEqual(88);
  });

  test('hyperbolic doses use the strengths RxNorm lists (liquid for sub-tablet doses when one exists)', () => {
    const grid = doseGrid(rxcui('sertraline'), kb());
    const plan = planTaper(medReq('sertraline', { mg: 100 }), { strategy: 'hyperbolic' }, { now: NOW }, kb());
    for (const { mg } of steps(plan)) {
      if (grid.liquid) expect(Math.abs(mg / grid.liquidStepMg - Math.round(mg / grid.liquidStepMg))).toBeLessThan(1e-6);
      else expect(mg === 0 || grid.values.includes(mg)).toBe(true);
    }
  });

  test('linear taper of quetiapine 400 mg/day in 25% steps: 300, 200, 100, 0', () => {
    const plan = planTaper(medReq('quetiapine', { mg: 400 }), { strategy: 'linear', stepPercent: 25, intervalDays: 7, start: '2026-07-01' }, { now: NOW }, kb());
    expect(steps(plan).map((s) => s.mg)).toEqual([300, 200, 100, 0]);
    expect(steps(plan).map((s) => s.start)).toEqual(['2026-07-01', '2026-07-08', '2026-07-15', '2026-07-22']);
    expect(steps(plan)[3].end).toBeUndefined();
  });

  test('taper to a non-zero target stops at the target', () => {
    const plan = planTaper(medReq('quetiapine', { mg: 400 }), { strategy: 'linear', stepPercent: 25, targetDose: 150 }, { now: NOW }, kb());
    expect(steps(plan).map((s) => s.mg)).toEqual([300, 200, 150]);
  });

  test('benzodiazepine guideline: lorazepam reduced ≤ 25% per 2 weeks, steps ≥ 14 days apart, diazepam equivalent noted (2025 joint guideline)', () => {
    const plan = planTaper(medReq('lorazepam', { mg: 4, perDay: 2 }), { strategy: 'guideline' }, { now: NOW }, kb());
    const s = steps(plan);
    expect(s[s.length - 1].mg).toBe(0);
    for (let i = 1; i < s.length - 1; i++) {
      const days = (Date.parse(s[i].start) - Date.parse(s[i - 1].start)) / DAY;
      expect(days).toBeGreaterThanOrEqual(14);
      // not more than 25% every 2 weeks: a coarser rounded step is spread over more days
      expect((s[i - 1].mg - s[i].mg) / s[i - 1].mg).toBeLessThanOrEqual((0.25 * days) / 14 + 1e-9);
    }
    const notes = (plan.note ?? []).map((n) => n.text).join(' ');
    expect(notes).toContain('Diazepam 10 mg ≈ lorazepam 2 mg (VA/DoD 2021)');
    expect(notes).toContain('PMID 40526204');
  });

  test('benzodiazepine is the default guideline for clonazepam', () => {
    const plan = planTaper(medReq('clonazepam', { mg: 2 }), {}, { now: NOW }, kb());
    expect(plan.title).toContain('guideline');
  });

  test('refuses a target above the current dose', () => {
    expect(() => planTaper(medReq('sertraline', { mg: 50 }), { targetDose: 100 }, { now: NOW }, kb())).toThrow(ClinicalInputError);
  });
});

describe('lamotrigine titration (Lamictal PI regimens chosen by co-therapy)', () => {
  const lamotrigine = () => medReq('lamotrigine', { status: 'draft' });
  test('with valproate halves every step of the standard schedule on the same dates', () => {
    const standard = steps(planTitration(lamotrigine(), { strategy: 'guideline', start: '2026-07-01' }, { now: NOW, regimen: [medReq('sertraline', { mg: 50 })] }, kb()));
    const withVpa = steps(planTitration(lamotrigine(), { strategy: 'guideline', start: '2026-07-01' }, { now: NOW, regimen: [medReq('valproate', { mg: 1000 })] }, kb()));
    expect(standard.map((s) => s.mg)).toEqual([25, 50, 100, 200]);
    expect(withVpa.map((s) => s.mg)).toEqual(standard.map((s) => s.mg / 2));
    expect(withVpa.map((s) => s.start)).toEqual(standard.map((s) => s.start));
    expect(standard.map((s) => s.start)).toEqual(['2026-07-01', '2026-07-15', '2026-07-29', '2026-08-05']);
  });

  test('with carbamazepine (an inducer) uses the inducer regimen up to 400 mg/day', () => {
    const plan = planTitration(lamotrigine(), {}, { now: NOW, regimen: [medReq('carbamazepine', { mg: 800 })] }, kb());
    expect(steps(plan).map((s) => s.mg)).toEqual([50, 100, 200, 300, 400]);
    expect(plan.note?.[0].text).toContain('carbamazepine');
  });

  test('linear titration of sertraline 50 → 150 mg/day', () => {
    const plan = planTitration(medReq('sertraline', { mg: 50 }), { strategy: 'linear', targetDose: 150, stepPercent: 33.4, intervalDays: 14 }, { now: NOW }, kb());
    const s = steps(plan);
    expect(s[s.length - 1].mg).toBe(150);
    for (let i = 1; i < s.length; i++) expect(s[i].mg).toBeGreaterThan(s[i - 1].mg);
  });

  test('refuses a titration target above the label maximum (quetiapine 800 mg/day)', () => {
    expect(() => planTitration(medReq('quetiapine', { mg: 100 }), { targetDose: 1200 }, { now: NOW }, kb())).toThrow(/maximum/);
  });
});

describe('plan Parameters', () => {
  test('reads strategy, stepPercent, intervalDays, targetDose and start', () => {
    const p = planParamsFromParameters({ resourceType: 'Parameters', parameter: [
      { name: 'strategy', valueCode: 'hyperbolic' }, { name: 'stepPercent', valueDecimal: 10 }, { name: 'intervalDays', valueInteger: 28 },
      { name: 'targetDose', valueQuantity: { value: 0, unit: 'mg' } }, { name: 'start', valueDate: '2026-07-01' },
    ] });
    expect(p).toEqual({ strategy: 'hyperbolic', stepPercent: 10, intervalDays: 28, targetDose: 0, start: '2026-07-01' });
  });
  test('rejects an unknown strategy', () => {
    expect(() => planParamsFromParameters({ resourceType: 'Parameters', parameter: [{ name: 'strategy', valueCode: 'fast' }] })).toThrow(ClinicalInputError);
  });
});
