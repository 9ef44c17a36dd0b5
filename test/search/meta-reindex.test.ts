// Resource-level parameters (_tag, _profile, _security, _source) and rebuilding the index with reindex().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reindex } from '../../server/search/index.ts';
import { ResourceStore } from '../../server/store/resource-store.ts';
import { DRIVERS, ids, NOW, openFixture, type SearchFixture } from './harness.ts';
import { patient } from './builders.ts';

const FIXTURES = [
  patient('tagged', 'Smith', 'Ann', '1950-01-01', {
    meta: {
      tag: [{ system: 'http://titrate.example/tags', code: 'research' }],
      security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }],
      profile: ['http://titrate.example/fhir/StructureDefinition/titrate-patient'],
      source: 'https://ehr.example/fhir#abc',
    },
  }),
  patient('plain', 'Jones', 'Bob', '1970-01-01'),
];

describe.each(DRIVERS.map((d) => [d.name, d] as const))('resource-level parameters and reindex on %s', (_, dc) => {
  let f: SearchFixture;
  beforeAll(async () => (f = await openFixture(dc, FIXTURES)));
  afterAll(() => f.close());

  it('_tag, _security, _profile and _source search meta', async () => {
    expect(await ids(f, 'Patient', '_tag=http://titrate.example/tags|research')).toEqual(['tagged']);
    expect(await ids(f, 'Patient', '_security=R')).toEqual(['tagged']);
    expect(await ids(f, 'Patient', '_profile=http://titrate.example/fhir/StructureDefinition/titrate-patient')).toEqual(['tagged']);
    expect(await ids(f, 'Patient', '_source=https://ehr.example/fhir%23abc')).toEqual(['tagged']);
    expect(await ids(f, 'Patient', '_tag:missing=true')).toEqual(['plain']);
  });

  it('reindex() rebuilds the rows of resources written without an index', async () => {
    const bare = ResourceStore.open(f.driver);
    await bare.put('Patient', 'late', patient('late', 'Latecomer', 'Al', '1990-01-01'), NOW);
    expect(await ids(f, 'Patient', 'name=latecomer')).toEqual([]);
    const n = await reindex(f.store, f.engine.indexHook, 2);
    expect(n).toBe(3);
    expect(await ids(f, 'Patient', 'name=latecomer')).toEqual(['late']);
    expect(await ids(f, 'Patient', 'name=smith')).toEqual(['tagged']);
  });

  it('writeMany() indexes a batch inside the ingest transaction', async () => {
    const bare = ResourceStore.open(f.driver);
    const items = ['b1', 'b2'].map((id) => ({ type: 'Patient', id, resource: patient(id, 'Batchley', 'Al', '1991-01-01') }));
    await bare.transaction(async (tx) => {
      const stored = await tx.insertNew(items, NOW);
      await f.engine.indexHook.writeMany(tx.sql, stored.map((s) => ({ type: s.type, id: s.id, resource: JSON.parse(s.json!) })));
    });
    expect(await ids(f, 'Patient', 'name=batchley&birthdate=1991')).toEqual(['b1', 'b2']);
  });

  it('lists the official parameters of a type for the CapabilityStatement', () => {
    const names = f.engine.supportedParams('Observation').map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['code', 'patient', 'value-quantity', 'code-value-quantity', '_tag', '_has']));
    expect(f.engine.supportedParams('Observation').find((p) => p.name === 'code')?.definition).toBe('http://hl7.org/fhir/SearchParameter/clinical-code');
  });
});
