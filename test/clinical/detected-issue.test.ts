// $medication-review output: Bundle (collection) of DetectedIssue exactly per SPEC §4.
import { describe, expect, test } from 'vitest';
import { findingsToBundle } from '../../server/clinical/detected-issue.ts';
import { checkDraftOrders, reviewMedications } from '../../server/clinical/review.ts';
import { daysAgo, kb, medReq, NOW, obs, reviewInput } from './builders.ts';

const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const TITRATE = 'http://titrate.health/fhir/CodeSystem/finding';

describe('findingsToBundle', () => {
  test('an interaction becomes a final DetectedIssue with patient, implicated requests, severity, detail, evidence and DRG', () => {
    const a = medReq('phenelzine', { mg: 45, id: 'mr-a' });
    const b = medReq('sertraline', { mg: 50, id: 'mr-b' });
    const bundle = findingsToBundle(reviewMedications(reviewInput([a, b]), kb()), 'Patient/p1', NOW);
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('collection');
    const issue = bundle.entry![0].resource as fhir4.DetectedIssue;
    expect(issue).toMatchObject({
      resourceType: 'DetectedIssue', status: 'final', severity: 'high', patient: { reference: 'Patient/p1' },
      code: { coding: [{ system: ACT, code: 'DRG' }] }, identifiedDateTime: NOW.toISOString(),
    });
    expect(issue.implicated!.map((r) => r.reference)).toEqual(['MedicationRequest/mr-a', 'MedicationRequest/mr-b']);
    expect(issue.evidence![0].code![0].text).toContain('ONC High-Priority');
    expect(issue.detail).toContain('serotonin');
    expect(bundle.entry![0].fullUrl).toBe(`urn:uuid:${issue.id}`);
  });

  test('monitoring issues implicate the latest Observation and use the Titrate code system', () => {
    const level = obs('14334-7', 1.7, 'mmol/L', daysAgo(2), 'li-7');
    const bundle = findingsToBundle(reviewMedications(reviewInput([medReq('lithium carbonate', { mg: 900, id: 'li' })], [level]), kb()), { reference: 'Patient/p1' }, NOW);
    const issue = bundle.entry!.map((e) => e.resource as fhir4.DetectedIssue).find((i) => i.code?.coding?.[0].code === 'monitoring-out-of-range')!;
    expect(issue.code!.coding![0].system).toBe(TITRATE);
    expect(issue.implicated!.map((r) => r.reference)).toEqual(['MedicationRequest/li', 'Observation/li-7']);
  });

  test('a draft without id is contained and referenced as #med1', () => {
    const draft = { ...medReq('quetiapine', { mg: 1200, status: 'draft' }), id: undefined };
    const bundle = findingsToBundle(checkDraftOrders(reviewInput([]), [draft], kb()), 'Patient/p1', NOW);
    const issue = bundle.entry![0].resource as fhir4.DetectedIssue;
    expect(issue.code!.coding![0]).toMatchObject({ system: ACT, code: 'DOSEH' });
    expect(issue.implicated![0].reference).toBe('#med1');
    expect(issue.contained![0]).toMatchObject({ resourceType: 'MedicationRequest', id: 'med1' });
  });

  const severities = [
    { rule: 'contraindicated (MAOI-SSRI)', drugs: ['phenelzine', 'sertraline'], severity: 'high' },
    { rule: 'major (lithium-NSAID)', drugs: ['lithium carbonate', 'ibuprofen'], severity: 'moderate' },
    { rule: 'moderate (SSRI/SNRI-bleeding)', drugs: ['sertraline', 'naproxen'], severity: 'low' },
  ];
  test.each(severities)('maps rule severity $rule to $severity (SPEC §4)', (row) => {
    const labs = [obs('14334-7', 0.8, 'mmol/L', daysAgo(5)), obs('2160-0', 1, 'mg/dL', daysAgo(5)), obs('3016-3', 1, 'm[IU]/L', daysAgo(5))];
    const bundle = findingsToBundle(reviewMedications(reviewInput(row.drugs.map((d) => medReq(d, { mg: 10 })), labs), kb()), 'Patient/p1', NOW);
    expect(bundle.entry!.map((e) => (e.resource as fhir4.DetectedIssue).severity)).toEqual([row.severity]);
  });
});
