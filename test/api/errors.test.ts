// Bad input always gets a 4xx OperationOutcome with a precise issue code — never a 500, never a hang.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { call, issueCode } from '../builders/http.ts';
import { patient } from '../builders/resources.ts';

describe.each(TEST_DATABASES)('REST errors on $name', (db) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(db);
  });
  afterAll(async () => srv.close());

  const post = (path: string, body: string, ct = 'application/fhir+json') =>
    call(`${srv.base}/fhir/${path}`, { method: 'POST', body, headers: { 'content-type': ct } });

  it.each([
    ['invalid JSON', '{"resourceType": "Patient",', 400, 'structure'],
    ['an empty body', '', 400, 'structure'],
    ['a JSON array', '[1,2]', 400, 'structure'],
    ['a body without resourceType', '{"name":[{"family":"x"}]}', 400, 'structure'],
    ['the wrong resourceType for the URL', '{"resourceType":"Observation","status":"final"}', 400, 'invalid'],
    ['a __proto__ key', '{"resourceType":"Patient","__proto__":{"polluted":true}}', 400, 'structure'],
    ['a nested constructor key', '{"resourceType":"Patient","name":[{"constructor":{"prototype":{}}}]}', 400, 'structure'],
    ['JSON nested deeper than 100', `{"resourceType":"Patient","extension":${'['.repeat(150)}${']'.repeat(150)}}`, 400, 'structure'],
    ['an invalid id in the body of a create', '{"resourceType":"Patient","id":"bad id with spaces"}', 400, 'invalid'],
  ])('answers %s with %s', async (_label, body, status, code) => {
    const r = await post('Patient', body);
    expect(r.status).toBe(status);
    if (code) {
      expect(r.body.resourceType).toBe('OperationOutcome');
      expect(issueCode(r)).toBe(code);
    }
  });

  it('does not pollute Object.prototype', async () => {
    await post('Patient', '{"resourceType":"Patient","__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers a body over the limit with 413 too-long', async () => {
    const big = JSON.stringify(patient({ text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(1_100_000)}</div>` } }));
    const r = await post('Patient', big);
    expect(r.status).toBe(413);
    expect(issueCode(r)).toBe('too-long');
  });

  it('answers an unknown resource type with 404 not-supported', async () => {
    for (const [method, path] of [['GET', 'Fhqwhgads/1'], ['GET', 'Fhqwhgads'], ['POST', 'Fhqwhgads']] as const) {
      const r = await call(`${srv.base}/fhir/${path}`, { method, ...(method === 'POST' ? { json: { resourceType: 'Fhqwhgads' } } : {}) });
      expect(r.status).toBe(404);
      expect(issueCode(r)).toBe('not-supported');
    }
  });

  it('answers an id mismatch between URL and body with 400', async () => {
    const r = await call(`${srv.base}/fhir/Patient/abc`, { method: 'PUT', json: patient({ id: 'xyz' }) });
    expect(r.status).toBe(400);
    expect(issueCode(r)).toBe('invalid');
    const missing = await call(`${srv.base}/fhir/Patient/abc`, { method: 'PUT', json: patient() });
    expect(missing.status).toBe(400);
  });

  it('answers an id that breaks the FHIR id rule with 400', async () => {
    const long = 'a'.repeat(65);
    const r = await call(`${srv.base}/fhir/Patient/${long}`);
    expect(r.status).toBe(400);
    const bad = await call(`${srv.base}/fhir/Patient/${encodeURIComponent('a b')}`, { method: 'PUT', json: patient({ id: 'a b' }) });
    expect(bad.status).toBe(400);
  });

  it('answers a malformed JSON Patch with 400 and a wrong patch content type with 415', async () => {
    const p = (await post('Patient', JSON.stringify(patient()))).body;
    const notArray = await call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'PATCH', body: '{"op":"replace"}', headers: { 'content-type': 'application/json-patch+json' } });
    expect(notArray.status).toBe(400);
    const wrongType = await call(`${srv.base}/fhir/Patient/${p.id}`, { method: 'PATCH', body: '[]', headers: { 'content-type': 'text/plain' } });
    expect(wrongType.status).toBe(415);
  });

  it('answers bad search input with 400: _count=-1, malformed _lastUpdated, bad _cursor', async () => {
    for (const q of ['_count=-1', '_count=abc', '_lastUpdated=2026-13-45', '_lastUpdated=xx2026', '_cursor=%%%', '_total=maybe']) {
      const r = await call(`${srv.base}/fhir/Patient?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.resourceType).toBe('OperationOutcome');
    }
  });

  it('answers an unknown parameter with 400 under Prefer: handling=strict and ignores it otherwise', async () => {
    const strict = await call(`${srv.base}/fhir/Patient?no-such-param=1`, { headers: { Prefer: 'handling=strict' } });
    expect(strict.status).toBe(400);
    expect(JSON.stringify(strict.body)).toContain('no-such-param');
    const lenient = await call(`${srv.base}/fhir/Patient?no-such-param=1`);
    expect(lenient.status).toBe(200);
    expect(lenient.body.link[0].url).not.toContain('no-such-param');
  });

  it('answers a bad _since in history with 400', async () => {
    const r = await call(`${srv.base}/fhir/Patient/_history?_since=yesterday`);
    expect(r.status).toBe(400);
  });

  it('answers unknown paths with 404 OperationOutcome', async () => {
    const r = await call(`${srv.base}/nope`);
    expect(r.status).toBe(404);
    expect(r.body.resourceType).toBe('OperationOutcome');
    const m = await call(`${srv.base}/fhir/Patient/x/_history/1/extra`);
    expect(m.status).toBe(404);
  });

  it('answers a bad percent-encoding in the path with 400', async () => {
    const r = await call(`${srv.base}/fhir/Patient/%E0%A4%A`);
    expect(r.status).toBe(400);
  });
});
