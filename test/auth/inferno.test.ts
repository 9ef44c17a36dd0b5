// The Inferno assertions of /work/shared/reference/smart-and-ehrs.md (smart-app-launch-test-kit [Inf-SAL],
// onc-certification-g10-test-kit [Inf-g10]) as named tests; each name quotes its assertion.
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS, type TestDriver } from './drivers.ts';
import {
  APP_ORIGIN, authorizeUrl, clientAssertion, createLaunch, ehrLaunchCode, exchangeCode, makeKeys, OBS_LAB, pkcePair, post,
  readClaims, readHeader, redirectParams, REDIRECT, startHarness, asJson, type Harness, type Keys,
} from './harness.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const EHR_DEFAULT = 'launch openid fhirUser offline_access patient/*.rs';
const STANDALONE_CAPS = ['launch-standalone', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric', 'sso-openid-connect', 'context-standalone-patient', 'permission-offline', 'permission-patient', 'authorize-post', 'permission-v2', 'permission-v1'];
const EHR_CAPS = ['launch-ehr', 'client-confidential-symmetric', 'client-confidential-asymmetric', 'sso-openid-connect', 'context-banner', 'context-style', 'context-ehr-patient', 'permission-offline', 'permission-user', 'authorize-post', 'permission-v2', 'permission-v1', 'context-ehr-encounter'];

describe.each(DRIVERS)('Inferno assertions on $name', ({ open }) => {
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

  const read = (path: string, token?: string) => fetch(`${h.fhirBase}/${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const wellKnown = async () => (await fetch(`${h.fhirBase}/.well-known/smart-configuration`)).json().then(asJson).then(asJson);
  async function ehrTokens(scope = EHR_DEFAULT, clientId = 'app', patient = 'p1') {
    const { code, verifier } = await ehrLaunchCode(h, { scope, clientId, patient, encounter: 'e1' });
    const res = await exchangeCode(h, code, verifier, { clientId });
    return { res, body: await res.json().then(asJson) };
  }

  describe('discovery [Inf-SAL]', () => {
    it('"200, valid JSON, Content-Type starts with application/json" at both .well-known locations', async () => {
      for (const url of [`${h.fhirBase}/.well-known/smart-configuration`, `${h.base}/.well-known/smart-configuration`]) {
        const res = await fetch(url, { headers: { accept: 'application/fhir+json' } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')?.startsWith('application/json')).toBe(true);
        expect(typeof (await res.json().then(asJson).then(asJson))).toBe('object');
      }
    });
    it('"authorization_endpoint" is present (Inf-SAL treats it as required) and "all URLs absolute"', async () => {
      const c = await wellKnown();
      for (const k of ['authorization_endpoint', 'token_endpoint', 'introspection_endpoint', 'revocation_endpoint', 'jwks_uri', 'issuer']) {
        expect(URL.canParse(c[k]), k).toBe(true);
      }
    });
    it('"grant_types_supported" "must include authorization_code"', async () => {
      expect((await wellKnown()).grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'client_credentials']));
    });
    it('"capabilities" "Required array of strings (Inf-SAL: non-empty)"', async () => {
      const caps = (await wellKnown()).capabilities;
      expect(Array.isArray(caps) && caps.length > 0 && caps.every((c: unknown) => typeof c === 'string')).toBe(true);
    });
    it('"code_challenge_methods_supported" "must include S256, must not include plain"', async () => {
      const methods = (await wellKnown()).code_challenge_methods_supported;
      expect(methods).toContain('S256');
      expect(methods).not.toContain('plain');
    });
    it('"issuer" and "jwks_uri" are present because "sso-openid-connect" is advertised', async () => {
      const c = await wellKnown();
      expect(c.capabilities).toContain('sso-openid-connect');
      expect(c.issuer).toBe(h.base);
      expect(c.jwks_uri).toBe(`${h.base}/auth/jwks`);
    });
    it('"token_endpoint_auth_signing_alg_values_supported" "With asymmetric auth: at least one of RS384, ES384"', async () => {
      expect((await wellKnown()).token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(['RS384', 'ES384']));
    });
    it('[Inf-g10] capabilities required for the "EHR practitioner app" and "Standalone patient app"', async () => {
      expect((await wellKnown()).capabilities).toEqual(expect.arrayContaining([...EHR_CAPS, ...STANDALONE_CAPS]));
    });
    it('"Access-Control-Allow-Origin equal to the tester origin or * on .well-known"', async () => {
      const res = await fetch(`${h.fhirBase}/.well-known/smart-configuration`, { headers: { origin: 'https://inferno.healthit.gov' } });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    });
  });

  describe('authorization [Inf-SAL, Inf-g10]', () => {
    it('"return code + state on the redirect" ("code received")', async () => {
      const { code, state, returnedState } = await ehrLaunchCode(h, { scope: EHR_DEFAULT });
      expect(code).toMatch(/^[\w-]{20,}$/);
      expect(returnedState).toBe(state);
    });
    it('"Invalid AUD Parameter": "sends aud=https://inferno.healthit.gov/invalid_aud; passes if no code is issued"', async () => {
      const launch = await createLaunch(h, { patient: 'p1', fhirUser: 'Practitioner/dr1' });
      const { challenge } = pkcePair();
      const params = redirectParams(await fetch(authorizeUrl(h, { scope: EHR_DEFAULT, launch, challenge, aud: 'https://inferno.healthit.gov/invalid_aud' }), { redirect: 'manual' }));
      expect(params.get('code')).toBeNull();
      expect(params.get('error')).toBe('invalid_request');
    });
    for (const [variant, verifierOf] of [
      ['verifier missing', () => undefined],
      ['blank', () => ''],
      ['wrong', () => pkcePair().verifier],
      ['equal to the challenge', (_v: string, c: string) => c],
    ] as const) {
      it(`"Invalid PKCE Code Verifier": token exchange "must fail with 400/401" — ${variant}`, async () => {
        const launch = await createLaunch(h, { patient: 'p1', fhirUser: 'Practitioner/dr1' });
        const { verifier, challenge } = pkcePair();
        const params = redirectParams(await fetch(authorizeUrl(h, { scope: EHR_DEFAULT, launch, challenge }), { redirect: 'manual' }));
        const res = await exchangeCode(h, params.get('code') as string, verifierOf(verifier, challenge));
        expect([400, 401]).toContain(res.status);
      });
    }
  });

  describe('token exchange [Inf-SAL, Inf-g10]', () => {
    it('"Token response JSON: access_token, token_type Bearer, scope, expires_in (Inferno: required and numeric)"', async () => {
      const { res, body } = await ehrTokens();
      expect(res.status).toBe(200);
      expect(typeof body.access_token).toBe('string');
      expect(body.token_type.toLowerCase()).toBe('bearer');
      expect(typeof body.scope).toBe('string');
      expect(typeof body.expires_in).toBe('number');
    });
    it('"headers Cache-Control: no-store, Pragma: no-cache"', async () => {
      const { res } = await ehrTokens();
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
    });
    it('"access tokens should live ≤1 h"', async () => {
      const { body } = await ehrTokens();
      expect(body.expires_in).toBeLessThanOrEqual(3600);
      const claims = readClaims(body.access_token);
      expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(3600);
    });
    it('"warning if requested scopes are missing": a registered client gets every scope it asked for', async () => {
      const { body } = await ehrTokens(`${EHR_DEFAULT} user/*.rs`);
      expect(new Set(body.scope.split(' '))).toEqual(new Set(`${EHR_DEFAULT} user/*.rs`.split(' ')));
    });
    it('"CORS on token exchange": the public client\'s registered origin is allowed, others are not', async () => {
      const { code, verifier } = await ehrLaunchCode(h, { scope: EHR_DEFAULT });
      const res = await exchangeCode(h, code, verifier, { headers: { origin: APP_ORIGIN } });
      expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      const other = await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: 'x', client_id: 'app' }, { origin: 'https://evil.example' });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(h.tokenUrl, { method: 'OPTIONS', headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' } });
      expect(preflight.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    });
    it('"bad code → 400"', async () => {
      const res = await exchangeCode(h, 'not-a-code', pkcePair().verifier);
      expect(res.status).toBe(400);
      expect((await res.json().then(asJson).then(asJson)).error).toBe('invalid_grant');
    });
    it('"bad client_id at token exchange → 400 or 401"', async () => {
      const { code, verifier } = await ehrLaunchCode(h, { scope: EHR_DEFAULT });
      expect([400, 401]).toContain((await exchangeCode(h, code, verifier, { clientId: 'inferno-bad-client' })).status);
      expect([400, 401]).toContain((await exchangeCode(h, code, verifier, { clientId: 'v1app' })).status);
    });
    it('"random refresh token → 400 or 401"', async () => {
      const res = await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: 'random-refresh-token', client_id: 'app' });
      expect([400, 401]).toContain(res.status);
    });
    it('"after revocation, Patient read → 401/403/404 and refresh → 400/401"', async () => {
      const { body } = await ehrTokens();
      await post(`${h.base}/auth/revoke`, { token: body.access_token, client_id: 'app' });
      expect([401, 403, 404]).toContain((await read('Patient/p1', body.access_token)).status);
      expect([400, 401]).toContain((await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: 'app' })).status);
    });
    it('"Server rejects unauthorized access": "unauthenticated GET Patient/{id} → 401"', async () => {
      const res = await read('Patient/p1');
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });
    it('"types not granted → 401 or 403; granted types → 200"', async () => {
      const { body } = await ehrTokens('launch patient/Patient.rs');
      expect((await read('Patient/p1', body.access_token)).status).toBe(200);
      expect([401, 403]).toContain((await read('Observation/lab1', body.access_token)).status);
    });
    it('"Granting a patient-level scope requires a patient in context"', async () => {
      const launch = await createLaunch(h, { fhirUser: 'Practitioner/dr1' });
      const { verifier, challenge } = pkcePair();
      const params = redirectParams(await fetch(authorizeUrl(h, { scope: 'launch patient/*.rs user/*.rs', launch, challenge }), { redirect: 'manual' }));
      const body = await (await exchangeCode(h, params.get('code') as string, verifier)).json().then(asJson).then(asJson);
      expect(body.scope).toBe('launch user/*.rs');
      expect(body.patient).toBeUndefined();
    });
    it('[Inf-g10 EHR practitioner app] "the token response must contain smart_style_url (GET → 200, valid JSON) and need_patient_banner"', async () => {
      const { body } = await ehrTokens();
      expect(typeof body.need_patient_banner).toBe('boolean');
      const style = await fetch(body.smart_style_url);
      expect(style.status).toBe(200);
      expect(typeof (await style.json().then(asJson).then(asJson)).color_background).toBe('string');
    });
    it('[Inf-g10] "g10_smart_scopes" "requires openid fhirUser launch offline_access (EHR)"', async () => {
      const { body } = await ehrTokens('launch openid fhirUser offline_access user/Patient.rs user/Observation.rs');
      expect(body.scope.split(' ')).toEqual(expect.arrayContaining(['openid', 'fhirUser', 'launch', 'offline_access']));
    });
  });

  describe('OpenID Connect [Inf-SAL]', () => {
    it('"/.well-known/openid-configuration with issuer, authorization_endpoint, token_endpoint, jwks_uri, response_types_supported, subject_types_supported, id_token_signing_alg_values_supported (containing RS256)"', async () => {
      const { body } = await ehrTokens();
      const iss = readClaims(body.id_token).iss as string;
      const c = await (await fetch(`${iss}/.well-known/openid-configuration`)).json().then(asJson).then(asJson);
      for (const k of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'subject_types_supported']) expect(c[k], k).toBeDefined();
      expect(c.issuer).toBe(iss);
      expect(c.id_token_signing_alg_values_supported).toContain('RS256');
    });
    it('"JWKS retrievable" and "public keys published as bare JWKs"', async () => {
      const jwks = await (await fetch(`${h.base}/auth/jwks`)).json().then(asJson).then(asJson);
      expect(jwks.keys.length).toBeGreaterThan(0);
      for (const k of jwks.keys) expect(k.d).toBeUndefined();
    });
    it('"id_token header alg RS256 and a resolvable kid"', async () => {
      const { body } = await ehrTokens();
      const header = readHeader(body.id_token);
      expect(header.alg).toBe('RS256');
      const jwks = await (await fetch(`${h.base}/auth/jwks`)).json().then(asJson).then(asJson);
      expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
    });
    it('"payload iss, sub, aud, exp, iat; valid signature; sub < 256 characters"', async () => {
      const { body } = await ehrTokens();
      const jwks = await (await fetch(`${h.base}/auth/jwks`)).json().then(asJson).then(asJson);
      const { payload } = await jwtVerify(body.id_token, createLocalJWKSet(jwks), { issuer: h.base, audience: 'app', algorithms: ['RS256'] });
      for (const k of ['iss', 'sub', 'aud', 'exp', 'iat']) expect(payload[k], k).toBeDefined();
      expect((payload.sub as string).length).toBeLessThan(256);
    });
    it('"fhirUser claim in the id_token when openid fhirUser is granted" and "fhirUser resolves with 200 to a Patient / Practitioner / RelatedPerson / Person"', async () => {
      const { body } = await ehrTokens();
      const fhirUser = readClaims(body.id_token).fhirUser as string;
      expect(fhirUser).toMatch(/\/(Patient|Practitioner|RelatedPerson|Person)\/[^/]+$/);
      const res = await fetch(fhirUser, { headers: { authorization: `Bearer ${body.access_token}` } });
      expect(res.status).toBe(200);
    });
  });

  describe('refresh [Inf-SAL]', () => {
    it('"refresh without scope": "200, required fields, no-store / no-cache headers" with "expires_in (required in refresh responses)"', async () => {
      const { body } = await ehrTokens();
      const res = await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: 'app' });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('pragma')).toBe('no-cache');
      const r = await res.json().then(asJson).then(asJson);
      for (const k of ['access_token', 'token_type', 'expires_in', 'scope']) expect(r[k], k).toBeDefined();
      expect(new Set(r.scope.split(' '))).toEqual(new Set(body.scope.split(' ')));
    });
    it('"refresh with scope": "scopes ⊆ original"; a wider scope is refused', async () => {
      const { body } = await ehrTokens();
      const narrower = await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: 'app', scope: 'openid patient/Observation.rs' });
      expect(narrower.status).toBe(200);
      const r = await narrower.json().then(asJson).then(asJson);
      expect(r.scope).toBe('openid patient/Observation.rs');
      const wider = await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: r.refresh_token, client_id: 'app', scope: 'user/*.cruds' });
      expect(wider.status).toBe(400);
      expect((await wider.json().then(asJson).then(asJson)).error).toBe('invalid_scope');
    });
    it('"Refresh: token bound to the same client_id"', async () => {
      const { body } = await ehrTokens();
      const res = await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: body.refresh_token, client_id: 'v1app' });
      expect([400, 401]).toContain(res.status);
    });
  });

  describe('introspection [Inf-SAL, Inf-g10]', () => {
    it('"POST active token → 200; POST invalid token → 200"', async () => {
      const { body } = await ehrTokens();
      expect((await post(`${h.base}/auth/introspect`, { token: body.access_token })).status).toBe(200);
      expect((await post(`${h.base}/auth/introspect`, { token: 'invalid' })).status).toBe(200);
    });
    it('"Active response: active:true, matching client_id, scope set-equal, exp present and ≥ now − 600 s, patient / encounter equal to the token response, iss / sub equal to the id_token\'s, fhirUser equal"', async () => {
      const { body } = await ehrTokens('launch openid fhirUser offline_access patient/*.rs');
      const info = await (await post(`${h.base}/auth/introspect`, { token: body.access_token })).json().then(asJson).then(asJson);
      const idt = readClaims(body.id_token);
      expect(info.active).toBe(true);
      expect(info.client_id).toBe('app');
      expect(new Set(info.scope.split(' '))).toEqual(new Set(body.scope.split(' ')));
      expect(info.exp).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 600);
      expect(info.patient).toBe(body.patient);
      expect(info.encounter).toBe(body.encounter);
      expect(info.iss).toBe(idt.iss);
      expect(info.sub).toBe(idt.sub);
      expect(info.fhirUser).toBe(idt.fhirUser);
    });
    it('"Invalid response: active:false and no other members"', async () => {
      expect(await (await post(`${h.base}/auth/introspect`, { token: 'eyJhbGciOiJub25lIn0.e30.' })).json().then(asJson).then(asJson)).toEqual({ active: false });
    });
    it('"an appropriately scoped SMART app or backend-service bearer token must be accepted in Authorization"', async () => {
      const backend = await (await post(h.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion(keys.es384, 'pharmacy-es', h.tokenUrl) })).json().then(asJson).then(asJson);
      const { body } = await ehrTokens();
      const res = await post(`${h.base}/auth/introspect`, { token: body.access_token }, { authorization: `Bearer ${backend.access_token}` });
      expect(res.status).toBe(200);
      expect((await res.json().then(asJson).then(asJson)).active).toBe(true);
    });
  });

  describe('backend services [Inf-SAL]', () => {
    const assertionFor = () => clientAssertion(keys.es384, 'pharmacy-es', h.tokenUrl);
    it('"grant_type=not_a_grant_type → 400"', async () => {
      const res = await post(h.tokenUrl, { grant_type: 'not_a_grant_type', scope: 'system/*.rs', client_assertion_type: JWT_BEARER, client_assertion: await assertionFor() });
      expect(res.status).toBe(400);
      expect((await res.json().then(asJson).then(asJson)).error).toBe('unsupported_grant_type');
    });
    it('"client_assertion_type=not_an_assertion_type → 400/401"', async () => {
      const res = await post(h.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: 'not_an_assertion_type', client_assertion: await assertionFor() });
      expect([400, 401]).toContain(res.status);
    });
    it('"the invalid JWT test as written also sends a bad assertion type → 400/401"', async () => {
      const res = await post(h.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: 'not_an_assertion_type', client_assertion: 'not.a.jwt' });
      expect([400, 401]).toContain(res.status);
      const res2 = await post(h.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: JWT_BEARER, client_assertion: 'not.a.jwt' });
      expect([400, 401]).toContain(res2.status);
    });
    it('"valid request → 200/201 with access_token, token_type=bearer, numeric expires_in, scope"; "expires_in (recommended 300, should not exceed 300)"', async () => {
      const res = await post(h.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: JWT_BEARER, client_assertion: await assertionFor() });
      expect([200, 201]).toContain(res.status);
      const body = await res.json().then(asJson).then(asJson);
      expect(typeof body.access_token).toBe('string');
      expect(body.token_type).toBe('bearer');
      expect(body.expires_in).toBeLessThanOrEqual(300);
      expect(body.scope).toBe('system/*.rs');
    });
    it('"reject a replayed jti per iss within the maximum lifetime"', async () => {
      const assertion = await assertionFor();
      const body = { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: JWT_BEARER, client_assertion: assertion };
      expect((await post(h.tokenUrl, body)).status).toBe(200);
      expect((await post(h.tokenUrl, body)).status).toBe(401);
    });
  });

  describe('scopes [Inf-g10]', () => {
    it('"SMART v1 scopes on a 2.x server": "map v1 scopes (.read → .rs)"', async () => {
      const { body } = await ehrTokens('launch openid fhirUser patient/*.read', 'v1app');
      expect(body.scope).toContain('patient/*.read');
      expect((await read('Observation/lab1', body.access_token)).status).toBe(200);
      const principal = await h.auth.authenticate(`Bearer ${body.access_token}`);
      expect(h.auth.authorize(principal, { interaction: 'create', type: 'Observation' }).allowed).toBe(false);
    });
    it('fine-grained scopes: "Observation.rs?category= …observation-category|laboratory" allows laboratory and nothing else', async () => {
      const { body } = await ehrTokens(`launch patient/Patient.rs patient/Observation.rs?category=${OBS_LAB}`, 'granular');
      expect((await read('Observation/lab1', body.access_token)).status).toBe(200);
      expect([403, 404]).toContain((await read('Observation/vs1', body.access_token)).status);
    });
    it('"Granular Scope Selection": "when resource-level Condition / Observation scopes are requested, the server must grant only the granular ones for those types and a v2 resource-level scope for Patient"', async () => {
      const { body } = await ehrTokens('launch patient/Patient.rs patient/Condition.rs patient/Observation.rs', 'granular');
      const granted = body.scope.split(' ');
      expect(granted).toContain('patient/Patient.rs');
      expect(granted).toContain(`patient/Observation.rs?category=${OBS_LAB}`);
      expect(granted).toContain('patient/Condition.rs?category=http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item');
      expect(granted).not.toContain('patient/Observation.rs');
      expect(granted).not.toContain('patient/Condition.rs');
    });
    it('"Standalone Patient App – Limited Access": "at least one resource must be denied; restricted types → 401/403"', async () => {
      const { body } = await ehrTokens('launch patient/Patient.rs patient/Condition.rs', 'app');
      expect((await read('Patient/p1', body.access_token)).status).toBe(200);
      expect([401, 403]).toContain((await read('MedicationRequest/mr1', body.access_token)).status);
    });
  });

  it('"no open redirects": an unregistered redirect_uri is never redirected to', async () => {
    const { challenge } = pkcePair();
    const res = await fetch(authorizeUrl(h, { scope: EHR_DEFAULT, challenge, redirectUri: `${REDIRECT}../evil` }), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });
});
