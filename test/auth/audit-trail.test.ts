// The audit trail end to end (issue 5): FHIR interactions through the real server with AUTH=smart leave AuditEvents,
// queued by the writer thread and stored once flushed; /metrics shows the backlog. Runs on a SQLite file (an
// in-memory database has no writer thread) and on PostgreSQL when TEST_DATABASE_URL is set.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../server/store/sqlite.ts';
import { ConfigError, readConfig } from '../../server/config.ts';
import { startTestServer } from '../builders/server.ts';
import { TEST_DATABASES, type TestDatabase } from '../builders/databases.ts';
import { asJson, clientAssertion, form, makeKeys, testClients } from './harness.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const sqliteFile: TestDatabase = {
  name: 'sqlite',
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-trail-'));
    dirs.push(dir);
    const driver = openSqlite(path.join(dir, 'trail.sqlite'));
    return { driver, dispose: () => driver.close() };
  },
};

const databases = [{ label: 'sqlite file', db: sqliteFile }, ...TEST_DATABASES.filter((d) => d.name === 'postgres').map((db) => ({ label: 'postgres', db }))];

describe.each(databases)('audit trail through the server ($label)', ({ db }) => {
  it('records each read with who, what and outcome; the queue is empty after a flush', async () => {
    const keys = await makeKeys();
    const srv = await startTestServer(db, { env: { AUTH: 'smart', DEMO: '0' }, clients: testClients(keys) });
    try {
      const assertion = await clientAssertion(keys.es384, 'pharmacy-es', srv.tokenUrl);
      const res = await fetch(srv.tokenUrl, {
        method: 'POST',
        body: form({ grant_type: 'client_credentials', scope: 'system/*.rs system/MedicationRequest.cruds', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion }),
      });
      expect(res.status).toBe(200);
      const token = asJson(await res.json()).access_token as string;
      const auth = { authorization: `Bearer ${token}` };
      const created = await fetch(`${srv.fhir}/MedicationRequest`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/trail-p' }, medicationCodeableConcept: { text: 'lithium' } }),
      });
      expect(created.status).toBe(201);
      const id = asJson(await created.json()).id as string;
      for (let i = 0; i < 5; i++) expect((await fetch(`${srv.fhir}/MedicationRequest/${id}`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${srv.fhir}/MedicationRequest/missing-one`, { headers: auth })).status).toBe(404);
      expect((await fetch(`${srv.fhir}/MedicationRequest?patient=trail-p&status=active`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${srv.fhir}/MedicationRequest?status=active`, { headers: auth })).status).toBe(200);
      // A second order, deleted: its AuditEvents still name the patient it belonged to.
      const doomed = asJson(await (await fetch(`${srv.fhir}/MedicationRequest`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/trail-p' }, medicationCodeableConcept: { text: 'quetiapine' } }),
      })).json()).id as string;
      expect((await fetch(`${srv.fhir}/MedicationRequest/${doomed}`, { method: 'DELETE', headers: auth })).status).toBe(204);
      // A third order, read, then moved to another patient before the writer stored anything: what was done with
      // its first version stays with the first patient, what was done with the second goes to the other.
      const order = { resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/trail-p' }, medicationCodeableConcept: { text: 'lamotrigine' } };
      const moved = asJson(await (await fetch(`${srv.fhir}/MedicationRequest`, { method: 'POST', headers: { ...auth, 'content-type': 'application/fhir+json' }, body: JSON.stringify(order) })).json()).id as string;
      expect((await fetch(`${srv.fhir}/MedicationRequest/${moved}`, { headers: auth })).status).toBe(200);
      const update = await fetch(`${srv.fhir}/MedicationRequest/${moved}`, {
        method: 'PUT',
        headers: { ...auth, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({ ...order, id: moved, subject: { reference: 'Patient/trail-q' } }),
      });
      expect(update.status).toBe(200);
      expect((await fetch(`${srv.fhir}/MedicationRequest/${moved}/_history/1`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${srv.fhir}/MedicationRequest/${moved}`, { headers: auth })).status).toBe(200);

      await srv.flushAudit();
      const metrics = await (await fetch(`${srv.base}/metrics`)).text();
      expect(metrics).toMatch(/^titrate_audit_buffered_items 0$/m);
      expect(metrics).toMatch(/^titrate_audit_queued_items 0$/m);

      const reads = asJson(await (await fetch(`${srv.fhir}/AuditEvent?entity=MedicationRequest/${id}&subtype=read&_count=50`, { headers: auth })).json());
      expect(reads.entry).toHaveLength(5);
      const event = reads.entry[0].resource;
      expect(event.action).toBe('R');
      expect(event.outcome).toBe('0');
      expect(event.agent.some((a: Json) => a.who?.identifier?.value === 'pharmacy-es')).toBe(true);
      const failed = asJson(await (await fetch(`${srv.fhir}/AuditEvent?entity=MedicationRequest/missing-one`, { headers: auth })).json());
      expect(failed.entry).toHaveLength(1);
      expect(failed.entry[0].resource.outcome).toBe('4');
      const creates = asJson(await (await fetch(`${srv.fhir}/AuditEvent?subtype=create&entity=MedicationRequest/${id}`, { headers: auth })).json());
      expect(creates.entry?.length ?? 0).toBe(1);
      // A system token has no patient context: the writer finds the patient from the resource, or from the search.
      const ofPatient = asJson(await (await fetch(`${srv.fhir}/AuditEvent?patient=Patient/trail-p&_count=50`, { headers: auth })).json());
      const seen = ofPatient.entry.map((e: Json) => e.resource.subtype[0].code).sort();
      expect(seen).toEqual(['create', 'create', 'create', 'delete', 'read', 'read', 'read', 'read', 'read', 'read', 'search', 'vread']);
      const ofOther = asJson(await (await fetch(`${srv.fhir}/AuditEvent?patient=Patient/trail-q&_count=50`, { headers: auth })).json());
      expect(ofOther.entry.map((e: Json) => e.resource.subtype[0].code).sort()).toEqual(['read', 'update']);
      const search = ofPatient.entry.find((e: Json) => e.resource.subtype[0].code === 'search').resource;
      const queried = search.entity.find((e: Json) => e.query !== undefined);
      expect(Buffer.from(queried.query, 'base64').toString('utf8')).toBe('patient=trail-p&status=active');
      // A search over every patient names none.
      const searches = asJson(await (await fetch(`${srv.fhir}/AuditEvent?subtype=search&_count=50`, { headers: auth })).json());
      expect(searches.entry).toHaveLength(2);
    } finally {
      await srv.close();
    }
  }, 60_000);
});

type Json = ReturnType<typeof asJson>;

describe('AUDIT_MAX_LAG_MS', () => {
  it('defaults to 30 s, accepts 0 and refuses what is not a whole number of milliseconds', () => {
    expect(readConfig({}).auditMaxLagMs).toBe(30_000);
    expect(readConfig({ AUDIT_MAX_LAG_MS: '0' }).auditMaxLagMs).toBe(0);
    expect(readConfig({ AUDIT_MAX_LAG_MS: '' }).auditMaxLagMs).toBe(30_000);
    for (const bad of ['-1', '1.5', 'soon']) expect(() => readConfig({ AUDIT_MAX_LAG_MS: bad })).toThrow(ConfigError);
  });
});
