// CDS Hooks 2.0 services (reference/smart-and-ehrs.md §8): discovery, order-select / order-sign cards, suggestions.
import { describe, expect, test } from 'vitest';
import { buildCards, cdsDiscovery, draftOrdersFromContext, runOrderHook } from '../../server/cds/index.ts';
import { checkDraftOrders } from '../../server/clinical/review.ts';
import { normalizeMedication } from '../../server/clinical/normalize.ts';
import { daysAgo, kb, medReq, NOW, obs, patient, RXNORM, rxcui } from './builders.ts';

function hook(hookName: 'order-select' | 'order-sign', drafts: fhir4.MedicationRequest[], active: fhir4.MedicationRequest[], age: number, observations: fhir4.Observation[] = [], selections?: string[]) {
  return runOrderHook({
    hook: hookName, hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
    context: { patientId: 'p1', userId: 'Practitioner/1', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) }, selections },
    prefetch: {
      patient: patient(age),
      medications: { resourceType: 'Bundle', type: 'searchset', entry: active.map((resource) => ({ resource })) },
      observations: { resourceType: 'Bundle', type: 'searchset', entry: observations.map((resource) => ({ resource })) },
    },
  }, kb(), NOW);
}

describe('discovery', () => {
  test('lists titrate-order-select and titrate-order-sign with prefetch templates', () => {
    const d = cdsDiscovery();
    expect(d.services.map((s) => [s.id, s.hook])).toEqual([['titrate-order-select', 'order-select'], ['titrate-order-sign', 'order-sign']]);
    for (const s of d.services) {
      expect(s.prefetch.patient).toBe('Patient/{{context.patientId}}');
      expect(s.prefetch.medications).toContain('MedicationRequest?patient={{context.patientId}}&status=active');
      expect(s.prefetch.observations).toBe('Observation?patient={{context.patientId}}&_sort=-date&_count=100');
      expect(s.description.length).toBeGreaterThan(0);
    }
  });
});

describe('cards', () => {
  test('citalopram 40 mg for a 70-year-old: warning card with a suggestion updating the draft to 20 mg/day', () => {
    const draft = medReq('citalopram', { mg: 40, status: 'draft', id: 'draft-1' });
    const { cards } = hook('order-select', [draft], [], 70, [], ['MedicationRequest/draft-1']);
    expect(cards).toHaveLength(1);
    const card = cards[0];
    expect(card.indicator).toBe('warning');
    expect(card.summary.length).toBeLessThan(140);
    expect(card.source.label).toMatch(/^Titrate knowledge base/);
    expect(card.selectionBehavior).toBe('at-most-one');
    const action = card.suggestions![0].actions[0];
    expect(action.type).toBe('update');
    const updated = action.resource as fhir4.MedicationRequest;
    expect(updated.id).toBe('draft-1');
    expect(normalizeMedication(updated, kb()).dailyMg.get(rxcui('citalopram'))).toBe(20);
  });

  test('draft sertraline on top of active phenelzine: critical card offering to remove the draft (MAOI-SSRI)', () => {
    const { cards } = hook('order-sign', [medReq('sertraline', { mg: 50, status: 'draft', id: 'd2' })], [medReq('phenelzine', { mg: 45 })], 40);
    expect(cards.map((c) => c.indicator)).toEqual(['critical']);
    expect(cards[0].suggestions?.[0].actions[0]).toMatchObject({ type: 'delete', resourceId: 'MedicationRequest/d2' });
    expect(cards[0].source.topic?.code).toBe('DRG');
  });

  test('cards only concern the drafts: an overdue lithium level on the active list gives no card', () => {
    const active = [medReq('lithium carbonate', { mg: 900, start: daysAgo(500) })];
    const { cards } = hook('order-sign', [medReq('sertraline', { mg: 50, status: 'draft' })], active, 40, [obs('14334-7', 0.7, 'mmol/L', daysAgo(300))]);
    expect(cards.map((c) => c.summary)).toEqual([expect.stringContaining('lithium carbonate + sertraline')]);
    expect(cards[0].indicator).toBe('info');
  });

  test('order-select reports only on the selected draft', () => {
    const a = medReq('sertraline', { mg: 50, status: 'draft', id: 'sel' });
    const b = medReq('quetiapine', { mg: 1000, status: 'draft', id: 'other' });
    expect(hook('order-select', [a, b], [], 40, [], ['MedicationRequest/sel']).cards).toEqual([]);
    expect(hook('order-sign', [a, b], [], 40).cards.map((c) => c.source.topic?.code)).toEqual(['DOSEH']);
  });

  test('card uuids are stable for the same finding', () => {
    const input = { patient: patient(70), medicationRequests: [], medications: [], observations: [], now: NOW };
    const draft = medReq('citalopram', { mg: 40, status: 'draft', id: 'x' });
    const first = buildCards(checkDraftOrders(input, [draft], kb()), kb());
    const second = buildCards(checkDraftOrders(input, [draft], kb()), kb());
    expect(first[0].uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first[0].uuid).toBe(second[0].uuid);
  });

  test('draftOrdersFromContext reads MedicationRequests and Medications from context.draftOrders', () => {
    const med: fhir4.Medication = { resourceType: 'Medication', id: 'm1' };
    const r = draftOrdersFromContext({ draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: medReq('sertraline', { id: 's' }) }, { resource: med }] }, selections: ['MedicationRequest/s'] });
    expect([r.drafts.length, r.medications.length, r.selected.map((d) => d.id)]).toEqual([1, 1, ['s']]);
  });

  test('an Epic-shaped draft (medicationReference to a Medication in draftOrders, ≈150-character id) is checked', () => {
    const id = `e${'x'.repeat(150)}`;
    const medication: fhir4.Medication = { resourceType: 'Medication', id: 'eMed1', code: { coding: [{ system: RXNORM, code: rxcui('tranylcypromine') }], text: 'tranylcypromine 10 mg tablet' } };
    const draft: fhir4.MedicationRequest = { ...medReq('tranylcypromine', { mg: 20, status: 'draft', id }), medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/eMed1', display: 'tranylcypromine 10 mg tablet' } };
    const { cards } = runOrderHook({
      hook: 'order-select', context: { patientId: 'p1', selections: [`MedicationRequest/${id}`], draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }, { resource: medication }] } },
      prefetch: { medications: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: medReq('escitalopram', { mg: 10 }) }] } },
    }, kb(), NOW);
    expect(cards.map((c) => [c.indicator, c.source.topic?.code])).toEqual([['critical', 'DRG']]);
    expect(cards[0].suggestions?.[0].actions[0].resourceId).toBe(`MedicationRequest/${id}`);
  });

  test('a hook without prefetch still answers (empty regimen)', () => {
    const { cards } = runOrderHook({ hook: 'order-sign', context: { patientId: 'p1', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: medReq('quetiapine', { mg: 1200, status: 'draft' }) }] } } }, kb(), NOW);
    expect(cards.map((c) => c.indicator)).toEqual(['warning']);
  });
});
