// batch and transaction: urn:uuid rewriting, conditional entries, atomic rollback, per-entry batch outcomes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { call, issueCode } from '../builders/http.ts';
import { medicationRequest, patient } from '../builders/resources.ts';

describe.each(TEST_DATABASES)('batch and transaction on $name', (db) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(db);
  });
  afterAll(async () => srv.close());

  const post = (bundle: unknown) => call(`${srv.base}/fhir`, { method: 'POST', json: bundle });
  const countOf = async (type: string) => (await call(`${srv.base}/fhir/${type}?_summary=count`)).body.total as number;

  it('commits a transaction and rewrites urn:uuid references to the created ids', async () => {
    const r = await post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:0a1b2c3d-0000-4000-8000-000000000002', resource: medicationRequest('urn:uuid:0a1b2c3d-0000-4000-8000-000000000001'), request: { method: 'POST', url: 'MedicationRequest' } },
        { fullUrl: 'urn:uuid:0a1b2c3d-0000-4000-8000-000000000001', resource: patient(), request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.type).toBe('transaction-response');
    expect(r.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created']);
    const patientId = r.body.entry[1].resource.id;
    expect(r.body.entry[0].resource.subject.reference).toBe(`Patient/${patientId}`);
    const mr = await call(`${srv.base}/fhir/MedicationRequest/${r.body.entry[0].resource.id}`);
    expect(mr.body.subject.reference).toBe(`Patient/${patientId}`);
    expect(r.body.entry[0].response.location).toMatch(/\/MedicationRequest\/[^/]+\/_history\/1$/);
  });

  it('resolves a conditional create inside a transaction to the existing resource', async () => {
    const existing = (await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient() })).body;
    const r = await post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:11111111-0000-4000-8000-000000000001', resource: patient(), request: { method: 'POST', url: 'Patient', ifNoneExist: `_id=${existing.id}` } },
        { resource: medicationRequest('urn:uuid:11111111-0000-4000-8000-000000000001'), request: { method: 'POST', url: 'MedicationRequest' } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.entry[0].response.status).toBe('200 OK');
    expect(r.body.entry[1].resource.subject.reference).toBe(`Patient/${existing.id}`);
  });

  it('resolves conditional references (Type?criteria) inside a transaction', async () => {
    const existing = (await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient() })).body;
    const r = await post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: medicationRequest(`Patient?_id=${existing.id}`), request: { method: 'POST', url: 'MedicationRequest' } }],
    });
    expect(r.status).toBe(200);
    expect(r.body.entry[0].resource.subject.reference).toBe(`Patient/${existing.id}`);
  });

  it('runs PUT, DELETE, conditional PUT and GET entries in one transaction', async () => {
    const gone = (await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient() })).body;
    const r = await post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: patient({ id: 'tx-put-1' }), request: { method: 'PUT', url: 'Patient/tx-put-1' } },
        { request: { method: 'DELETE', url: `Patient/${gone.id}` } },
        { resource: patient({ gender: 'unknown' }), request: { method: 'PUT', url: 'Patient?_id=tx-cond-put' } },
        { request: { method: 'GET', url: 'Patient/tx-put-1' } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '204 No Content', '201 Created', '200 OK']);
    expect((await call(`${srv.base}/fhir/Patient/${gone.id}`)).status).toBe(410);
  });

  it('rolls back the whole transaction when one entry fails: nothing is left behind', async () => {
    const before = await countOf('Patient');
    const mrBefore = await countOf('MedicationRequest');
    const r = await post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:22222222-0000-4000-8000-000000000001', resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { resource: medicationRequest('urn:uuid:22222222-0000-4000-8000-000000000001'), request: { method: 'POST', url: 'MedicationRequest' } },
        { resource: patient({ id: 'rollback-1' }), request: { method: 'PUT', url: 'Patient/rollback-1' } },
        { resource: { resourceType: 'Observation', status: 'final' }, request: { method: 'PUT', url: 'Patient/wrong-type' } },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body.resourceType).toBe('OperationOutcome');
    expect(r.body.issue[0].diagnostics).toContain('Bundle.entry[3]');
    expect(await countOf('Patient')).toBe(before);
    expect(await countOf('MedicationRequest')).toBe(mrBefore);
    expect((await call(`${srv.base}/fhir/Patient/rollback-1`)).status).toBe(404);
  });

  it('rolls back when a transaction If-Match fails with 412', async () => {
    const p = (await call(`${srv.base}/fhir/Patient`, { method: 'POST', json: patient() })).body;
    const r = await post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: patient({ id: 'rollback-2' }), request: { method: 'PUT', url: 'Patient/rollback-2' } },
        { resource: { ...p, gender: 'male' }, request: { method: 'PUT', url: `Patient/${p.id}`, ifMatch: 'W/"5"' } },
      ],
    });
    expect(r.status).toBe(412);
    expect((await call(`${srv.base}/fhir/Patient/rollback-2`)).status).toBe(404);
  });

  it('refuses duplicate fullUrls and nested bundles in a transaction', async () => {
    const dup = await post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:33333333-0000-4000-8000-000000000001', resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { fullUrl: 'urn:uuid:33333333-0000-4000-8000-000000000001', resource: patient(), request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(dup.status).toBe(400);
    const missing = await post({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: patient() }] });
    expect(missing.status).toBe(400);
    expect(issueCode(missing)).toBe('invalid');
    const wrongType = await post({ resourceType: 'Bundle', type: 'collection', entry: [] });
    expect(wrongType.status).toBe(400);
  });

  it('processes batch entries independently with an outcome for each failure', async () => {
    const r = await post({
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: patient(), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/not-there' } },
        { resource: { resourceType: 'Observation' }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Nonsense/1' } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.type).toBe('batch-response');
    expect(r.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '404 Not Found', '400 Bad Request', '404 Not Found']);
    expect(r.body.entry[1].response.outcome.issue[0].code).toBe('not-found');
  });

  it('ingests a 1,000-entry transaction atomically', async () => {
    const before = await countOf('Observation');
    const entry = Array.from({ length: 1000 }, (_, i) => ({
      fullUrl: `urn:uuid:44444444-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resource: { resourceType: 'Observation', status: 'final', code: { text: `obs ${i}` }, subject: { reference: 'Patient/bulk' } },
      request: { method: 'POST', url: 'Observation' },
    }));
    const r = await call(`${srv.base}/fhir`, { method: 'POST', json: { resourceType: 'Bundle', type: 'transaction', entry }, headers: { Prefer: 'return=minimal' } });
    expect(r.status).toBe(200);
    expect(r.body.entry).toHaveLength(1000);
    expect(r.body.entry[999].resource).toBeUndefined();
    expect(await countOf('Observation')).toBe(before + 1000);
  });
});
