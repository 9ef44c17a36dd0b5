// Concurrent conflicting If-Match updates: exactly one wins, the rest get 412, versions stay contiguous (SPEC §9).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { call } from '../builders/http.ts';
import { patient } from '../builders/resources.ts';

describe.each(TEST_DATABASES)('concurrent writes on $name', (db) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(db);
  });
  afterAll(async () => srv.close());

  it('lets exactly one of 20 concurrent If-Match updates win; the other 19 get 412', async () => {
    const p = (await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient() })).body;
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'PUT', json: { ...p, name: [{ family: `Writer${i}` }] }, headers: { 'If-Match': 'W/"1"' } }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(19);
    const history = await call(`${srv.base}/fhir/Patient/${p.id}/_history`);
    expect(history.body.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['2', '1']);
    const winner = replies.find((r) => r.status === 200)!;
    const current = await call(`${srv.base}/fhir/Patient/${p.id}`);
    expect(current.body.name[0].family).toBe(winner.body.name[0].family);
  });

  it('keeps versions contiguous under 20 concurrent unconditional updates', async () => {
    const p = (await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient() })).body;
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'PUT', json: { ...p, name: [{ family: `W${i}` }] } })),
    );
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const versions = replies.map((r) => Number(r.body.meta.versionId)).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    const history = await call(`${srv.base}/fhir/Patient/${p.id}/_history?_count=50`);
    expect(history.body.total).toBe(21);
  });
});
