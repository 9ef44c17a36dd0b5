// CDS Hooks trust (CDS Hooks 2.0 "Trusting CDS Clients"): with trusted EHRs configured, each call needs the
// EHR's signed JWT — right issuer and key, audience = the service URL, fresh jti.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';

const ISS = 'https://ehr.example.org';

describe('CDS Hooks EHR JWT', () => {
  let srv: TestServer;
  let key: CryptoKey;
  let stranger: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES384');
    key = pair.privateKey;
    stranger = (await generateKeyPair('ES384')).privateKey;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cds-ehrs-')), 'ehrs.json');
    fs.writeFileSync(file, JSON.stringify({ ehrs: [{ iss: ISS, jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'ehr-1', alg: 'ES384' }] } }] }));
    srv = await startTestServer(TEST_DATABASES[0], { env: { CDS_TRUSTED_EHRS: file } });
  });
  afterAll(async () => srv.close());

  const url = () => `${srv.base}/cds-services/titrate-order-select`;
  const jwt = (opts: { aud?: string; iss?: string; signer?: CryptoKey; jti?: string } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: 'ehr-1', typ: 'JWT' })
      .setIssuer(opts.iss ?? ISS)
      .setSubject('client')
      .setAudience(opts.aud ?? url())
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti(opts.jti ?? randomUUID())
      .sign(opts.signer ?? key);
  const body = {
    hook: 'order-select',
    hookInstance: randomUUID(),
    context: { userId: 'Practitioner/x', patientId: 'nobody', draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [] } },
    prefetch: { patient: { resourceType: 'Patient', id: 'nobody' }, medications: { resourceType: 'Bundle', type: 'searchset' }, observations: { resourceType: 'Bundle', type: 'searchset' } },
  };
  const call = (auth?: string) =>
    fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body: JSON.stringify(body) });

  it('accepts a call signed by the trusted EHR for this service', async () => {
    expect((await call(await jwt())).status).toBe(200);
  });

  it.each([
    ['no JWT', async () => undefined],
    ['an unknown issuer', async () => jwt({ iss: 'https://other.example' })],
    ['a key the EHR did not register', async () => jwt({ signer: stranger })],
    ['another service as audience', async () => jwt({ aud: 'https://titrate.example/cds-services/titrate-order-sign' })],
  ])('refuses %s with 401', async (_label, make) => {
    expect((await call(await make())).status).toBe(401);
  });

  it('refuses a replayed jti', async () => {
    const token = await jwt({ jti: 'once-only' });
    expect((await call(token)).status).toBe(200);
    expect((await call(token)).status).toBe(401);
  });

  it('keeps discovery open', async () => {
    expect((await fetch(`${srv.base}/cds-services`)).status).toBe(200);
  });
});
