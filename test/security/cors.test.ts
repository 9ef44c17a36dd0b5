// CORS on the FHIR API: registered clients' origins only (SPEC §5); metadata open to any origin.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { APP_ORIGIN, makeKeys, testClients } from '../auth/harness.ts';

describe('CORS on /fhir', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(TEST_DATABASES[0], { env: { AUTH: 'smart' }, clients: testClients(await makeKeys()) });
  });
  afterAll(async () => srv.close());

  it('answers a preflight from a registered origin with the FHIR methods and headers', async () => {
    const r = await fetch(`${srv.fhir}/Patient/x`, { method: 'OPTIONS', headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'PUT' } });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(r.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(r.headers.get('access-control-allow-headers')).toContain('If-Match');
  });

  it('gives an unregistered origin no CORS grant', async () => {
    const r = await fetch(`${srv.fhir}/Patient/x`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${srv.fhir}/Patient/x`, { headers: { Origin: 'https://evil.example' } });
    expect(get.status).toBe(401);
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('exposes ETag and Location to a registered origin and keeps metadata open to all', async () => {
    const r = await fetch(`${srv.fhir}/Patient/x`, { headers: { Origin: APP_ORIGIN } });
    expect(r.headers.get('access-control-expose-headers')).toContain('ETag');
    const meta = await fetch(`${srv.fhir}/metadata`, { headers: { Origin: 'https://anyone.example' } });
    expect(meta.status).toBe(200);
    expect(meta.headers.get('access-control-allow-origin')).toBe('*');
  });
});
