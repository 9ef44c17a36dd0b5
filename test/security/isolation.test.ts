// Patient isolation (SPEC §5, issue 5): with a token for patient A, no way of asking reaches patient B's data.
// Each row is refused (401/403/404) or answers without a trace of B. The token comes from a real EHR launch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { ehrLaunchCode, exchangeCode, makeKeys, testClients } from '../auth/harness.ts';

const B_MARKS = ['isob-', 'Zyxwbee'];
const LOINC = 'http://loinc.org';

function resourcesOf(owner: 'a' | 'b'): { type: string; id: string; resource: Record<string, unknown> }[] {
  const p = `iso${owner}`;
  const subject = { reference: `Patient/${p}-patient` };
  const family = owner === 'a' ? 'Aardvarkson' : 'Zyxwbee';
  return [
    { type: 'Patient', id: `${p}-patient`, resource: { resourceType: 'Patient', name: [{ family, given: ['Iso'] }], birthDate: '1970-01-01', gender: 'female' } },
    // Medication sits outside every patient compartment (shared, like Practitioner): readable by design, so its id
    // carries no patient mark; what B takes is in B's MedicationRequest, which must stay hidden.
    { type: 'Medication', id: `shared-med-${owner}`, resource: { resourceType: 'Medication', code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '36437', display: 'sertraline' }] } } },
    {
      type: 'MedicationRequest', id: `${p}-mr`,
      resource: { resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject, medicationReference: { reference: `Medication/shared-med-${owner}` }, authoredOn: '2026-01-01' },
    },
    {
      type: 'Observation', id: `${p}-li`,
      resource: {
        resourceType: 'Observation', status: 'final', subject, effectiveDateTime: '2026-02-01T00:00:00Z',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
        code: { coding: [{ system: LOINC, code: '14334-7' }] }, valueQuantity: { value: 0.9, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
      },
    },
    { type: 'Condition', id: `${p}-cond`, resource: { resourceType: 'Condition', subject, code: { text: 'Bipolar I disorder' } } },
    { type: 'CarePlan', id: `${p}-plan`, resource: { resourceType: 'CarePlan', status: 'active', intent: 'plan', subject } },
    { type: 'AllergyIntolerance', id: `${p}-allergy`, resource: { resourceType: 'AllergyIntolerance', patient: subject, code: { text: 'penicillin' } } },
  ];
}

interface Row {
  name: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  contentType?: string;
}

const B = 'isob-patient';
const batch = (type: 'batch' | 'transaction', entries: { method: string; url: string; resource?: unknown }[]) => ({
  resourceType: 'Bundle', type, entry: entries.map((e) => ({ request: { method: e.method, url: e.url }, ...(e.resource ? { resource: e.resource } : {}) })),
});

const ROWS: Row[] = [
  { name: 'read Patient B', path: `Patient/${B}` },
  { name: 'vread Patient B', path: `Patient/${B}/_history/1` },
  { name: 'instance history of Patient B', path: `Patient/${B}/_history` },
  { name: "read B's MedicationRequest", path: 'MedicationRequest/isob-mr' },
  { name: "vread B's MedicationRequest", path: 'MedicationRequest/isob-mr/_history/1' },
  { name: "read B's Observation", path: 'Observation/isob-li' },
  { name: "read B's Condition", path: 'Condition/isob-cond' },
  { name: "read B's CarePlan", path: 'CarePlan/isob-plan' },
  { name: "read B's AllergyIntolerance", path: 'AllergyIntolerance/isob-allergy' },
  { name: 'search Patient by _id=B', path: `Patient?_id=${B}` },
  { name: 'search all Patients', path: 'Patient' },
  { name: "search Patient by B's family name", path: 'Patient?family=Zyxwbee' },
  { name: 'search MedicationRequest?patient=B', path: `MedicationRequest?patient=${B}` },
  { name: 'search MedicationRequest?subject=Patient/B', path: `MedicationRequest?subject=Patient/${B}` },
  { name: 'search MedicationRequest?patient=B&status=active', path: `MedicationRequest?patient=Patient/${B}&status=active` },
  { name: 'search Observation?patient=B', path: `Observation?patient=${B}` },
  { name: 'search Observation?subject=B', path: `Observation?subject=${B}` },
  { name: 'search Observation?subject:Patient=B', path: `Observation?subject:Patient=${B}` },
  { name: 'search Condition?patient=B', path: `Condition?patient=${B}` },
  { name: 'search CarePlan?subject=Patient/B', path: `CarePlan?subject=Patient/${B}` },
  { name: 'search AllergyIntolerance?patient=B', path: `AllergyIntolerance?patient=${B}` },
  { name: 'search every Observation', path: 'Observation' },
  { name: 'search every MedicationRequest', path: 'MedicationRequest' },
  { name: 'search Observation by code', path: `Observation?code=${encodeURIComponent(`${LOINC}|14334-7`)}` },
  { name: 'search Observation by _id of B', path: 'Observation?_id=isob-li' },
  { name: '_include MedicationRequest:patient over all', path: 'MedicationRequest?_include=MedicationRequest:patient' },
  { name: '_include MedicationRequest:medication over all', path: 'MedicationRequest?_include=MedicationRequest:medication' },
  { name: '_revinclude Observation:patient from Patient B', path: `Patient?_id=${B}&_revinclude=Observation:patient` },
  { name: '_revinclude MedicationRequest:subject from every Patient', path: 'Patient?_revinclude=MedicationRequest:subject' },
  { name: '_revinclude:iterate from own patient', path: 'Patient?_revinclude:iterate=MedicationRequest:subject&_revinclude=Observation:patient' },
  { name: '_has reverse chain Observation code', path: 'Patient?_has:Observation:patient:code=14334-7' },
  { name: '_has reverse chain MedicationRequest status', path: 'Patient?_has:MedicationRequest:subject:status=active' },
  { name: 'chained Observation?patient.family=B', path: 'Observation?patient.family=Zyxwbee' },
  { name: 'chained MedicationRequest?subject:Patient.name=B', path: 'MedicationRequest?subject:Patient.name=Zyxwbee' },
  { name: 'compartment Patient/B/MedicationRequest', path: `Patient/${B}/MedicationRequest` },
  { name: 'compartment Patient/B/Observation', path: `Patient/${B}/Observation` },
  { name: 'type history Observation', path: 'Observation/_history' },
  { name: 'type history MedicationRequest', path: 'MedicationRequest/_history' },
  { name: 'system history', path: '_history' },
  { name: 'POST _search Observation patient=B', method: 'POST', path: 'Observation/_search', body: `patient=${B}`, contentType: 'application/x-www-form-urlencoded' },
  { name: 'batch GET Patient/B', method: 'POST', path: '', body: batch('batch', [{ method: 'GET', url: `Patient/${B}` }, { method: 'GET', url: `Observation?patient=${B}` }]) },
  { name: 'transaction GET of B', method: 'POST', path: '', body: batch('transaction', [{ method: 'GET', url: 'MedicationRequest/isob-mr' }]) },
  { name: "batch update of B's Observation", method: 'POST', path: '', body: batch('batch', [{ method: 'PUT', url: 'Observation/isob-li', resource: { resourceType: 'Observation', id: 'isob-li', status: 'cancelled', code: { text: 'x' } } }]) },
  { name: "update B's Observation", method: 'PUT', path: 'Observation/isob-li', body: { resourceType: 'Observation', id: 'isob-li', status: 'cancelled', code: { text: 'x' }, subject: { reference: `Patient/${B}` } } },
  { name: "delete B's MedicationRequest", method: 'DELETE', path: 'MedicationRequest/isob-mr' },
  { name: 'patch Patient B', method: 'PATCH', path: `Patient/${B}`, body: [{ op: 'replace', path: '/gender', value: 'male' }], contentType: 'application/json-patch+json' },
  { name: 'create an Observation for B', method: 'POST', path: 'Observation', body: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${B}` } } },
  { name: '$medication-review of B', path: `Patient/${B}/$medication-review` },
  {
    name: '$check against B', method: 'POST', path: 'MedicationRequest/$check',
    body: { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: `Patient/${B}` } }, { name: 'medicationRequest', resource: { resourceType: 'MedicationRequest', status: 'draft', intent: 'order', subject: { reference: `Patient/${B}` }, medicationCodeableConcept: { text: 'sertraline' } } }] },
  },
  { name: '$reconcile of B', method: 'POST', path: `Patient/${B}/$reconcile` },
  { name: "$taper of B's MedicationRequest", method: 'POST', path: 'MedicationRequest/isob-mr/$taper', body: { resourceType: 'Parameters', parameter: [{ name: 'strategy', valueCode: 'linear' }] } },
  { name: '$everything of B (not offered)', path: `Patient/${B}/$everything` },
  { name: 'AuditEvent search', path: 'AuditEvent' },
];

describe.each(TEST_DATABASES)('patient isolation on $name', (db) => {
  let srv: TestServer;
  let token: string;

  beforeAll(async () => {
    const keys = await makeKeys();
    srv = await startTestServer(db, { env: { AUTH: 'smart', DEMO: '1' }, clients: testClients(keys) });
    const now = new Date().toISOString();
    for (const { type, id, resource } of [...resourcesOf('a'), ...resourcesOf('b')]) await srv.store.put(type, id, resource, now);
    const h = { base: srv.base, fhirBase: srv.fhir, tokenUrl: srv.tokenUrl, auth: srv.auth, close: () => srv.close() };
    const { code, verifier } = await ehrLaunchCode(h, { scope: 'launch openid fhirUser patient/*.rs', patient: 'isoa-patient' });
    const res = await exchangeCode(h, code, verifier);
    expect(res.status).toBe(200);
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => srv.close());

  const ask = (row: Row) =>
    fetch(`${srv.fhir}/${row.path}`, {
      method: row.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, ...(row.body !== undefined ? { 'content-type': row.contentType ?? 'application/fhir+json' } : {}) },
      body: row.body === undefined ? undefined : typeof row.body === 'string' ? row.body : JSON.stringify(row.body),
    });

  it('has at least 40 ways of asking', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(40);
  });

  it('lets the token read its own patient and data (the control)', async () => {
    expect((await ask({ name: 'own', path: 'Patient/isoa-patient' })).status).toBe(200);
    const own = await ask({ name: 'own obs', path: 'Observation?patient=isoa-patient' });
    expect(own.status).toBe(200);
    expect(JSON.stringify(await own.json())).toContain('isoa-li');
  });

  it.each(ROWS)('$name: refused or nothing of patient B', async (row) => {
    const res = await ask(row);
    const text = await res.text();
    expect(res.status, text.slice(0, 300)).not.toBe(500);
    if (res.ok) {
      const body = JSON.parse(text || '{}');
      // Links and refusal diagnostics echo what the client asked; what must not appear is B's data.
      const data = JSON.stringify(body, (key, value) => (key === 'link' || key === 'outcome' ? undefined : value));
      for (const mark of B_MARKS) expect(data, `${row.name} leaked ${mark}`).not.toContain(mark);
      // A batch answers 200 even when every entry is refused: each entry must be a refusal or B-free.
      if (body.type === 'batch-response' || body.type === 'transaction-response') {
        for (const e of body.entry) {
          const entryData = JSON.stringify(e.resource ?? {}, (key, value) => (key === 'link' ? undefined : value));
          expect(Number(String(e.response.status).slice(0, 3)) >= 400 || !entryData.includes('isob-')).toBe(true);
        }
      }
    } else {
      expect([401, 403, 404]).toContain(res.status);
      expect(JSON.parse(text).resourceType).toBe('OperationOutcome');
    }
  });

  const hook = (patientId: string, accessToken?: string) => ({
    hook: 'order-sign',
    hookInstance: '5c6c8e0a-3a5f-4c38-9d7e-2b9f4f0a6a11',
    context: {
      userId: 'Practitioner/demo-psychiatrist',
      patientId,
      draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'MedicationRequest', id: 'draft-x', status: 'draft', intent: 'order', subject: { reference: `Patient/${patientId}` }, medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '36437' }] } } }] },
    },
    ...(accessToken ? { fhirAuthorization: { access_token: accessToken, token_type: 'Bearer', expires_in: 300, scope: 'patient/*.rs', subject: 'app' } } : {}),
  });
  const cds = (body: unknown) => fetch(`${srv.base}/cds-services/titrate-order-sign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('CDS Hooks without prefetch: refuses to read B with A\'s token, refuses without a token, serves A', async () => {
    const asA = await cds(hook(B, token));
    const text = await asA.text();
    expect([401, 403, 404]).toContain(asA.status);
    expect(text).not.toContain('Zyxwbee');
    expect((await cds(hook(B))).status).toBe(401);
    const own = await cds(hook('isoa-patient', token));
    expect(own.status).toBe(200);
  });

  it('left B untouched by every write attempt', async () => {
    const rows = await srv.store.read('Observation', 'isob-li');
    expect(rows?.version).toBe(1);
    expect((await srv.store.read('MedicationRequest', 'isob-mr'))?.deleted).toBe(false);
    expect((await srv.store.read('Patient', B))?.version).toBe(1);
  });

  it('answers 401 with WWW-Authenticate without a token, and with error=invalid_token for a bad one', async () => {
    const none = await fetch(`${srv.fhir}/Patient/isoa-patient`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const bad = await fetch(`${srv.fhir}/Patient/isoa-patient`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toContain('invalid_token');
    expect((await fetch(`${srv.fhir}/metadata`)).status).toBe(200);
  });
});
