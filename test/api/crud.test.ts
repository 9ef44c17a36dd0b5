// REST core: read, vread, create, update (and update-as-create), JSON Patch, delete, conditional interactions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { call, issueCode } from '../builders/http.ts';
import { medicationRequest, patient } from '../builders/resources.ts';

describe.each(TEST_DATABASES)('REST interactions on $name', (db) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(db);
  });
  afterAll(async () => srv.close());

  const create = async (resource: Record<string, unknown>) => {
    const r = await call(`${srv.base}/fhir/${resource.resourceType}`, { method: 'POST', json: resource });
    expect(r.status).toBe(201);
    return r;
  };

  it('creates a resource with a server id, 201, Location, ETag and Last-Modified', async () => {
    const r = await create(patient({ id: 'client-chosen' }));
    expect(r.body.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    expect(r.body.id).not.toBe('client-chosen');
    expect(r.body.meta.versionId).toBe('1');
    expect(r.headers.get('etag')).toBe('W/"1"');
    expect(r.headers.get('location')).toBe(`${srv.fhir}/Patient/${r.body.id}/_history/1`);
    expect(new Date(r.headers.get('last-modified')!).getTime()).toBeGreaterThan(0);
    expect(r.headers.get('content-type')).toMatch(/application\/fhir\+json/);
  });

  it('reads the current version and vreads an old one', async () => {
    const c = await create(patient());
    const id = c.body.id;
    const u = await call(`${srv.base}/fhir/Patient/${id}`, { method: 'PUT', json: { ...c.body, gender: 'male' } });
    expect(u.status).toBe(200);
    expect(u.headers.get('etag')).toBe('W/"2"');
    const read = await call(`${srv.base}/fhir/Patient/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.gender).toBe('male');
    expect(read.body.meta.versionId).toBe('2');
    const v1 = await call(`${srv.base}/fhir/Patient/${id}/_history/1`);
    expect(v1.status).toBe(200);
    expect(v1.body.gender).toBe('female');
    expect(v1.headers.get('etag')).toBe('W/"1"');
    const v9 = await call(`${srv.base}/fhir/Patient/${id}/_history/9`);
    expect(v9.status).toBe(404);
    expect(issueCode(v9)).toBe('not-found');
  });

  it('returns 404 not-found for an unknown id', async () => {
    const r = await call(`${srv.base}/fhir/Patient/does-not-exist`);
    expect(r.status).toBe(404);
    expect(issueCode(r)).toBe('not-found');
  });

  it('creates on update of an unknown id (update-as-create) with 201', async () => {
    const r = await call(`${srv.base}/fhir/Patient/chosen-id-1`, { method: 'PUT', json: patient({ id: 'chosen-id-1' }) });
    expect(r.status).toBe(201);
    expect(r.body.id).toBe('chosen-id-1');
    expect(r.headers.get('location')).toBe(`${srv.fhir}/Patient/chosen-id-1/_history/1`);
  });

  it('patches with JSON Patch and bumps the version', async () => {
    const c = await create(medicationRequest('Patient/p1'));
    const r = await call(`${srv.base}/fhir/MedicationRequest/${c.body.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([
        { op: 'test', path: '/status', value: 'active' },
        { op: 'replace', path: '/status', value: 'on-hold' },
        { op: 'add', path: '/note', value: [{ text: 'held for lab review' }] },
      ]),
    });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('on-hold');
    expect(r.body.note[0].text).toBe('held for lab review');
    expect(r.headers.get('etag')).toBe('W/"2"');
  });

  it('refuses a patch whose test fails with 422 and changes nothing', async () => {
    const c = await create(medicationRequest('Patient/p1'));
    const r = await call(`${srv.base}/fhir/MedicationRequest/${c.body.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'test', path: '/status', value: 'stopped' }, { op: 'replace', path: '/status', value: 'cancelled' }]),
    });
    expect(r.status).toBe(422);
    const read = await call(`${srv.base}/fhir/MedicationRequest/${c.body.id}`);
    expect(read.body.status).toBe('active');
    expect(read.body.meta.versionId).toBe('1');
  });

  it('refuses a patch that changes the id', async () => {
    const c = await create(patient());
    const r = await call(`${srv.base}/fhir/Patient/${c.body.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'replace', path: '/id', value: 'other' }]),
    });
    expect(r.status).toBe(422);
  });

  it('deletes with 204, then read gives 410 deleted, and a later update revives it', async () => {
    const c = await create(patient());
    const d = await call(`${srv.base}/fhir/Patient/${c.body.id}`, { method: 'DELETE' });
    expect(d.status).toBe(204);
    const r = await call(`${srv.base}/fhir/Patient/${c.body.id}`);
    expect(r.status).toBe(410);
    expect(issueCode(r)).toBe('deleted');
    const again = await call(`${srv.base}/fhir/Patient/${c.body.id}`, { method: 'DELETE' });
    expect(again.status).toBe(204);
    const revived = await call(`${srv.base}/fhir/Patient/${c.body.id}`, { method: 'PUT', json: { ...c.body } });
    expect(revived.status).toBe(201);
    expect(revived.body.meta.versionId).toBe('3');
  });

  it('conditional create with If-None-Exist returns the existing match with 200 and creates nothing', async () => {
    const c = await create(patient());
    const r = await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient(), headers: { 'If-None-Exist': `_id=${c.body.id}` } });
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(c.body.id);
    const none = await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient(), headers: { 'If-None-Exist': '_id=no-such-patient' } });
    expect(none.status).toBe(201);
  });

  it('conditional create with criteria matching two resources gives 412', async () => {
    const a = await create(patient());
    const b = await create(patient());
    const r = await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient(), headers: { 'If-None-Exist': `_id=${a.body.id},${b.body.id}` } });
    expect(r.status).toBe(412);
    expect(issueCode(r)).toBe('multiple-matches');
  });

  it('conditional update updates the single match, and creates when nothing matches', async () => {
    const c = await create(patient());
    const u = await call(`${srv.base}/fhir/Patient?_id=${c.body.id}`, { method: 'PUT', json: patient({ gender: 'other' }) });
    expect(u.status).toBe(200);
    expect(u.body.id).toBe(c.body.id);
    expect(u.body.gender).toBe('other');
    const n = await call(`${srv.base}/fhir/Patient?_id=cond-new-1`, { method: 'PUT', json: patient({ id: 'cond-new-1' }) });
    expect(n.status).toBe(201);
    expect(n.body.id).toBe('cond-new-1');
  });

  it('conditional delete removes the single match', async () => {
    const c = await create(patient());
    const d = await call(`${srv.base}/fhir/Patient?_id=${c.body.id}`, { method: 'DELETE' });
    expect(d.status).toBe(204);
    expect((await call(`${srv.base}/fhir/Patient/${c.body.id}`)).status).toBe(410);
  });

  it('conditional delete with two matches gives 412', async () => {
    const a = await create(patient());
    const b = await create(patient());
    const d = await call(`${srv.base}/fhir/Patient?_id=${a.body.id},${b.body.id}`, { method: 'DELETE' });
    expect(d.status).toBe(412);
  });
});
