// Authorization-server wiring: clients file, signing keys and rotation, hardening, launch endpoint, logs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientsFileError, DEMO_CLIENTS_FILE, loadClientsFile, parseClients } from '../../server/auth/clients.ts';
import { createAuthServer } from '../../server/auth/index.ts';
import { readSigningKeysFile } from '../../server/auth/keys.ts';
import { exportJWK, generateKeyPair } from 'jose';
import { readConfig } from '../../server/config.ts';
import { FhirError } from '../../server/fhir/errors.ts';
import { DRIVERS, type TestDriver } from './drivers.ts';
import { authorizeUrl, createLaunch, ehrLaunchCode, exchangeCode, makeKeys, pkcePair, post, readHeader, startHarness, testClients, asJson, type Keys } from './harness.ts';

describe('clients file', () => {
  it('the demo clients file registers the public client "app" with redirect http://localhost:8080/app/', () => {
    const clients = loadClientsFile(DEMO_CLIENTS_FILE, 'http://localhost:8080');
    const app = clients.find((c) => c.client_id === 'app');
    expect(app).toMatchObject({ type: 'public' });
    expect(app?.redirect_uris).toContain('http://localhost:8080/app/');
  });
  it('expands {publicBaseUrl} in redirect URIs', () => {
    const [c] = parseClients({ clients: [{ client_id: 'a', type: 'public', redirect_uris: ['{publicBaseUrl}/app/'], scope: 'openid' }] }, 'https://titrate.example');
    expect(c.redirect_uris).toEqual(['https://titrate.example/app/']);
  });
  it.each([
    ['no clients array', {}],
    ['a duplicate client_id', { clients: [{ client_id: 'a', type: 'public', redirect_uris: ['http://x/'], scope: '' }, { client_id: 'a', type: 'public', redirect_uris: ['http://x/'], scope: '' }] }],
    ['an unknown type', { clients: [{ client_id: 'a', type: 'weird', redirect_uris: ['http://x/'], scope: '' }] }],
    ['a relative redirect URI', { clients: [{ client_id: 'a', type: 'public', redirect_uris: ['/app/'], scope: '' }] }],
    ['a backend client without keys', { clients: [{ client_id: 'a', type: 'backend', scope: 'system/*.rs' }] }],
    ['a confidential client without a secret or keys', { clients: [{ client_id: 'a', type: 'confidential', redirect_uris: ['http://x/'], scope: '' }] }],
  ])('rejects %s', (_name, doc) => {
    expect(() => parseClients(doc, 'http://localhost')).toThrow(ClientsFileError);
  });
});

describe.each(DRIVERS)('authorization server on $name', ({ open }) => {
  let db: TestDriver;
  let keys: Keys;
  beforeEach(async () => {
    db = await open();
    keys = await makeKeys();
  });
  afterEach(async () => {
    await db.close();
  });

  it('loads SMART_CLIENTS from the config path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'titrate-auth-'));
    const file = join(dir, 'clients.json');
    writeFileSync(file, JSON.stringify({ clients: [{ client_id: 'from-file', type: 'public', redirect_uris: ['http://localhost:9999/app/'], scope: 'launch patient/*.rs' }] }));
    const config = readConfig({ SMART_CLIENTS: file, PUBLIC_BASE_URL: 'http://127.0.0.1:1', LOG_LEVEL: 'silent' });
    const auth = await createAuthServer({ config, driver: db.driver, log: pino({ level: 'silent' }) });
    const app = express().use(auth.router);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const res = await fetch(`http://127.0.0.1:${port}/auth/authorize?client_id=from-file&redirect_uri=${encodeURIComponent('http://localhost:9999/app/')}&response_type=code`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const unknown = await fetch(`http://127.0.0.1:${port}/auth/authorize?client_id=app&redirect_uri=${encodeURIComponent('http://localhost:9999/app/')}`, { redirect: 'manual' });
    expect(unknown.status).toBe(400);
    // DEMO=0: no /auth/launch.
    expect((await fetch(`http://127.0.0.1:${port}/auth/launch`, { method: 'POST' })).status).toBe(404);
    server.close();
  });

  it('keeps its signing key in the database: a second server instance (replica) accepts the first one\'s tokens', async () => {
    const h = await startHarness(db, keys);
    const { code, verifier } = await ehrLaunchCode(h, { scope: 'launch patient/*.rs' });
    const tok = await (await exchangeCode(h, code, verifier)).json().then(asJson).then(asJson);
    const config = readConfig({ DEMO: '1', PUBLIC_BASE_URL: h.base, LOG_LEVEL: 'silent' });
    const replica = await createAuthServer({ config, driver: db.driver, log: pino({ level: 'silent' }), clients: testClients(keys) });
    expect((await replica.authenticate(`Bearer ${tok.access_token}`)).clientId).toBe('app');
    await h.close();
  });

  it('signs with SMART_SIGNING_KEYS when set: every key published, the last one signs, none kept in the database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'titrate-keys-'));
    const file = join(dir, 'signing.json');
    const privateJwk = async (kid: string) => ({ ...(await exportJWK((await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })).privateKey)), kid });
    writeFileSync(file, JSON.stringify({ keys: [await privateJwk('old-key'), await privateJwk('new-key')] }));
    const config = readConfig({ SMART_SIGNING_KEYS: file, PUBLIC_BASE_URL: 'http://127.0.0.1:1', LOG_LEVEL: 'silent' });
    expect(config.smartSigningKeys).toBe(file);
    const fromConfig = await createAuthServer({ config, driver: db.driver, log: pino({ level: 'silent' }) });
    const app = express().use(fromConfig.router);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    const jwks = asJson(await (await fetch(`http://127.0.0.1:${port}/auth/jwks`)).json());
    expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual(['new-key', 'old-key']);
    expect(jwks.keys.every((k: Record<string, unknown>) => k.d === undefined && k.p === undefined)).toBe(true);
    server.close();
    expect(await db.driver.query('SELECT kid FROM auth_keys')).toEqual([]);
    // Tokens carry the last key's kid and verify.
    const h = await startHarness(db, keys, { signingKeys: readSigningKeysFile(file) });
    const { code, verifier } = await ehrLaunchCode(h, { scope: 'launch patient/*.rs' });
    const tok = asJson(await (await exchangeCode(h, code, verifier)).json());
    expect(readHeader(tok.access_token).kid).toBe('new-key');
    expect((await h.auth.authenticate(`Bearer ${tok.access_token}`)).clientId).toBe('app');
    await h.close();
    // A file without private RSA keys stops the start with the reason.
    writeFileSync(file, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] }));
    await expect(createAuthServer({ config, driver: db.driver, log: pino({ level: 'silent' }) })).rejects.toThrow('key 0 is not a private RSA JWK');
    writeFileSync(file, '{"keys": []}');
    await expect(createAuthServer({ config, driver: db.driver, log: pino({ level: 'silent' }) })).rejects.toThrow('one or more private RSA JWKs');
  });

  it('rotates keys: the new key signs, the old one stays published and its tokens stay valid', async () => {
    const h = await startHarness(db, keys);
    const before = await ehrLaunchCode(h, { scope: 'launch patient/*.rs' });
    const oldTok = await (await exchangeCode(h, before.code, before.verifier)).json().then(asJson).then(asJson);
    const oldKid = readHeader(oldTok.access_token).kid;
    const newKid = await h.auth.rotateSigningKey();
    const jwks = await (await fetch(`${h.base}/auth/jwks`)).json().then(asJson).then(asJson);
    expect(jwks.keys.map((k: { kid: string }) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    const after = await ehrLaunchCode(h, { scope: 'launch patient/*.rs' });
    const newTok = await (await exchangeCode(h, after.code, after.verifier)).json().then(asJson).then(asJson);
    expect(readHeader(newTok.access_token).kid).toBe(newKid);
    expect((await h.auth.authenticate(`Bearer ${oldTok.access_token}`)).clientId).toBe('app');
    await h.close();
  });

  it('authenticate() rejects missing, malformed, forged and expired tokens with FhirError unauthorized', async () => {
    let clock = new Date();
    const h = await startHarness(db, keys, { now: () => clock });
    const { code, verifier } = await ehrLaunchCode(h, { scope: 'launch patient/*.rs' });
    const tok = await (await exchangeCode(h, code, verifier)).json().then(asJson).then(asJson);
    const [head, body] = tok.access_token.split('.');
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), patient: 'p2' })).toString('base64url')}.${tok.access_token.split('.')[2]}`;
    for (const header of [undefined, 'Basic abc', 'Bearer', 'Bearer not-a-jwt', `Bearer ${forged}`]) {
      await expect(h.auth.authenticate(header)).rejects.toSatisfy((e) => e instanceof FhirError && e.kind === 'unauthorized');
    }
    clock = new Date(clock.getTime() + 3600_000);
    await expect(h.auth.authenticate(`Bearer ${tok.access_token}`)).rejects.toThrow(/expired/);
    await h.close();
  });

  it('cachedPrincipal() answers only for a token verified before, unexpired and recently confirmed active', async () => {
    let clock = new Date();
    const h = await startHarness(db, keys, { now: () => clock });
    const { code, verifier } = await ehrLaunchCode(h, { scope: 'launch patient/*.rs' });
    const tok = await (await exchangeCode(h, code, verifier)).json().then(asJson).then(asJson);
    const header = `Bearer ${tok.access_token}`;
    expect(h.auth.cachedPrincipal(header)).toBeUndefined();
    const principal = await h.auth.authenticate(header);
    expect(h.auth.cachedPrincipal(header)).toBe(principal);
    expect(h.auth.cachedPrincipal(undefined)).toBeUndefined();
    expect(h.auth.cachedPrincipal(`${header}x`)).toBeUndefined();
    clock = new Date(clock.getTime() + 3600_000);
    expect(h.auth.cachedPrincipal(header)).toBeUndefined();
    await h.close();
  });

  it('rate-limits /auth/* per client with 429 and Retry-After', async () => {
    const h = await startHarness(db, keys, { rateLimit: { windowMs: 60_000, max: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(h.tokenUrl, { grant_type: 'nope' })).status);
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    const limited = await post(h.tokenUrl, { grant_type: 'nope' });
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // Discovery is not rate-limited.
    expect((await fetch(`${h.fhirBase}/.well-known/smart-configuration`)).status).toBe(200);
    await h.close();
  });

  it('sends security headers on /auth pages and answers malformed bodies with an OAuth error, not a 500', async () => {
    const h = await startHarness(db, keys);
    const { challenge } = pkcePair();
    const res = await fetch(authorizeUrl(h, { scope: 'launch/patient patient/*.rs', challenge }), { redirect: 'manual' });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    const json = await fetch(h.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}' });
    expect(json.status).toBe(400);
    expect((await json.json().then(asJson).then(asJson)).error).toBe('invalid_request');
    const badJson = await fetch(`${h.base}/auth/launch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    expect(badJson.status).toBe(400);
    await h.close();
  });

  it('POST /auth/launch validates the launch context', async () => {
    const h = await startHarness(db, keys);
    const bad = await fetch(`${h.base}/auth/launch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ patient: 'p1', fhirUser: 'Organization/o1' }) });
    expect(bad.status).toBe(400);
    expect(await createLaunch(h, { patient: 'p1', fhirUser: 'Practitioner/dr1', need_patient_banner: false, intent: 'reconcile-medications' })).toMatch(/^[\w-]+$/);
    await h.close();
  });

  it('writes no token, code or secret into the logs', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const h = await startHarness(db, keys, { log: pino({ level: 'trace' }, sink) });
    const { code, verifier } = await ehrLaunchCode(h, { scope: 'launch openid fhirUser offline_access patient/*.rs' });
    const tok = await (await exchangeCode(h, code, verifier)).json().then(asJson).then(asJson);
    await post(h.tokenUrl, { grant_type: 'refresh_token', refresh_token: tok.refresh_token, client_id: 'app' });
    await exchangeCode(h, code, verifier);
    const logged = lines.join('\n');
    expect(lines.length).toBeGreaterThan(2);
    for (const secret of [code, verifier, tok.access_token, tok.refresh_token, tok.id_token]) expect(logged).not.toContain(secret);
    expect(logged).not.toContain('p1');
    await h.close();
  });
});
