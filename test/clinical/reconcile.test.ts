// $reconcile grouping (psychiatry-knowledge.md §6: matching tiers and discrepancy categories; SPEC §4 shape).
import { describe, expect, test } from 'vitest';
import { reconcile, reconcileToParameters, type ReconcileSource } from '../../server/clinical/reconcile.ts';
import { sourcesFromParameters } from '../../server/clinical/reconcile-input.ts';
import { kb, medReq, rxcui, scd } from './builders.ts';

const home = (entries: fhir4.MedicationRequest[]): ReconcileSource => ({ label: 'home list', date: '2026-05-01', entries });
const admit = (entries: fhir4.MedicationRequest[]): ReconcileSource => ({ label: 'admission orders', date: '2026-06-01', entries });

function groupOf(groups: ReturnType<typeof reconcile>, drug: string) {
  const g = groups.find((x) => x.ingredient.code === rxcui(drug));
  if (!g) throw new Error(`no group for ${drug}`);
  return g;
}

describe('reconcile', () => {
  const rows = [
    {
      name: 'same SCD and sig in both lists is identical (tier 1)', drug: 'sertraline',
      a: () => medReq('sertraline', { coding: scd('sertraline 100 MG Oral Tablet'), tablets: 1 }),
      b: () => medReq('sertraline', { coding: scd('sertraline 100 MG Oral Tablet'), tablets: 1 }), match: 'identical', discrepancy: [],
    },
    {
      name: 'brand SBD vs generic SCD is identical (tier 2: Zoloft 208149 ↔ sertraline 312938)', drug: 'sertraline',
      a: () => medReq('sertraline', { coding: scd('sertraline 100 MG Oral Tablet [Zoloft]'), tablets: 1 }),
      b: () => medReq('sertraline', { coding: scd('sertraline 100 MG Oral Tablet'), tablets: 1 }), match: 'identical', discrepancy: [],
    },
    {
      name: 'different strength is similar with a dose discrepancy (tier 3)', drug: 'sertraline',
      a: () => medReq('sertraline', { coding: scd('sertraline 50 MG Oral Tablet'), tablets: 1 }),
      b: () => medReq('sertraline', { coding: scd('sertraline 100 MG Oral Tablet'), tablets: 1 }), match: 'similar', discrepancy: ['dose'],
    },
    {
      name: 'IR vs ER lithium is similar with a form discrepancy (tier 4: 197890 vs 197891)', drug: 'lithium carbonate',
      a: () => medReq('lithium carbonate', { coding: scd('lithium carbonate 300 MG Oral Tablet'), tablets: 1, perDay: 2 }),
      b: () => medReq('lithium carbonate', { coding: scd('lithium carbonate 300 MG Extended Release Oral Tablet'), tablets: 1, perDay: 2 }), match: 'similar', discrepancy: ['form'],
    },
    {
      name: 'divalproex vs valproic acid compare at the ingredient (tier 6)', drug: 'valproate',
      a: () => medReq('valproate', { coding: { code: '11118', display: 'valproic acid' }, mg: 1000 }),
      b: () => medReq('valproate', { coding: scd('divalproex sodium 500 MG Delayed Release Oral Tablet'), tablets: 2 }), match: 'similar', discrepancy: [],
    },
    {
      name: 'the same daily dose split twice a day vs once a day is a frequency discrepancy only', drug: 'quetiapine',
      a: () => medReq('quetiapine', { mg: 100, perDay: 2 }),
      b: () => medReq('quetiapine', { mg: 100, perDay: 1 }), match: 'similar', discrepancy: ['frequency'],
    },
    {
      name: '300 mg at night vs 100 mg at night is a dose discrepancy', drug: 'quetiapine',
      a: () => medReq('quetiapine', { mg: 300 }),
      b: () => medReq('quetiapine', { mg: 100 }), match: 'similar', discrepancy: ['dose'],
    },
  ];
  test.each(rows)('$name', (row) => {
    const groups = reconcile([home([row.a()]), admit([row.b()])], kb());
    expect(groups).toHaveLength(1);
    const g = groupOf(groups, row.drug);
    expect(g.match).toBe(row.match);
    expect(g.discrepancy.sort()).toEqual([...row.discrepancy].sort());
    expect(g.entries.map((e) => e.source)).toEqual(['home list', 'admission orders']);
  });

  test('a home medication missing from the newer list is unique with an omission; a new one is a commission', () => {
    const groups = reconcile([home([medReq('lithium carbonate', { mg: 900 }), medReq('sertraline', { mg: 50 })]), admit([medReq('sertraline', { mg: 50 }), medReq('olanzapine', { mg: 10 })])], kb());
    expect(groupOf(groups, 'lithium carbonate')).toMatchObject({ match: 'unique', discrepancy: ['omission'] });
    expect(groupOf(groups, 'olanzapine')).toMatchObject({ match: 'unique', discrepancy: ['commission'] });
    expect(groupOf(groups, 'sertraline').match).toBe('identical');
  });

  test('sources are ordered by date, not by position', () => {
    const groups = reconcile([admit([medReq('olanzapine', { mg: 10 })]), home([])], kb());
    expect(groupOf(groups, 'olanzapine').discrepancy).toEqual(['commission']);
  });

  test('brand + generic of one drug in one list is a duplication', () => {
    const groups = reconcile([home([medReq('sertraline', { coding: scd('sertraline 50 MG Oral Tablet [Zoloft]'), tablets: 1 }), medReq('sertraline', { coding: scd('sertraline 50 MG Oral Tablet'), tablets: 1 })]), admit([medReq('sertraline', { mg: 50 })])], kb());
    expect(groupOf(groups, 'sertraline').discrepancy).toContain('duplication');
  });

  test('two SSRIs in one list are both duplications (DUP-two-SSRI)', () => {
    const list = () => [medReq('sertraline', { mg: 50 }), medReq('escitalopram', { mg: 10 })];
    const groups = reconcile([home(list()), admit(list())], kb());
    for (const drug of ['sertraline', 'escitalopram']) {
      expect(groupOf(groups, drug)).toMatchObject({ match: 'similar', discrepancy: ['duplication'] });
    }
  });

  test('reconcileToParameters has exactly the SPEC shape', () => {
    const a = medReq('lithium carbonate', { mg: 900 });
    const p = reconcileToParameters(reconcile([home([a]), admit([])], kb()));
    expect(p).toEqual({
      resourceType: 'Parameters',
      parameter: [{
        name: 'group',
        part: [
          { name: 'match', valueCode: 'unique' },
          { name: 'discrepancy', valueCode: 'omission' },
          { name: 'ingredient', valueCoding: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: rxcui('lithium carbonate'), display: 'lithium carbonate' } },
          { name: 'entry', part: [{ name: 'source', valueString: 'home list' }, { name: 'resource', resource: a }] },
        ],
      }],
    });
  });

  test('reads source parts holding a Bundle and a List with contained entries', () => {
    const a = medReq('sertraline', { mg: 50, id: 'a1' });
    const b = medReq('sertraline', { mg: 50, id: 'b1' });
    const sources = sourcesFromParameters({
      resourceType: 'Parameters',
      parameter: [
        { name: 'source', part: [{ name: 'label', valueString: 'EHR' }, { name: 'date', valueDateTime: '2026-05-01' }, { name: 'list', resource: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: a }] } }] },
        { name: 'source', part: [{ name: 'label', valueString: 'patient' }, { name: 'list', resource: { resourceType: 'List', status: 'current', mode: 'snapshot', contained: [b], entry: [{ item: { reference: '#b1' } }] } }] },
      ],
    });
    expect(sources.map((s) => [s.label, s.date, s.entries.map((e) => e.id)])).toEqual([['EHR', '2026-05-01', ['a1']], ['patient', undefined, ['b1']]]);
    expect(reconcile(sources, kb())[0].match).toBe('identical');
  });
});

describe('route comparison', () => {
  const withRoute = (route: fhir4.CodeableConcept) => {
    const r = medReq('haloperidol', { mg: 5 });
    r.dosageInstruction![0].route = route;
    return r;
  };
  test('Epic "Oral" (OID code) and SNOMED "Oral route" are the same route', () => {
    const groups = reconcile([home([withRoute({ coding: [{ system: 'urn:oid:1.2.840.114350.1.13.0.1.7.4.798268.7025', code: '15', display: 'Oral' }] })]), admit([withRoute({ coding: [{ system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' }] })])], kb());
    expect(groups[0].discrepancy).toEqual([]);
  });
  test('oral vs intramuscular is a route discrepancy', () => {
    const groups = reconcile([home([withRoute({ text: 'PO' })]), admit([withRoute({ text: 'IM' })])], kb());
    expect(groups[0].discrepancy).toEqual(['route']);
  });
});
