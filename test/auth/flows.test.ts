// SMART App Launch 2.x flows over real HTTP: EHR and standalone launch, refresh rotation, backend
// services (ES384, RS384), introspection, revocation and the refusals (replays, PKCE, aud, redirect_uri).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, type TestDriver } from './drivers.ts';
import {
  authorizeUrl, basic, clientAssertion, createLaunch, ehrLaunchCode, exchangeCode, hiddenRequestId, makeKeys, pkcePair, post,
  readClaims, redirectParams, REDIRECT, startHarness, asJson, type Harness, type Keys,
} from './harness.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const EHR_SCOPE = 'launch openid fhirUser offline_access patient/*.rs user/*.cruds';

describe.each(DRIVERS)('SMART flows on $name', ({ open }) => {
  let db: TestDriver;
  let keys: Keys;
  let h: Harness;

  beforeAll(async () => {
    db = await open();
    keys = await makeKeys();
    h = await startHarness(db, keys);
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
  });

  async function read(path: string, token?: string): Promise<Response> {
    return fetch(`${h.fhirBase}/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  }

  it('completes an EHR launch with PKCE: code, state echoed, token with launch context', async () => {
    const { code, state, returnedState, verifier } = await ehrLaunchCode(h, { scope: EHR_SCOPE, patient: 'p1', encounter: 'e1' });
    expect(returnedState).toBe(state);
    const res = await exchangeCode(h, code, verifier);
    expect(res.status).toBe(200);
    const body = await res.json().then(asJson).then(asJson);
    expect(body).toMatchObject({ token_type: 'Bearer', patient: 'p1', encounter: 'e1', need_patient_banner: false });
    expect(body.smart_style_url).toBe(`${h.base}/auth/smart-style.json`);
    expect(body.scope.split(' ').sort()).toEqual(EHR_SCOPE.split(' ').sort());
    expect(typeof body.refresh_token).toBe('string');
    expect((await read('Patient/p1', body.access_token)).status).toBe(200);
    const principal = await h.auth.authenticate(`Bearer ${body.access_token}`);
    expect(principal).toMatchObject({ kind: 'user', clientId: 'app', patient: 'p1', fhirUser: 'Practitioner/dr1', encounter: 'e1' });
  });

  it('completes a standalone launch through the demo sign-in form and patient picker', async () => {
    const { verifier, challenge } = pkcePair();
    const scope = 'launch/patient openid fhirUser offline_access patient/*.rs';
    const first = await fetch(authorizeUrl(h, { scope, challenge, state: 'st-1' }), { redirect: 'manual' });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-security-policy')).toContain('frame-ancestors');
    const request = hiddenRequestId(await first.text());
    const bad = await post(`${h.base}/auth/authorize/login`, { request, username: 'psychiatrist', password: 'wrong' });
    expect(bad.status).toBe(401);
    const login = await post(`${h.base}/auth/authorize/login`, { request, username: 'psychiatrist', password: 'demo' });
    expect(login.status).toBe(200);
    const consentHtml = await login.text();
    expect(consentHtml).toContain('name="patient"');
    const consent = await post(`${h.base}/auth/authorize/consent`, { request, patient: 'p2', decision: 'allow', scope: scope.split(' ') });
    expect(consent.status).toBe(302);
    const params = redirectParams(consent);
    expect(params.get('state')).toBe('st-1');
    const res = await exchangeCode(h, params.get('code') as string, verifier);
    const body = await res.json().then(asJson).then(asJson);
    expect(body).toMatchObject({ patient: 'p2', need_patient_banner: true, token_type: 'Bearer' });
    expect(readClaims(body.id_token).fhirUser).toBe(`${h.fhirBase}/Practitioner/demo-psychiatrist`);
    expect((await read('Patient/p2', body.access_token)).status).toBe(200);
    expect((await read('Patient/p1', body.access_token)).status).toBe(404);
  });

  it('lets the user untick scopes at the consent step, and deny outright', async () => {
    const { verifier, challenge } = pkcePair();
    const first = await fetch(authorizeUrl(h, { scope: 'launch/patient patient/Patient.rs patient/Observation.rs', challenge, state: 's' }), { redirect: 'manual' });
    const request = hiddenRequestId(await first.text());
    await post(`${h.base}/auth/authorize/login`, { request, username: 'psychiatrist', password: 'demo' });
    const consent = await post(`${h.base}/auth/authorize/consent`, { request, patient: 'p1', decision: 'allow', scope: ['launch/patient', 'patient/Patient.rs'] });
    const body = await (await exchangeCode(h, redirectParams(consent).get('code') as string, verifier)).json().then(asJson).then(asJson);
    expect(body.scope).toBe('launch/patient patient/Patient.rs');
    expect((await read('Observation/lab1', body.access_token)).status).toBe(403);

    const again = await fetch(authorizeUrl(h, { scope: 'launch/patient patient/Patient.rs', challenge, state: 's2' }), { redirect: 'manual' });
    const request2 = hiddenRequestId(await again.text());
    await post(`${h.base}/auth/authorize/login`, { request: request2, username: 'psychiatrist', password: 'demo' });
    const denied = redirectParams(await post(`${h.base}/auth/authorize/consent`, { request: request2, decision: 'deny' }));
    expect(denied.get('error')).toBe('access_denied');
    expect(denied.get('state')).toBe('s2');
  });

  it('rotates refresh tokens; the old one is refused and its reuse revokes the grant', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { scope: EHR_SCOPE });
    const first = await (await exchangeCode(h, code, verifier)).json().then(asJson).then(asJson);
    const refreshed = await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: 'app' });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get('cache-control')).toBe('no-store');
    const second = await refreshed.json().then(asJson).then(asJson);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await read('Patient/p1', second.access_token)).status).toBe(200);
    const reuse = await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: 'app' });
    expect(reuse.status).toBe(400);
    expect((await reuse.json().then(asJson).then(asJson)).error).toBe('invalid_grant');
    // Reuse of a rotated token is theft: the whole grant dies, including the newest tokens.
    expect((await read('Patient/p1', second.access_token)).status).toBe(401);
    expect((await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: second.refresh_token, client_id: 'app' })).status).toBe(400);
  });

  it('issues online_access refresh tokens bounded by the session, and none without offline/online access', async () => {
    const online = await ehrLaunchCode(h, { clientId: 'online-app', scope: 'launch openid fhirUser online_access patient/*.rs' });
    const body = await (await exchangeCode(h, online.code, online.verifier, { clientId: 'online-app' })).json().then(asJson).then(asJson);
    expect(body.scope).toContain('online_access');
    const info = await (await post(`${h.base}/auth/introspect`, { token: body.refresh_token })).json().then(asJson).then(asJson);
    expect(info.active).toBe(true);
    expect(info.exp - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(12 * 3600);
    const none = await ehrLaunchCode(h, { scope: 'launch patient/*.rs' });
    const noRefresh = await (await exchangeCode(h, none.code, none.verifier)).json().then(asJson).then(asJson);
    expect(noRefresh.refresh_token).toBeUndefined();
  });

  it('refuses a replayed authorization code and revokes the tokens the first exchange issued', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { scope: EHR_SCOPE });
    const first = await (await exchangeCode(h, code, verifier)).json().then(asJson).then(asJson);
    expect((await read('Patient/p1', first.access_token)).status).toBe(200);
    const replay = await exchangeCode(h, code, verifier);
    expect(replay.status).toBe(400);
    expect((await replay.json().then(asJson).then(asJson)).error).toBe('invalid_grant');
    expect((await read('Patient/p1', first.access_token)).status).toBe(401);
    expect((await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: first.refresh_token, client_id: 'app' })).status).toBe(400);
  });

  it('refuses plain PKCE at the authorization endpoint', async () => {
    const launch = await createLaunch(h, { patient: 'p1', fhirUser: 'Practitioner/dr1' });
    const { verifier } = pkcePair();
    const res = await fetch(authorizeUrl(h, { scope: EHR_SCOPE, launch, challenge: verifier, method: 'plain', state: 'x' }), { redirect: 'manual' });
    const params = redirectParams(res);
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('code')).toBeNull();
    expect(params.get('state')).toBe('x');
  });

  it('refuses an authorization request without PKCE', async () => {
    const launch = await createLaunch(h, { patient: 'p1', fhirUser: 'Practitioner/dr1' });
    const params = redirectParams(await fetch(authorizeUrl(h, { scope: EHR_SCOPE, launch }), { redirect: 'manual' }));
    expect(params.get('error')).toBe('invalid_request');
  });

  it('refuses a bad aud with an error redirect and no code', async () => {
    const { challenge } = pkcePair();
    const params = redirectParams(await fetch(authorizeUrl(h, { scope: EHR_SCOPE, challenge, aud: 'https://inferno.healthit.gov/invalid_aud' }), { redirect: 'manual' }));
    expect(params.get('error')).toBe('invalid_request');
    expect(params.get('code')).toBeNull();
  });

  it('shows an error page, not a redirect, for an unregistered redirect_uri or unknown client', async () => {
    const { challenge } = pkcePair();
    for (const url of [
      authorizeUrl(h, { scope: EHR_SCOPE, challenge, redirectUri: 'http://localhost:9999/app/evil' }),
      authorizeUrl(h, { scope: EHR_SCOPE, challenge, redirectUri: 'https://attacker.example/' }),
      authorizeUrl(h, { scope: EHR_SCOPE, challenge, clientId: 'nobody' }),
    ]) {
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toContain('text/html');
    }
  });

  it('refuses a token request whose redirect_uri differs from the authorization request', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { scope: EHR_SCOPE });
    const res = await post(h.tokenUrl, { grant_type: 'authorization_code', code, redirect_uri: `${REDIRECT}other`, code_verifier: verifier, client_id: 'app' });
    expect(res.status).toBe(400);
    expect((await res.json().then(asJson).then(asJson)).error).toBe('invalid_grant');
  });

  it('accepts authorize as a form POST (authorize-post)', async () => {
    const launch = await createLaunch(h, { patient: 'p1', fhirUser: 'Practitioner/dr1' });
    const { verifier, challenge } = pkcePair();
    const url = new URL(authorizeUrl(h, { scope: EHR_SCOPE, launch, challenge, state: 'post-state' }));
    const res = await fetch(`${h.base}/auth/authorize`, { method: 'POST', body: url.searchParams, redirect: 'manual' });
    const params = redirectParams(res);
    expect(params.get('state')).toBe('post-state');
    expect((await exchangeCode(h, params.get('code') as string, verifier)).status).toBe(200);
  });

  it('refuses a launch bound to another client, and echoes nonce in the id_token', async () => {
    const bound = await createLaunch(h, { patient: 'p1', fhirUser: 'Practitioner/dr1', client_id: 'portal' });
    const { verifier, challenge } = pkcePair();
    const refused = redirectParams(await fetch(authorizeUrl(h, { scope: EHR_SCOPE, launch: bound, challenge }), { redirect: 'manual' }));
    expect(refused.get('error')).toBe('invalid_request');
    const launch = await createLaunch(h, { patient: 'p1', fhirUser: 'Practitioner/dr1', client_id: 'app' });
    const params = redirectParams(await fetch(authorizeUrl(h, { scope: EHR_SCOPE, launch, challenge, nonce: 'n-123' }), { redirect: 'manual' }));
    const body = await (await exchangeCode(h, params.get('code') as string, verifier)).json().then(asJson);
    expect(readClaims(body.id_token).nonce).toBe('n-123');
  });

  it('refuses a launch id used twice', async () => {
    const launch = await createLaunch(h, { patient: 'p1', fhirUser: 'Practitioner/dr1' });
    const { challenge } = pkcePair();
    redirectParams(await fetch(authorizeUrl(h, { scope: EHR_SCOPE, launch, challenge }), { redirect: 'manual' }));
    const again = redirectParams(await fetch(authorizeUrl(h, { scope: EHR_SCOPE, launch, challenge }), { redirect: 'manual' }));
    expect(again.get('error')).toBe('invalid_request');
  });

  it('authenticates a confidential symmetric client with HTTP Basic, and refuses a wrong secret', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { clientId: 'portal', scope: EHR_SCOPE });
    const wrong = await post(h.tokenUrl, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, { authorization: basic('portal', 'nope') });
    expect(wrong.status).toBe(401);
    expect((await wrong.json().then(asJson).then(asJson)).error).toBe('invalid_client');
    const ok = await post(h.tokenUrl, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, { authorization: basic('portal', 's3cret-portal') });
    expect(ok.status).toBe(200);
  });

  it('refuses a confidential client that does not authenticate', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { clientId: 'portal', scope: EHR_SCOPE });
    const res = await exchangeCode(h, code, verifier, { clientId: 'portal' });
    expect([400, 401]).toContain(res.status);
  });

  it('authenticates a confidential asymmetric client with private_key_jwt in the code flow', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { clientId: 'asym', scope: EHR_SCOPE });
    const res = await post(h.tokenUrl, {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier,
      client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion(keys.rs384, 'asym', h.tokenUrl),
    });
    expect(res.status).toBe(200);
  });

  for (const [alg, clientId, scope, path] of [
    ['ES384', 'pharmacy-es', 'system/MedicationRequest.rs', 'MedicationRequest/mr1'],
    ['RS384', 'pharmacy-rs', 'system/Observation.rs', 'Observation/lab2'],
  ] as const) {
    it(`issues a backend services token for a ${alg} client assertion`, async () => {
      const key = alg === 'ES384' ? keys.es384 : keys.rs384;
      const res = await post(h.tokenUrl, { grant_type: 'client_credentials', scope, client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion(key, clientId, h.tokenUrl) });
      expect(res.status).toBe(200);
      const body = await res.json().then(asJson).then(asJson);
      expect(body).toMatchObject({ token_type: 'bearer', expires_in: 300, scope });
      expect(body.refresh_token).toBeUndefined();
      expect((await read(path, body.access_token)).status).toBe(200);
      expect((await read('Patient/p1', body.access_token)).status).toBe(403);
      expect(await h.auth.authenticate(`Bearer ${body.access_token}`)).toMatchObject({ kind: 'system', clientId });
    });
  }

  it('refuses a replayed client assertion jti', async () => {
    const assertion = await clientAssertion(keys.es384, 'pharmacy-es', h.tokenUrl);
    const body = { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: JWT_BEARER, client_assertion: assertion };
    expect((await post(h.tokenUrl, body)).status).toBe(200);
    const replay = await post(h.tokenUrl, body);
    expect(replay.status).toBe(401);
    expect((await replay.json().then(asJson).then(asJson)).error).toBe('invalid_client');
  });

  it('refuses client assertions that expire more than 5 minutes ahead, name another audience or are signed by an unknown key', async () => {
    const cases = [
      await clientAssertion(keys.es384, 'pharmacy-es', h.tokenUrl, { expIn: 600 }),
      await clientAssertion(keys.es384, 'pharmacy-es', `${h.base}/other`),
      await clientAssertion(keys.rs384, 'pharmacy-es', h.tokenUrl),
    ];
    for (const assertion of cases) {
      const res = await post(h.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: JWT_BEARER, client_assertion: assertion });
      expect(res.status).toBe(401);
    }
  });

  it('narrows client_credentials scopes to the registration and refuses scopes it cannot grant', async () => {
    const ok = await post(h.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.cruds', client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion(keys.es384, 'pharmacy-es', h.tokenUrl) });
    expect((await ok.json().then(asJson).then(asJson)).scope.split(' ').sort()).toEqual(['system/*.rs', 'system/MedicationRequest.cruds']);
    const none = await post(h.tokenUrl, { grant_type: 'client_credentials', scope: 'patient/*.rs', client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion(keys.es384, 'pharmacy-es', h.tokenUrl) });
    expect(none.status).toBe(400);
    expect((await none.json().then(asJson).then(asJson)).error).toBe('invalid_scope');
  });

  it('introspects active access and refresh tokens with their context, and anything else as {active:false}', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { scope: EHR_SCOPE, patient: 'p1', encounter: 'e9' });
    const tok = await (await exchangeCode(h, code, verifier)).json().then(asJson).then(asJson);
    const res = await post(`${h.base}/auth/introspect`, { token: tok.access_token });
    expect(res.status).toBe(200);
    const info = await res.json().then(asJson).then(asJson);
    const idt = readClaims(tok.id_token);
    expect(info).toMatchObject({ active: true, client_id: 'app', patient: 'p1', encounter: 'e9', iss: idt.iss, sub: idt.sub, fhirUser: idt.fhirUser });
    expect(new Set(info.scope.split(' '))).toEqual(new Set(tok.scope.split(' ')));
    const refresh = await (await post(`${h.base}/auth/introspect`, { token: tok.refresh_token })).json().then(asJson).then(asJson);
    expect(refresh).toMatchObject({ active: true, client_id: 'app', patient: 'p1' });
    for (const token of ['garbage', `${tok.access_token}x`, '']) {
      expect(await (await post(`${h.base}/auth/introspect`, { token })).json().then(asJson).then(asJson)).toEqual({ active: false });
    }
  });

  it('revokes a token: the access token stops working, the refresh token is refused, introspection says inactive', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { scope: EHR_SCOPE });
    const tok = await (await exchangeCode(h, code, verifier)).json().then(asJson).then(asJson);
    const revoke = await post(`${h.base}/auth/revoke`, { token: tok.refresh_token, client_id: 'app' });
    expect(revoke.status).toBe(200);
    expect((await read('Patient/p1', tok.access_token)).status).toBe(401);
    expect(await (await post(`${h.base}/auth/introspect`, { token: tok.access_token })).json().then(asJson).then(asJson)).toEqual({ active: false });
    expect((await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: tok.refresh_token, client_id: 'app' })).status).toBe(400);
    // Revoking an unknown token is not an error (RFC 7009 §2.2).
    expect((await post(`${h.base}/auth/revoke`, { token: 'unknown', client_id: 'app' })).status).toBe(200);
  });

  it('does not let one client revoke another client\'s token', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { scope: EHR_SCOPE });
    const tok = await (await exchangeCode(h, code, verifier)).json().then(asJson).then(asJson);
    const res = await post(`${h.base}/auth/revoke`, { token: tok.access_token, client_id: 'v1app' });
    expect(res.status).toBe(400);
    expect((await read('Patient/p1', tok.access_token)).status).toBe(200);
  });
});
