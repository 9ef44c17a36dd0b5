// Pluggable sign-in (patient users, patient picker choices), client_secret_post, jwks_uri clients,
// caller authentication at introspection and the authorization server's own AuditEvents.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserAuthenticator } from '../../server/auth/index.ts';
import { DRIVERS, type TestDriver } from './drivers.ts';
import {
  asJson, authorizeUrl, clientAssertion, ehrLaunchCode, exchangeCode, hiddenRequestId, makeBackendKey, makeKeys, pkcePair, post,
  REDIRECT, redirectParams, startHarness, testClients, type Harness, type Keys,
} from './harness.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const users: UserAuthenticator = {
  async authenticate(username, password) {
    if (username === 'pat' && password === 'pw') return { sub: 'pat-1', fhirUser: 'Patient/p2', name: 'Pat' };
    if (username === 'doc' && password === 'pw') return { sub: 'doc-1', fhirUser: 'Practitioner/dr1', name: 'Doc' };
    return undefined;
  },
};

describe.each(DRIVERS)('sign-in, clients and audit on $name', ({ open }) => {
  let db: TestDriver;
  let keys: Keys;
  let h: Harness;
  const audits: fhir4.AuditEvent[] = [];
  let jwksServer: import('node:http').Server;
  let remoteKey: Awaited<ReturnType<typeof makeBackendKey>>;

  beforeAll(async () => {
    db = await open();
    keys = await makeKeys();
    remoteKey = await makeBackendKey('ES384');
    jwksServer = express().get('/jwks.json', (_req, res) => void res.json({ keys: [remoteKey.publicJwk] })).listen(0, '127.0.0.1');
    await new Promise((r) => jwksServer.once('listening', r));
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
    h = await startHarness(db, keys, {
      users,
      listPatients: async () => [{ id: 'p1', label: 'Patient One' }, { id: 'p2', label: 'Patient Two' }],
      onAudit: (e) => void audits.push(e),
      clients: [...testClients(keys), { client_id: 'remote', type: 'backend', jwks_uri: jwksUri, redirect_uris: [], scope: 'system/*.rs' }],
    });
  });
  afterAll(async () => {
    await h?.close();
    jwksServer?.close();
    await db?.close();
  });

  async function signIn(username: string, scope: string, state = 's') {
    const { verifier, challenge } = pkcePair();
    const first = await fetch(authorizeUrl(h, { scope, challenge, state }), { redirect: 'manual' });
    const request = hiddenRequestId(await first.text());
    const login = await post(`${h.base}/auth/authorize/login`, { request, username, password: 'pw' });
    return { request, verifier, login, html: await login.text() };
  }

  it('a patient user gets their own compartment without a patient picker', async () => {
    const scope = 'launch/patient openid fhirUser patient/*.rs';
    const { request, verifier, html } = await signIn('pat', scope);
    expect(html).not.toContain('name="patient"');
    const params = redirectParams(await post(`${h.base}/auth/authorize/consent`, { request, decision: 'allow', scope: scope.split(' '), patient: 'p1' }));
    const tok = await (await exchangeCode(h, params.get('code') as string, verifier)).json().then(asJson);
    expect(tok.patient).toBe('p2');
    expect(await h.auth.authenticate(`Bearer ${tok.access_token}`)).toMatchObject({ kind: 'patient', patient: 'p2', fhirUser: 'Patient/p2' });
  });

  it('the patient picker offers the supplied patients and refuses any other id', async () => {
    const scope = 'launch/patient patient/*.rs';
    const { request, html } = await signIn('doc', scope);
    expect(html).toContain('<option value="p1">Patient One</option>');
    const refused = redirectParams(await post(`${h.base}/auth/authorize/consent`, { request, decision: 'allow', scope: scope.split(' '), patient: 'p999' }));
    expect(refused.get('error')).toBe('invalid_request');
  });

  it('a consent form cannot be replayed once used', async () => {
    const scope = 'launch/patient patient/*.rs';
    const { request } = await signIn('doc', scope);
    await post(`${h.base}/auth/authorize/consent`, { request, decision: 'allow', scope: scope.split(' '), patient: 'p1' });
    const again = await post(`${h.base}/auth/authorize/consent`, { request, decision: 'allow', scope: scope.split(' '), patient: 'p1' });
    expect(again.status).toBe(400);
  });

  it('authenticates a confidential symmetric client with client_secret_post', async () => {
    const { code, verifier } = await ehrLaunchCode(h, { clientId: 'portal', scope: 'launch patient/*.rs' });
    const res = await post(h.tokenUrl, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'portal', client_secret: 's3cret-portal' });
    expect(res.status).toBe(200);
  });

  it('verifies a backend client\'s assertion with keys fetched from its registered jwks_uri', async () => {
    const res = await post(h.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.rs', client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion(remoteKey, 'remote', h.tokenUrl) });
    expect(res.status).toBe(200);
  });

  it('introspection refuses a caller that presents an invalid bearer token', async () => {
    const res = await post(`${h.base}/auth/introspect`, { token: 'x' }, { authorization: 'Bearer not-a-token' });
    expect(res.status).toBe(401);
  });

  it('emits AuditEvents for sign-ins, failed sign-ins and replayed codes', async () => {
    audits.length = 0;
    const { verifier, challenge } = pkcePair();
    const first = await fetch(authorizeUrl(h, { scope: 'launch/patient patient/*.rs', challenge }), { redirect: 'manual' });
    const request = hiddenRequestId(await first.text());
    await post(`${h.base}/auth/authorize/login`, { request, username: 'doc', password: 'nope' });
    await post(`${h.base}/auth/authorize/login`, { request, username: 'doc', password: 'pw' });
    const { code } = await ehrLaunchCode(h, { scope: 'launch patient/*.rs' });
    void verifier;
    await exchangeCode(h, code, 'x'.repeat(43));
    await exchangeCode(h, code, 'x'.repeat(43));
    const kinds = audits.map((e) => `${e.type.code}/${e.subtype?.[0]?.code ?? '-'}/${e.outcome}`);
    // Sign-ins (failed, then good; the EHR launch's), then the two refused exchanges: a PKCE failure, and a replay
    // that also raises a security alert.
    expect(kinds).toEqual(['110114/110122/4', '110114/110122/0', '110114/110122/0', '110114/ITI-71/4', '110113/-/8', '110114/ITI-71/4']);
    expect(audits[1].agent[0].who?.reference).toBe('Practitioner/dr1');
    expect(audits[3].outcomeDesc).toBe('refused: invalid_grant');
    expect(JSON.stringify(audits)).not.toContain(code);
  });

  it('emits an AuditEvent (IHE ITI-71 Get Access Token) for every token issued or refused', async () => {
    audits.length = 0;
    const { code, verifier } = await ehrLaunchCode(h, { scope: 'launch patient/*.rs', patient: 'p2' });
    const issued = asJson(await (await exchangeCode(h, code, verifier)).json());
    const backend = await post(h.tokenUrl, {
      grant_type: 'client_credentials',
      scope: 'system/*.rs',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(keys.es384, 'pharmacy-es', h.tokenUrl),
    });
    expect(backend.status).toBe(200);
    const forged = await post(h.tokenUrl, {
      grant_type: 'client_credentials',
      scope: 'system/*.rs',
      client_id: 'pharmacy-es',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await clientAssertion(keys.rs384, 'pharmacy-es', h.tokenUrl),
    });
    expect(forged.status).toBe(401);
    const tokenEvents = audits.filter((e) => e.subtype?.[0]?.code === 'ITI-71');
    expect(tokenEvents.map((e) => e.outcome)).toEqual(['0', '0', '4']);
    const [userToken, systemToken, refused] = tokenEvents;
    expect(userToken.agent.map((a) => a.who?.reference ?? a.who?.identifier?.value)).toEqual(['Practitioner/dr1', 'app']);
    expect(userToken.entity?.find((e) => e.role?.code === '1')?.what?.reference).toBe('Patient/p2');
    expect(userToken.outcomeDesc).toBe('issued for scope launch patient/*.rs');
    expect(systemToken.agent[0].who?.identifier?.value).toBe('pharmacy-es');
    expect(refused.agent[0].who?.identifier?.value).toBe('pharmacy-es');
    expect(refused.outcomeDesc).toBe('refused: invalid_client (client not authenticated)');
    expect(JSON.stringify(audits)).not.toContain(issued.access_token);
  });
});
