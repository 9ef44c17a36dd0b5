// Result shaping: _include / _revinclude (:iterate, *), _sort, keyset paging, _count, _total, _summary, _elements, self links.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, ids, openFixture, search, type SearchFixture } from './harness.ts';
import { medication, medicationRequest, observation, patient } from './builders.ts';

const OBS = Array.from({ length: 25 }, (_, i) =>
  observation(`o${String(i).padStart(2, '0')}`, i % 2 ? 'p1' : 'p2', '14334-7', 0.4 + (i % 7) / 10, 'mmol/L', `2025-01-${String(1 + ((i * 11) % 28)).padStart(2, '0')}`));
const FIXTURES = [
  patient('p1', 'Smith', 'Ann', '1950-01-01', { generalPractitioner: [{ reference: 'Practitioner/dr1' }] }),
  patient('p2', 'Jones', 'Bob', '1970-01-01'),
  patient('p3', 'Adams', 'Cy', '1970-01-01'),
  { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'House' }] },
  medication('lith', '197891', 'Lithium carbonate 300 MG'),
  medicationRequest('mr1', 'p1', 'active', 'Medication/lith', '2025-01-01'),
  medicationRequest('mr2', 'p1', 'active', '#m', '2025-01-01', { contained: [medication('m', '312940', 'Sertraline')] }),
  { resourceType: 'Provenance', id: 'prov1', target: [{ reference: 'MedicationRequest/mr1' }], recorded: '2025-01-01T00:00:00Z', agent: [{ who: { reference: 'Practitioner/dr1' } }] },
  ...OBS,
];

const pageQuery = (pairs: [string, string][]) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');

describe.each(DRIVERS.map((d) => [d.name, d] as const))('search results on %s', (_, dc) => {
  let f: SearchFixture;
  beforeAll(async () => (f = await openFixture(dc, FIXTURES)));
  afterAll(() => f.close());

  it('_include returns referenced resources once, not contained ones', async () => {
    const r = await search(f, 'MedicationRequest', 'patient=p1&status=active&_include=MedicationRequest:medication');
    expect(r.matches.map((m) => m.id).sort()).toEqual(['mr1', 'mr2']);
    expect(r.includes.map((m) => `${m.type}/${m.id}`)).toEqual(['Medication/lith']);
  });
  it('_include with a target type and _include=* follow the references', async () => {
    const typed = await search(f, 'MedicationRequest', '_id=mr1&_include=MedicationRequest:subject:Patient');
    expect(typed.includes.map((m) => m.id)).toEqual(['p1']);
    const all = await search(f, 'MedicationRequest', '_id=mr1&_include=*');
    expect(all.includes.map((m) => `${m.type}/${m.id}`).sort()).toEqual(['Medication/lith', 'Patient/p1']);
  });
  it('_revinclude returns resources that refer to the matches; :iterate follows on', async () => {
    const r = await search(f, 'MedicationRequest', '_id=mr1&_revinclude=Provenance:target');
    expect(r.includes.map((m) => m.id)).toEqual(['prov1']);
    const it2 = await search(f, 'MedicationRequest', '_id=mr1&_revinclude=Provenance:target&_include:iterate=Provenance:agent');
    expect(it2.includes.map((m) => `${m.type}/${m.id}`).sort()).toEqual(['Practitioner/dr1', 'Provenance/prov1']);
    const star = await search(f, 'Patient', '_id=p2&_revinclude=*');
    expect(star.includes.filter((m) => m.type === 'Observation')).toHaveLength(13);
  });
  it('_include:iterate follows references of included resources', async () => {
    const r = await search(f, 'Observation', '_id=o01&_include=Observation:patient&_include:iterate=Patient:general-practitioner');
    expect(r.includes.map((m) => `${m.type}/${m.id}`)).toEqual(['Patient/p1', 'Practitioner/dr1']);
  });
  it('_sort orders by several keys, - for descending, missing values last', async () => {
    const r = await search(f, 'Patient', '_sort=-birthdate,family');
    expect(r.matches.map((m) => m.id)).toEqual(['p3', 'p2', 'p1']);
    const byDate = await search(f, 'Observation', 'patient=p1&_sort=-date&_count=3');
    const dates = byDate.matches.map((m) => JSON.parse(m.json!).effectiveDateTime);
    expect(dates).toEqual([...dates].sort().reverse());
  });
  it('pages with a cursor: every match exactly once, in order, with self and next links', async () => {
    const seen: string[] = [];
    let r = await search(f, 'Observation', 'code=14334-7&_sort=-date&_count=10');
    expect(r.self).toEqual([['code', '14334-7'], ['_sort', '-date'], ['_count', '10']]);
    seen.push(...r.matches.map((m) => m.id));
    while (r.next) {
      expect(r.next.find(([k]) => k === '_cursor')).toBeDefined();
      r = await search(f, 'Observation', pageQuery(r.next));
      seen.push(...r.matches.map((m) => m.id));
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });
  it('pages _sort=-_lastUpdated through a shared timestamp: ties by id descending, every match once', async () => {
    // The fixture's Observations share one lastUpdated; ties follow the last key's direction (index order).
    const seen: string[] = [];
    let r = await search(f, 'Observation', '_sort=-_lastUpdated&_count=10');
    seen.push(...r.matches.map((m) => m.id));
    while (r.next) {
      r = await search(f, 'Observation', pageQuery(r.next));
      seen.push(...r.matches.map((m) => m.id));
    }
    expect(seen).toEqual(OBS.map((o) => o.id as string).sort().reverse());
    const ascending = await search(f, 'Observation', '_sort=_lastUpdated&_count=3');
    expect(ascending.matches.map((m) => m.id)).toEqual(['o00', 'o01', 'o02']);
  });
  it('keeps paging stable when a resource is added before the cursor', async () => {
    const first = await search(f, 'Patient', '_count=1');
    await f.store.put('Patient', 'a0', { resourceType: 'Patient', name: [{ family: 'Aaron' }] }, '2026-01-15T11:00:00.000Z');
    const second = await search(f, 'Patient', pageQuery(first.next!));
    expect(second.matches[0].id > first.matches[0].id).toBe(true);
    await f.store.delete('Patient', 'a0', '2026-01-15T12:00:00.000Z');
  });
  it('_count defaults to 20 and is capped at 1000; _count=0 returns no matches', async () => {
    expect((await search(f, 'Observation', '')).matches).toHaveLength(20);
    const big = await search(f, 'Observation', '_count=5000');
    expect(big.matches).toHaveLength(25);
    expect(big.self).toContainEqual(['_count', '1000']);
    expect((await search(f, 'Observation', '_count=0&_total=accurate')).matches).toHaveLength(0);
  });
  it('_total=accurate and estimate count all matches; none leaves it out', async () => {
    expect((await search(f, 'Observation', 'patient=p1&_total=accurate')).total).toBe(12);
    expect((await search(f, 'Observation', 'patient=p1&_total=estimate')).total).toBe(12);
    expect((await search(f, 'Observation', 'patient=p1&_total=none')).total).toBeUndefined();
  });
  it('_summary=count returns only the total', async () => {
    const r = await search(f, 'Observation', 'patient=p2&_summary=count');
    expect(r.countOnly).toBe(true);
    expect(r.total).toBe(13);
    expect(r.matches).toEqual([]);
  });
  it('_elements and _summary are passed on for the Bundle', async () => {
    const r = await search(f, 'Patient', '_elements=name,birthDate&_summary=true');
    expect(r.elements).toEqual(['name', 'birthDate']);
    expect(r.summary).toBe('true');
  });
  it('does not return deleted resources', async () => {
    await f.store.put('Patient', 'gone', { resourceType: 'Patient', name: [{ family: 'Smith' }] }, '2026-01-15T11:00:00.000Z');
    await f.store.delete('Patient', 'gone', '2026-01-15T12:00:00.000Z');
    expect(await ids(f, 'Patient', 'name=smith')).toEqual(['p1']);
  });
  it('re-indexes an updated resource', async () => {
    await f.store.put('Patient', 'upd', { resourceType: 'Patient', name: [{ family: 'Before' }] }, '2026-01-15T11:00:00.000Z');
    await f.store.put('Patient', 'upd', { resourceType: 'Patient', name: [{ family: 'After' }] }, '2026-01-15T11:01:00.000Z');
    expect(await ids(f, 'Patient', 'name=before')).toEqual([]);
    expect(await ids(f, 'Patient', 'name=after')).toEqual(['upd']);
    await f.store.delete('Patient', 'upd', '2026-01-15T12:00:00.000Z');
  });
  it('lenient handling ignores an unknown parameter, warns, and leaves it out of self', async () => {
    const r = await search(f, 'Patient', 'family=smith&frobnicate=1', { strict: false });
    expect(r.matches.map((m) => m.id)).toEqual(['p1']);
    expect(r.warnings.join()).toContain('frobnicate');
    expect(r.self).toEqual([['family', 'smith']]);
  });
});
