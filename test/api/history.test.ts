// History at instance, type and system level with _since, _count and cursor paging; search by _id/_lastUpdated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { call } from '../builders/http.ts';
import { patient } from '../builders/resources.ts';

describe.each(TEST_DATABASES)('history and basic search on $name', (db) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(db);
  });
  afterAll(async () => srv.close());

  const create = async (r: Record<string, unknown>) => (await call(`${srv.base}/fhir/${r.resourceType}`, { method: 'POST', json: r })).body;

  it('lists instance history newest first with request/response per entry, deletes included', async () => {
    const p = await create(patient());
    await call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'PUT', json: { ...p, gender: 'male' } });
    await call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'DELETE' });
    const h = await call(`${srv.base}/fhir/Patient/${p.id}/_history`);
    expect(h.status).toBe(200);
    expect(h.body.type).toBe('history');
    expect(h.body.total).toBe(3);
    expect(h.body.entry.map((e: any) => e.request.method)).toEqual(['DELETE', 'PUT', 'POST']);
    expect(h.body.entry[0].resource).toBeUndefined();
    expect(h.body.entry[1].resource.gender).toBe('male');
    expect(h.body.entry[2].response.etag).toBe('W/"1"');
  });

  it('answers instance history of an unknown id with 404', async () => {
    expect((await call(`${srv.base}/fhir/Patient/never-was/_history`)).status).toBe(404);
  });

  it('pages type history with _count and a next link until every version is seen once', async () => {
    const marker = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await create({ resourceType: 'Device', id: undefined, distinctIdentifier: `d${marker}-${i}` })).id);
    const seen: string[] = [];
    let url: string | undefined = `${srv.base}/fhir/Device/_history?_count=2`;
    let pages = 0;
    while (url && pages < 10) {
      const page = await call(url.replace(srv.fhir, `${srv.base}/fhir`));
      expect(page.status).toBe(200);
      expect(page.body.entry.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.entry.map((e: any) => e.resource.id));
      url = page.body.link.find((l: any) => l.relation === 'next')?.url;
      pages++;
    }
    expect(seen.sort()).toEqual([...ids].sort());
    expect(pages).toBe(3);
  });

  it('filters history with _since', async () => {
    const p = await create(patient());
    await new Promise((r) => setTimeout(r, 15));
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 15));
    await call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'PUT', json: { ...p, gender: 'other' } });
    const h = await call(`${srv.base}/fhir/Patient/${p.id}/_history?_since=${encodeURIComponent(since)}`);
    expect(h.body.entry).toHaveLength(1);
    expect(h.body.entry[0].resource.meta.versionId).toBe('2');
    const sys = await call(`${srv.base}/fhir/_history?_since=${encodeURIComponent(since)}`);
    expect(sys.body.entry.some((e: any) => e.resource?.id === p.id)).toBe(true);
    expect(sys.body.entry.every((e: any) => e.response.lastModified >= since)).toBe(true);
  });

  it('searches by _id (comma = OR) and _lastUpdated ranges', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const a = await create({ resourceType: 'Substance', code: { text: 'a' } });
    const b = await create({ resourceType: 'Substance', code: { text: 'b' } });
    const byId = await call(`${srv.base}/fhir/Substance?_id=${a.id},${b.id}`);
    expect(byId.body.entry.map((e: any) => e.resource.id).sort()).toEqual([a.id, b.id].sort());
    expect(byId.body.entry[0].search.mode).toBe('match');
    const recent = await call(`${srv.base}/fhir/Substance?_lastUpdated=ge${encodeURIComponent(before)}&_total=accurate`);
    expect(recent.body.total).toBeGreaterThanOrEqual(2);
    const future = await call(`${srv.base}/fhir/Substance?_lastUpdated=gt2999-01-01`);
    // No matches: no entry at all (FHIR JSON has no empty arrays).
    expect(future.body.entry).toBeUndefined();
    const count = await call(`${srv.base}/fhir/Substance?_id=${a.id}&_summary=count`);
    expect(count.body.total).toBe(1);
    expect(count.body.entry).toBeUndefined();
  });

  it('keeps paging stable while data changes: no match repeated or lost', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await create({ resourceType: 'BodyStructure', patient: { reference: 'Patient/x' }, description: `b${i}` })).id);
    const first = await call(`${srv.base}/fhir/BodyStructure?_count=3`);
    const seen = first.body.entry.map((e: any) => e.resource.id);
    // Update a resource already seen: an OFFSET pager over last_updated would show it again.
    await call(`${srv.base}/fhir/BodyStructure/${seen[0]}`, { method: 'PUT', json: { ...first.body.entry[0].resource, description: 'changed' } });
    const next = first.body.link.find((l: any) => l.relation === 'next').url.replace(srv.fhir, `${srv.base}/fhir`);
    const second = await call(next);
    const all = [...seen, ...second.body.entry.map((e: any) => e.resource.id)];
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual([...ids].sort());
  });

  it('serves a CapabilityStatement built from the interaction table', async () => {
    const r = await call(`${srv.base}/fhir/metadata`);
    expect(r.status).toBe(200);
    expect(r.body.resourceType).toBe('CapabilityStatement');
    expect(r.body.fhirVersion).toBe('4.0.1');
    const rest = r.body.rest[0];
    expect(rest.resource).toHaveLength(146);
    const mr = rest.resource.find((x: any) => x.type === 'MedicationRequest');
    expect(mr.interaction.map((i: any) => i.code).sort()).toEqual(
      ['create', 'delete', 'history-instance', 'history-type', 'patch', 'read', 'search-type', 'update', 'vread'].sort(),
    );
    expect(mr.searchParam.map((p: any) => p.name)).toContain('_id');
    expect(rest.interaction.map((i: any) => i.code).sort()).toEqual(['batch', 'history-system', 'transaction']);
  });
});
