// Hostile input, generated (SPEC §9): mutated resources, garbage bodies, odd URLs and headers never yield a 500
// or a hang. A fixed seed keeps every run the same; a failure prints the request that caused it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { medicationRequest, patient } from '../builders/resources.ts';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY: unknown[] = [null, true, -1, 1e308, '', '\u0000', "'; DROP TABLE resources; --", '%00', '../../etc/passwd', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'x'.repeat(10_000), [], {}, [[[]]], { resourceType: 'Patient' }, { __proto: 1 }];
const PATHS = ['Patient', 'MedicationRequest', 'Observation', 'CarePlan', '', 'metadata', '_history', 'Patient/_search', 'Patient/x/_history/abc', 'Patient/$validate', 'Patient/x/$medication-review', 'MedicationRequest/$check', 'Nope/1', 'Patient/%2e%2e', 'Patient/a/b/c/d/e'];
const QUERIES = ['', '_count=abc', '_count=99999999', '_lastUpdated=gt', 'name=%27', 'patient=Patient/', '_sort=-', '_include=*', '_elements=', '_summary=maybe', 'code:in=x', 'value-quantity=ap', 'birthdate=le2020-02-30', '_has:x', 'subject:Patient.name.name=x', `name=${'a'.repeat(5000)}`];

function mutate(rand: () => number, value: unknown, depth = 0): unknown {
  if (depth > 4 || rand() < 0.15) return NASTY[Math.floor(rand() * NASTY.length)];
  if (Array.isArray(value)) return value.map((v) => mutate(rand, v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (rand() < 0.1) continue;
      out[rand() < 0.05 ? `${k}X` : k] = rand() < 0.5 ? mutate(rand, v, depth + 1) : v;
    }
    return out;
  }
  return value;
}

describe.each(TEST_DATABASES)('fuzzed requests on $name', (db) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(db);
  });
  afterAll(async () => srv.close());

  it('answers 400 requests of generated hostile input without a 500 or a hang', async () => {
    const rand = prng(20261130);
    const seeds = [patient(), medicationRequest('Patient/x'), { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient(), request: { method: 'POST', url: 'Patient' } }] }];
    for (let i = 0; i < 400; i++) {
      const method = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'][Math.floor(rand() * 5)];
      const path = PATHS[Math.floor(rand() * PATHS.length)];
      const query = QUERIES[Math.floor(rand() * QUERIES.length)];
      const url = `${srv.base}/fhir/${path}${query ? `?${query}` : ''}`;
      let body: string | undefined;
      if (method !== 'GET' && method !== 'DELETE') {
        const r = rand();
        body = r < 0.6 ? JSON.stringify(mutate(rand, seeds[Math.floor(rand() * seeds.length)])) : r < 0.8 ? '{"resourceType":"Patient",'.repeat(Math.floor(rand() * 50)) : String(NASTY[Math.floor(rand() * NASTY.length)]);
      }
      const headers: Record<string, string> = { 'content-type': rand() < 0.9 ? 'application/fhir+json' : 'text/plain' };
      if (rand() < 0.2) headers['if-match'] = rand() < 0.5 ? 'W/"1"' : 'W/"\u00ff"';
      if (rand() < 0.1) headers.prefer = 'return=OperationOutcome; handling=strict';
      const controller = AbortSignal.timeout(10_000);
      const res = await fetch(url, { method, headers, body, signal: controller });
      const text = await res.text();
      expect(res.status, `${method} ${url.slice(0, 200)} body=${(body ?? '').slice(0, 200)} → ${text.slice(0, 200)}`).toBeLessThan(500);
      if (res.status >= 400) expect(JSON.parse(text).resourceType).toBe('OperationOutcome');
    }
  }, 120_000);
});
