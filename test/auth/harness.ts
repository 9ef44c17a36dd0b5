// Test harness: a real Express app with the auth router and a tiny FHIR read route that enforces
// authenticate/authorize the way the lead's FHIR layer will; listens on an ephemeral port.
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import pino from 'pino';
import { readConfig } from '../../server/config.ts';
import { FhirError } from '../../server/fhir/errors.ts';
import { createAuthServer, type AuthServer, type AuthServerDeps, type ClientRegistration } from '../../server/auth/index.ts';
import type { TestDriver } from './drivers.ts';

export const REDIRECT = 'http://localhost:9999/app/';
export const APP_ORIGIN = 'http://localhost:9999';
export const OBS_LAB = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory';

/** The FHIR data the stub route serves. */
export const RESOURCES: Record<string, Record<string, unknown>> = {
  'Patient/p1': { resourceType: 'Patient', id: 'p1' },
  'Patient/p2': { resourceType: 'Patient', id: 'p2' },
  'Practitioner/dr1': { resourceType: 'Practitioner', id: 'dr1' },
  'Practitioner/demo-psychiatrist': { resourceType: 'Practitioner', id: 'demo-psychiatrist' },
  'Observation/lab1': { resourceType: 'Observation', id: 'lab1', status: 'final', subject: { reference: 'Patient/p1' }, category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }], code: { text: 'Li' } },
  'Observation/vs1': { resourceType: 'Observation', id: 'vs1', status: 'final', subject: { reference: 'Patient/p1' }, category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }], code: { text: 'BP' } },
  'Observation/lab2': { resourceType: 'Observation', id: 'lab2', status: 'final', subject: { reference: 'Patient/p2' }, category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }], code: { text: 'Li' } },
  'MedicationRequest/mr1': { resourceType: 'MedicationRequest', id: 'mr1', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' } },
};

export interface BackendKey {
  readonly alg: 'RS384' | 'ES384';
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function makeBackendKey(alg: 'RS384' | 'ES384'): Promise<BackendKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomBytes(8).toString('hex');
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg } };
}

export interface Keys {
  es384: BackendKey;
  rs384: BackendKey;
}

export async function makeKeys(): Promise<Keys> {
  return { es384: await makeBackendKey('ES384'), rs384: await makeBackendKey('RS384') };
}

export function testClients(keys: Keys): ClientRegistration[] {
  const userScopes = 'launch launch/patient launch/encounter openid fhirUser offline_access online_access patient/*.rs user/*.cruds';
  return [
    { client_id: 'app', type: 'public', redirect_uris: [REDIRECT], scope: userScopes },
    { client_id: 'online-app', type: 'public', redirect_uris: [REDIRECT], scope: 'launch openid fhirUser online_access patient/*.rs' },
    { client_id: 'portal', type: 'confidential', client_secret: 's3cret-portal', redirect_uris: [REDIRECT], scope: userScopes },
    { client_id: 'asym', type: 'confidential', jwks: { keys: [keys.rs384.publicJwk] }, redirect_uris: [REDIRECT], scope: userScopes },
    { client_id: 'v1app', type: 'public', redirect_uris: [REDIRECT], scope: 'launch launch/patient openid fhirUser patient/*.read' },
    {
      client_id: 'granular',
      type: 'public',
      redirect_uris: [REDIRECT],
      scope: `launch launch/patient patient/Patient.rs patient/Observation.rs?category=${OBS_LAB} patient/Condition.rs?category=http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item`,
    },
    { client_id: 'pharmacy-es', type: 'backend', jwks: { keys: [keys.es384.publicJwk] }, redirect_uris: [], scope: 'system/*.rs system/MedicationRequest.cruds' },
    { client_id: 'pharmacy-rs', type: 'backend', jwks: { keys: [keys.rs384.publicJwk] }, redirect_uris: [], scope: 'system/Observation.rs' },
  ];
}

export interface Harness {
  readonly base: string;
  readonly fhirBase: string;
  readonly tokenUrl: string;
  readonly auth: AuthServer;
  close(): Promise<void>;
}

export async function startHarness(db: TestDriver, keys: Keys, overrides: Partial<AuthServerDeps> = {}): Promise<Harness> {
  const app = express();
  let mounted: express.Router | undefined;
  app.use((req, res, next) => (mounted ? mounted(req, res, next) : next()));
  let auth!: AuthServer;
  // The FHIR layer stub: read-only, enforcing the decision the way the lead wires it.
  app.get('/fhir/:type/:id', async (req, res) => {
    try {
      const principal = await auth.authenticate(req.get('Authorization'));
      const resource = RESOURCES[`${req.params.type}/${req.params.id}`];
      const decision = auth.authorize(principal, { interaction: 'read', type: req.params.type, id: req.params.id, resource });
      if (!decision.allowed) {
        const status = decision.conceal ? 404 : decision.kind === 'unauthorized' ? 401 : 403;
        res.status(status).json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: status === 404 ? 'not-found' : 'forbidden' }] });
        return;
      }
      if (!resource) {
        res.status(404).json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
        return;
      }
      res.set('Access-Control-Allow-Origin', '*').type('application/fhir+json').json(resource);
    } catch (err) {
      if (err instanceof FhirError && err.kind === 'unauthorized') {
        res.set('WWW-Authenticate', 'Bearer realm="titrate"').status(401).json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login', diagnostics: err.message }] });
        return;
      }
      throw err;
    }
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const config = readConfig({ DEMO: '1', PORT: String(port), PUBLIC_BASE_URL: base, LOG_LEVEL: 'silent' });
  auth = await createAuthServer({ config, driver: db.driver, log: pino({ level: 'silent' }), clients: testClients(keys), ...overrides });
  mounted = auth.router;
  return {
    base,
    fhirBase: `${base}/fhir`,
    tokenUrl: `${base}/auth/token`,
    auth,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ——— client-side helpers (what an app or Inferno does) ———

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function form(body: Record<string, string | string[] | undefined>): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) for (const x of ([] as (string | undefined)[]).concat(v)) if (x !== undefined) p.append(k, x);
  return p;
}

export async function post(url: string, body: Record<string, string | string[] | undefined>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body: form(body), headers, redirect: 'manual' });
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export async function clientAssertion(key: BackendKey, clientId: string, aud: string, overrides: { jti?: string; expIn?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + (overrides.expIn ?? 240))
    .setJti(overrides.jti ?? randomBytes(12).toString('hex'))
    .sign(key.privateKey);
}

export interface AuthorizeParams {
  clientId?: string;
  scope: string;
  launch?: string;
  aud?: string;
  redirectUri?: string;
  challenge?: string;
  method?: string;
  state?: string;
  nonce?: string;
}

export function authorizeUrl(h: Harness, p: AuthorizeParams): string {
  const q = form({
    response_type: 'code',
    client_id: p.clientId ?? 'app',
    redirect_uri: p.redirectUri ?? REDIRECT,
    scope: p.scope,
    state: p.state ?? randomBytes(16).toString('base64url'),
    aud: p.aud ?? h.fhirBase,
    launch: p.launch,
    code_challenge: p.challenge,
    code_challenge_method: p.method ?? (p.challenge ? 'S256' : undefined),
    nonce: p.nonce,
  });
  return `${h.base}/auth/authorize?${q}`;
}

/** Follows an authorization response redirect: the query of the Location header. */
export function redirectParams(res: Response): URLSearchParams {
  const location = res.headers.get('location');
  if (!location) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(location).searchParams;
}

export async function createLaunch(h: Harness, context: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${h.base}/auth/launch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(context) });
  if (res.status !== 201) throw new Error(`launch: ${res.status}`);
  return ((await res.json()) as { launch: string }).launch;
}

/** EHR launch through to the authorization code; returns the code, state and PKCE verifier. */
export async function ehrLaunchCode(h: Harness, opts: { clientId?: string; scope: string; patient?: string; encounter?: string; fhirUser?: string; nonce?: string; userScope?: string }) {
  const launch = await createLaunch(h, { patient: opts.patient ?? 'p1', fhirUser: opts.fhirUser ?? 'Practitioner/dr1', ...(opts.encounter && { encounter: opts.encounter }), ...(opts.userScope && { user_scope: opts.userScope }) });
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString('base64url');
  const res = await fetch(authorizeUrl(h, { clientId: opts.clientId, scope: opts.scope, launch, challenge, state, nonce: opts.nonce }), { redirect: 'manual' });
  const params = redirectParams(res);
  return { code: params.get('code') as string, state, returnedState: params.get('state'), verifier, params };
}

export async function exchangeCode(h: Harness, code: string, verifier: string | undefined, opts: { clientId?: string; headers?: Record<string, string>; extra?: Record<string, string> } = {}): Promise<Response> {
  return post(h.tokenUrl, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, client_id: opts.clientId ?? 'app', ...opts.extra }, opts.headers);
}

export function hiddenRequestId(html: string): string {
  const m = /name="request" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no request id in page');
  return m[1];
}

export function readClaims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

export function readHeader(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
}

/** Response bodies in tests are inspected field by field; `any` keeps the assertions readable. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
export const asJson = (v: unknown): Json => v;
