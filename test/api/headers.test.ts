// REST core headers: If-Match, If-None-Match, If-Modified-Since, Prefer, _summary/_elements, _pretty, negotiation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { call, issueCode } from '../builders/http.ts';
import { medicationRequest, patient } from '../builders/resources.ts';

describe.each(TEST_DATABASES)('REST headers on $name', (db) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(db);
  });
  afterAll(async () => srv.close());

  const create = async (resource: Record<string, unknown>) =>
    (await call(`${srv.base}/fhir/${resource.resourceType}`, { method: 'POST', json: resource })).body;

  it('returns 412 when If-Match names an old version', async () => {
    const p = await create(patient());
    const ok = await call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'PUT', json: p, headers: { 'If-Match': 'W/"1"' } });
    expect(ok.status).toBe(200);
    const stale = await call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'PUT', json: p, headers: { 'If-Match': 'W/"1"' } });
    expect(stale.status).toBe(412);
    expect(issueCode(stale)).toBe('conflict');
  });

  it('returns 412 when a delete If-Match names an old version', async () => {
    const p = await create(patient());
    const r = await call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'DELETE', headers: { 'If-Match': 'W/"7"' } });
    expect(r.status).toBe(412);
  });

  it('returns 400 for a malformed If-Match', async () => {
    const p = await create(patient());
    const r = await call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'PUT', json: p, headers: { 'If-Match': 'banana' } });
    expect(r.status).toBe(400);
  });

  it('returns 304 when If-None-Match names the current version', async () => {
    const p = await create(patient());
    const r = await call(`${srv.base}/fhir/Patient/${p.id}`, { headers: { 'If-None-Match': 'W/"1"' } });
    expect(r.status).toBe(304);
    expect(r.text).toBe('');
    const other = await call(`${srv.base}/fhir/Patient/${p.id}`, { headers: { 'If-None-Match': 'W/"0"' } });
    expect(other.status).toBe(200);
  });

  it('returns 304 for If-Modified-Since after the last update and 200 before it', async () => {
    const p = await create(patient());
    const later = new Date(Date.now() + 60_000).toUTCString();
    expect((await call(`${srv.base}/fhir/Patient/${p.id}`, { headers: { 'If-Modified-Since': later } })).status).toBe(304);
    const earlier = new Date(Date.now() - 3_600_000).toUTCString();
    expect((await call(`${srv.base}/fhir/Patient/${p.id}`, { headers: { 'If-Modified-Since': earlier } })).status).toBe(200);
  });

  it('honours Prefer: return=minimal, representation and OperationOutcome', async () => {
    const minimal = await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient(), headers: { Prefer: 'return=minimal' } });
    expect(minimal.status).toBe(201);
    expect(minimal.text).toBe('');
    expect(minimal.headers.get('location')).toContain('/Patient/');
    const rep = await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient(), headers: { Prefer: 'return=representation' } });
    expect(rep.body.resourceType).toBe('Patient');
    const oo = await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient(), headers: { Prefer: 'return=OperationOutcome' } });
    expect(oo.status).toBe(201);
    expect(oo.body.resourceType).toBe('OperationOutcome');
    expect(oo.body.issue[0].severity).toBe('information');
  });

  it('applies _summary=true, _summary=text and _elements on read and marks SUBSETTED', async () => {
    const mr = await create(medicationRequest('Patient/x', { note: [{ text: 'long note' }], text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' } }));
    const s = await call(`${srv.base}/fhir/MedicationRequest/${mr.id}?_summary=true`);
    expect(s.body.status).toBe('active');
    expect(s.body.subject).toBeDefined();
    expect(s.body.note).toBeUndefined();
    expect(s.body.dosageInstruction).toBeUndefined();
    expect(s.body.meta.tag.some((t: { code: string }) => t.code === 'SUBSETTED')).toBe(true);
    const t = await call(`${srv.base}/fhir/MedicationRequest/${mr.id}?_summary=text`);
    expect(t.body.text.status).toBe('generated');
    expect(t.body.note).toBeUndefined();
    const e = await call(`${srv.base}/fhir/MedicationRequest/${mr.id}?_elements=note`);
    expect(e.body.note[0].text).toBe('long note');
    expect(e.body.dosageInstruction).toBeUndefined();
    expect(e.body.status).toBe('active'); // mandatory elements stay
  });

  it('pretty-prints with _pretty=true', async () => {
    const p = await create(patient());
    const r = await call(`${srv.base}/fhir/Patient/${p.id}?_pretty=true`);
    expect(r.text).toContain('\n  "resourceType"');
    const plain = await call(`${srv.base}/fhir/Patient/${p.id}`);
    expect(plain.text).not.toContain('\n');
  });

  it('answers application/json and application/fhir+json, refuses XML with 406', async () => {
    const p = await create(patient());
    expect((await call(`${srv.base}/fhir/Patient/${p.id}`, { headers: { Accept: 'application/json' } })).status).toBe(200);
    expect((await call(`${srv.base}/fhir/Patient/${p.id}`, { headers: { Accept: 'application/fhir+json' } })).status).toBe(200);
    const xml = await call(`${srv.base}/fhir/Patient/${p.id}`, { headers: { Accept: 'application/fhir+xml' } });
    expect(xml.status).toBe(406);
    expect(issueCode(xml)).toBe('not-supported');
    const fmt = await call(`${srv.base}/fhir/Patient/${p.id}?_format=xml`);
    expect(fmt.status).toBe(406);
    const json = await call(`${srv.base}/fhir/Patient/${p.id}?_format=json`);
    expect(json.status).toBe(200);
  });

  it('accepts a body sent as application/json', async () => {
    const r = await call(`${srv.base}/fhir/Patient`, { method: 'POST', body: JSON.stringify(patient()), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(201);
  });

  it('refuses an XML body with 415', async () => {
    const r = await call(`${srv.base}/fhir/Patient`, { method: 'POST', body: '<Patient xmlns="http://hl7.org/fhir"/>', headers: { 'content-type': 'application/fhir+xml' } });
    expect(r.status).toBe(415);
    expect(r.body.resourceType).toBe('OperationOutcome');
  });
});
