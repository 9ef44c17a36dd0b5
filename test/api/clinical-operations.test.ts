// Clinical operations over HTTP (SPEC §4): $medication-review, $check, $reconcile, $taper, $titrate, CDS Hooks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import { call, issueCode } from '../builders/http.ts';
import { medReq, rxcui } from '../clinical/builders.ts';

const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const YEAR = new Date().getUTCFullYear();

describe.each(TEST_DATABASES)('clinical operations on $name', (db) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(db);
  });
  afterAll(async () => srv.close());

  let n = 0;
  async function patientWith(age: number, meds: fhir4.MedicationRequest[]): Promise<string> {
    const id = `cp-${++n}-${Math.random().toString(36).slice(2, 8)}`;
    const put = await call(`${srv.base}/fhir/Patient/${id}`, { method: 'PUT', json: { resourceType: 'Patient', id, birthDate: `${YEAR - age}-01-01`, gender: 'female' } });
    expect(put.status).toBe(201);
    for (const m of meds) {
      const r = await call(`${srv.base}/fhir/MedicationRequest/${m.id}`, { method: 'PUT', json: { ...m, subject: { reference: `Patient/${id}` } } });
      expect(r.status).toBe(201);
    }
    return id;
  }

  const codesOf = (bundle: any): string[] => (bundle.entry ?? []).flatMap((e: any) => e.resource.code.coding.map((c: any) => c.code));

  it('$medication-review flags citalopram 40 mg/day at age 70 as DOSEHINDA, citing its source', async () => {
    const id = await patientWith(70, [medReq('citalopram', { id: `cit-${n}-a`, mg: 40 })]);
    const r = await call(`${srv.base}/fhir/Patient/${id}/$medication-review`);
    expect(r.status).toBe(200);
    expect(r.body.resourceType).toBe('Bundle');
    expect(r.body.type).toBe('collection');
    const issue = r.body.entry.map((e: any) => e.resource).find((d: any) => d.code.coding.some((c: any) => c.system === ACT && c.code === 'DOSEHINDA'));
    expect(issue).toBeDefined();
    expect(issue.status).toBe('final');
    expect(issue.patient.reference).toBe(`Patient/${id}`);
    expect(issue.implicated[0].reference).toMatch(/^MedicationRequest\//);
    expect(['high', 'moderate', 'low']).toContain(issue.severity);
    expect(JSON.stringify(issue.evidence ?? issue.reference ?? '')).not.toBe('""');
  });

  it('$medication-review flags lithium + ibuprofen as an interaction (DRG) and ignores another patient', async () => {
    const id = await patientWith(45, [medReq('lithium carbonate', { id: `li-${n}-a`, mg: 900 }), medReq('ibuprofen', { id: `ibu-${n}-a`, mg: 1200 })]);
    const other = await patientWith(45, [medReq('sertraline', { id: `ser-${n}-b`, mg: 50 })]);
    const r = await call(`${srv.base}/fhir/Patient/${id}/$medication-review`);
    expect(codesOf(r.body)).toContain('DRG');
    const alone = await call(`${srv.base}/fhir/Patient/${other}/$medication-review`);
    expect(alone.status).toBe(200);
    expect(codesOf(alone.body)).not.toContain('DRG');
    expect(JSON.stringify(alone.body)).not.toContain(`Patient/${id}`);
  });

  const observation = (patient: string, code: fhir4.CodeableConcept, extra: Partial<fhir4.Observation>): fhir4.Observation => ({
    resourceType: 'Observation', status: 'final', subject: { reference: `Patient/${patient}` }, code,
    effectiveDateTime: new Date(Date.now() - 3 * 86_400_000).toISOString(), ...extra,
  });
  const loinc = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });

  it('$medication-review reads a monitored code held in a component of an unmonitored panel (lithium 1.6 mmol/L)', async () => {
    const id = await patientWith(45, [medReq('lithium carbonate', { id: `li-${n}-p`, mg: 900 })]);
    const panel = observation(id, loinc('24323-8'), {
      component: [{ code: loinc('14334-7'), valueQuantity: { value: 1.6, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' } }],
    });
    expect((await call(`${srv.base}/fhir/Observation`, { method: 'POST', json: panel })).status).toBe(201);
    const r = await call(`${srv.base}/fhir/Patient/${id}/$medication-review`);
    expect(r.status).toBe(200);
    expect(codesOf(r.body)).toContain('monitoring-out-of-range');
  });

  it('$medication-review refuses (400 too-costly) a record past its row limit rather than reviewing part of it', async () => {
    const id = await patientWith(45, [medReq('lithium carbonate', { id: `li-${n}-big`, mg: 900 })]);
    // 5,001 lithium levels, in bundles under the test server's 1 MB body limit.
    for (let sent = 0; sent < 5001; sent += 1000) {
      const entry = Array.from({ length: Math.min(1000, 5001 - sent) }, () => ({
        resource: observation(id, loinc('14334-7'), { valueQuantity: { value: 0.8, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' } }),
        request: { method: 'POST', url: 'Observation' },
      }));
      const tx = await call(`${srv.base}/fhir`, { method: 'POST', json: { resourceType: 'Bundle', type: 'transaction', entry }, headers: { prefer: 'return=minimal' } });
      expect(tx.status).toBe(200);
    }
    const r = await call(`${srv.base}/fhir/Patient/${id}/$medication-review`);
    expect(r.status).toBe(400);
    expect(issueCode(r)).toBe('too-costly');
  }, 60_000);

  it('$check reports linezolid added to sertraline as a high-severity interaction and stores nothing', async () => {
    const id = await patientWith(40, [medReq('sertraline', { id: `ser-${n}-c`, mg: 100 })]);
    const before = (await call(`${srv.base}/fhir/MedicationRequest?_summary=count`)).body.total;
    const draft = { ...medReq('linezolid', { id: 'draft-linezolid', mg: 1200 }), status: 'draft', subject: { reference: `Patient/${id}` } };
    const r = await call(`${srv.base}/fhir/MedicationRequest/$check`, {
      method: 'POST',
      json: { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: `Patient/${id}` } }, { name: 'medicationRequest', resource: draft }] },
    });
    expect(r.status).toBe(200);
    const drg = r.body.entry.map((e: any) => e.resource).filter((d: any) => d.code.coding.some((c: any) => c.code === 'DRG'));
    expect(drg.length).toBeGreaterThan(0);
    expect(drg[0].severity).toBe('high');
    expect((await call(`${srv.base}/fhir/MedicationRequest?_summary=count`)).body.total).toBe(before);
  });

  it('$check answers 400 without a patient or without drafts, and 404 for an unknown patient', async () => {
    const noPatient = await call(`${srv.base}/fhir/MedicationRequest/$check`, { method: 'POST', json: { resourceType: 'Parameters', parameter: [] } });
    expect(noPatient.status).toBe(400);
    expect(issueCode(noPatient)).toBe('invalid');
    const noDraft = await call(`${srv.base}/fhir/MedicationRequest/$check`, {
      method: 'POST',
      json: { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/x' } }] },
    });
    expect(noDraft.status).toBe(400);
    const unknown = await call(`${srv.base}/fhir/MedicationRequest/$check`, {
      method: 'POST',
      json: { resourceType: 'Parameters', parameter: [{ name: 'patient', valueReference: { reference: 'Patient/never-was' } }, { name: 'medicationRequest', resource: medReq('sertraline', { mg: 50 }) }] },
    });
    expect(unknown.status).toBe(404);
    const notParams = await call(`${srv.base}/fhir/MedicationRequest/$check`, { method: 'POST', json: { resourceType: 'Patient' } });
    expect(notParams.status).toBe(400);
  });

  it('$reconcile matches two given lists: identical sertraline, a unique lithium', async () => {
    const id = await patientWith(50, []);
    const list = (label: string, meds: fhir4.MedicationRequest[]) => ({
      name: 'source',
      part: [
        { name: 'label', valueString: label },
        { name: 'date', valueDateTime: '2026-01-01T00:00:00Z' },
        { name: 'list', resource: { resourceType: 'Bundle', type: 'collection', entry: meds.map((resource) => ({ resource })) } },
      ],
    });
    const r = await call(`${srv.base}/fhir/Patient/${id}/$reconcile`, {
      method: 'POST',
      json: {
        resourceType: 'Parameters',
        parameter: [
          list('clinic', [medReq('sertraline', { id: 's1', mg: 100 }), medReq('lithium carbonate', { id: 'l1', mg: 900 })]),
          list('pharmacy', [medReq('sertraline', { id: 's2', mg: 100 })]),
        ],
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.resourceType).toBe('Parameters');
    const groups = r.body.parameter.filter((p: any) => p.name === 'group');
    expect(groups).toHaveLength(2);
    const matchOf = (code: string) =>
      groups.find((g: any) => g.part.find((x: any) => x.name === 'ingredient')?.valueCoding?.code === code)?.part.find((x: any) => x.name === 'match')?.valueCode;
    expect(matchOf(rxcui('sertraline'))).toBe('identical');
    expect(matchOf(rxcui('lithium carbonate'))).toBe('unique');
    const one = await call(`${srv.base}/fhir/Patient/${id}/$reconcile`, { method: 'POST', json: { resourceType: 'Parameters', parameter: [list('only', [])] } });
    expect(one.status).toBe(400);
  });

  it('$taper builds a dated linear plan from sertraline 100 mg down to 0', async () => {
    const mr = medReq('sertraline', { id: `taper-${n}`, mg: 100 });
    await patientWith(40, [mr]);
    const r = await call(`${srv.base}/fhir/MedicationRequest/${mr.id}/$taper`, {
      method: 'POST',
      json: { resourceType: 'Parameters', parameter: [{ name: 'strategy', valueCode: 'linear' }, { name: 'stepPercent', valueDecimal: 25 }, { name: 'intervalDays', valueInteger: 14 }, { name: 'start', valueDate: '2026-12-01' }] },
    });
    expect(r.status).toBe(200);
    expect(r.body.resourceType).toBe('CarePlan');
    expect(r.body.status).toBe('draft');
    const steps = r.body.activity.map((a: any) => a.detail);
    expect(steps.length).toBeGreaterThan(1);
    expect(steps[steps.length - 1].dailyAmount.value).toBe(0);
    expect(steps[0].scheduledPeriod.start).toBe('2026-12-01');
    const amounts = steps.map((s: any) => s.dailyAmount.value);
    expect([...amounts].sort((a, b) => b - a)).toEqual(amounts);
  });

  it('$titrate builds a lamotrigine schedule that rises to the target', async () => {
    const mr = medReq('lamotrigine', { id: `titr-${n}`, mg: 25 });
    await patientWith(30, [mr]);
    const r = await call(`${srv.base}/fhir/MedicationRequest/${mr.id}/$titrate`, {
      method: 'POST',
      json: { resourceType: 'Parameters', parameter: [{ name: 'strategy', valueCode: 'guideline' }, { name: 'targetDose', valueDecimal: 200 }, { name: 'start', valueDate: '2026-12-01' }] },
    });
    expect(r.status).toBe(200);
    const amounts = r.body.activity.map((a: any) => a.detail.dailyAmount.value);
    expect(amounts[amounts.length - 1]).toBe(200);
    expect(amounts[0]).toBeLessThan(200);
  });

  it('answers an unknown strategy with 400 and an unknown operation with 404', async () => {
    const mr = medReq('sertraline', { id: `bad-${n}`, mg: 50 });
    await patientWith(40, [mr]);
    const bad = await call(`${srv.base}/fhir/MedicationRequest/${mr.id}/$taper`, { method: 'POST', json: { resourceType: 'Parameters', parameter: [{ name: 'strategy', valueCode: 'sideways' }] } });
    expect(bad.status).toBe(400);
    const unknown = await call(`${srv.base}/fhir/MedicationRequest/${mr.id}/$levitate`, { method: 'POST', json: { resourceType: 'Parameters' } });
    expect(unknown.status).toBe(404);
    expect(issueCode(unknown)).toBe('not-supported');
  });

  it('lists the clinical operations in the CapabilityStatement', async () => {
    const cs = (await call(`${srv.base}/fhir/metadata`)).body;
    const ops = (type: string) => cs.rest[0].resource.find((r: any) => r.type === type).operation.map((o: any) => o.name).sort();
    expect(ops('Patient')).toEqual(['medication-review', 'reconcile', 'validate']);
    expect(ops('MedicationRequest')).toEqual(['check', 'taper', 'titrate', 'validate']);
  });

  it('serves CDS Hooks discovery with both services and their prefetch templates', async () => {
    const r = await call(`${srv.base}/cds-services`);
    expect(r.status).toBe(200);
    expect(r.body.services.map((s: any) => s.id).sort()).toEqual(['titrate-order-select', 'titrate-order-sign']);
    expect(r.body.services[0].prefetch.medications).toContain('MedicationRequest?patient={{context.patientId}}');
  });

  it('answers order-sign with a critical card for linezolid + sertraline, reading the record when no prefetch is sent', async () => {
    const id = await patientWith(40, [medReq('sertraline', { id: `ser-${n}-cds`, mg: 100 })]);
    const draft = { ...medReq('linezolid', { id: 'cds-draft-1', mg: 1200 }), status: 'draft', subject: { reference: `Patient/${id}` } };
    const r = await call(`${srv.base}/cds-services/titrate-order-sign`, {
      method: 'POST',
      json: {
        hook: 'order-sign',
        hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea',
        context: { userId: 'Practitioner/demo-psychiatrist', patientId: id, draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] } },
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.cards.some((c: any) => c.indicator === 'critical')).toBe(true);
    expect(r.body.cards[0].source.label).toMatch(/\S/);
  });

  it('refuses a CDS request for the wrong hook or without a patient, and takes feedback', async () => {
    const wrong = await call(`${srv.base}/cds-services/titrate-order-select`, { method: 'POST', json: { hook: 'patient-view', context: { patientId: 'x' } } });
    expect(wrong.status).toBe(400);
    const noPatient = await call(`${srv.base}/cds-services/titrate-order-select`, { method: 'POST', json: { hook: 'order-select', context: {} } });
    expect(noPatient.status).toBe(400);
    const unknown = await call(`${srv.base}/cds-services/nope`, { method: 'POST', json: {} });
    expect(unknown.status).toBe(404);
    const fb = await call(`${srv.base}/cds-services/titrate-order-sign/feedback`, { method: 'POST', json: { feedback: [{ card: 'c1', outcome: 'accepted', outcomeTimestamp: '2026-11-30T00:00:00Z' }] } });
    expect(fb.status).toBe(200);
  });
});
