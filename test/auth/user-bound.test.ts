// user/ scopes bounded by the user (issue 5): an app acting for a user never gets more than the user may do —
// the demo pharmacist reads everything and writes medication resources only, and an EHR launch can state its user's
// permissions (`user_scope`). Through the real server, on each test database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { TEST_DATABASES } from '../builders/databases.ts';
import { asJson, authorizeUrl, ehrLaunchCode, exchangeCode, hiddenRequestId, makeKeys, pkcePair, post, redirectParams, testClients, type Harness } from './harness.ts';

describe.each(TEST_DATABASES)('user/ scopes bounded by the user ($name)', (db) => {
  let srv: TestServer;
  let h: Harness;
  beforeAll(async () => {
    const keys = await makeKeys();
    srv = await startTestServer(db, { env: { AUTH: 'smart', DEMO: '1' }, clients: testClients(keys) });
    h = { base: srv.base, fhirBase: srv.fhir, tokenUrl: srv.tokenUrl, auth: srv.auth, close: () => srv.close() };
  });
  afterAll(async () => {
    await srv?.close();
  });

  const write = (type: string, token: string, body: Record<string, unknown>) =>
    fetch(`${srv.fhir}/${type}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: type, ...body }) });
  const MR = { status: 'active', intent: 'order', subject: { reference: 'Patient/ub-p' }, medicationCodeableConcept: { text: 'lithium carbonate 300 mg' } };
  const OBS = { status: 'final', code: { text: 'Lithium' }, subject: { reference: 'Patient/ub-p' } };

  it('a standalone launch as the pharmacist offers and grants only what a pharmacist may do', async () => {
    const { verifier, challenge } = pkcePair();
    const first = await fetch(authorizeUrl(h, { scope: 'openid fhirUser user/*.cruds', challenge, state: 'ub' }), { redirect: 'manual' });
    const request = hiddenRequestId(await first.text());
    const login = await post(`${h.base}/auth/authorize/login`, { request, username: 'pharmacist', password: 'demo' });
    const page = await login.text();
    expect(page).toContain('user/*.rs');
    expect(page).toContain('user/MedicationRequest.cruds');
    expect(page).not.toContain('user/*.cruds');
    // Ticking the unbounded scope anyway gains nothing: only offered scopes count.
    const consent = await post(`${h.base}/auth/authorize/consent`, { request, decision: 'allow', scope: ['openid', 'fhirUser', 'user/*.cruds', 'user/*.rs', 'user/MedicationRequest.cruds'] });
    const token = asJson(await (await exchangeCode(h, redirectParams(consent).get('code') as string, verifier)).json());
    expect(token.scope.split(' ').sort()).toEqual(['fhirUser', 'openid', 'user/*.rs', 'user/MedicationRequest.cruds']);
    expect((await write('MedicationRequest', token.access_token, MR)).status).toBe(201);
    const refused = await write('Observation', token.access_token, OBS);
    expect(refused.status).toBe(403);
    expect(asJson(await refused.json()).resourceType).toBe('OperationOutcome');
  });

  it('the psychiatrist keeps every user/ scope the app asked for', async () => {
    const { verifier, challenge } = pkcePair();
    const first = await fetch(authorizeUrl(h, { scope: 'user/*.cruds', challenge, state: 'ub2' }), { redirect: 'manual' });
    const request = hiddenRequestId(await first.text());
    await post(`${h.base}/auth/authorize/login`, { request, username: 'psychiatrist', password: 'demo' });
    const consent = await post(`${h.base}/auth/authorize/consent`, { request, decision: 'allow', scope: ['user/*.cruds'] });
    const token = asJson(await (await exchangeCode(h, redirectParams(consent).get('code') as string, verifier)).json());
    expect(token.scope).toBe('user/*.cruds');
    expect((await write('Observation', token.access_token, OBS)).status).toBe(201);
  });

  it('an EHR launch that states its user\'s permissions (user_scope) bounds the app\'s user/ scopes to them', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { scope: 'launch user/*.cruds', fhirUser: 'Practitioner/demo-pharmacist', userScope: 'user/Observation.rs' });
    const token = asJson(await (await exchangeCode(h, code, verifier)).json());
    expect(token.scope.split(' ').sort()).toEqual(['launch', 'user/Observation.rs']);
    expect((await write('MedicationRequest', token.access_token, MR)).status).toBe(403);
    const search = await fetch(`${srv.fhir}/Observation?subject=Patient/ub-p`, { headers: { authorization: `Bearer ${token.access_token}` } });
    expect(search.status).toBe(200);
  });

  it('refuses a launch whose user_scope is not user/ scopes', async () => {
    for (const userScope of ['patient/*.rs', 'system/*.cruds', 'openid', '']) {
      const res = await fetch(`${h.base}/auth/launch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ patient: 'ub-p', fhirUser: 'Practitioner/dr1', user_scope: userScope }),
      });
      expect(res.status).toBe(400);
      expect(asJson(await res.json()).error).toBe('invalid_request');
    }
  });
});
