// buildAuditEvent (DICOM / FHIR audit codes) and the batching AuditSink.
import { describe, expect, it } from 'vitest';
import { buildAuditEvent } from '../../server/auth/audit-event.ts';
import { AuditSink } from '../../server/auth/audit-sink.ts';

const recorded = new Date('2026-11-30T12:00:00Z');

describe('buildAuditEvent', () => {
  it('records a FHIR read: rest type, restful-interaction subtype, action R, outcome 0, who, what, patient', () => {
    const e = buildAuditEvent({
      who: { user: 'Practitioner/dr1', subject: 'dr1', clientId: 'app', address: '10.0.0.5' },
      what: 'MedicationRequest/mr1/_history/2', patient: 'p1', outcome: 200, action: 'read', recorded, requestId: 'req-1',
    });
    expect(e).toMatchObject({
      resourceType: 'AuditEvent',
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }],
      action: 'R', outcome: '0', recorded: '2026-11-30T12:00:00.000Z',
    });
    expect(e.agent[0]).toMatchObject({ who: { reference: 'Practitioner/dr1' }, altId: 'dr1', requestor: true, network: { address: '10.0.0.5', type: '2' } });
    expect(e.agent[1]).toMatchObject({ type: { coding: [{ code: '110150' }] }, who: { identifier: { value: 'app' } }, requestor: false });
    expect(e.entity).toEqual(expect.arrayContaining([
      expect.objectContaining({ what: { reference: 'MedicationRequest/mr1/_history/2' }, role: expect.objectContaining({ code: '4' }) }),
      expect.objectContaining({ what: { reference: 'Patient/p1' }, role: expect.objectContaining({ code: '1' }) }),
    ]));
  });

  it.each([
    ['create', 'C'], ['update', 'U'], ['patch', 'U'], ['delete', 'D'], ['search', 'E'], ['operation', 'E'], ['vread', 'R'], ['history', 'R'],
  ] as const)('maps %s to action %s', (action, code) => {
    expect(buildAuditEvent({ who: { clientId: 'c' }, outcome: 201, action, recorded }).action).toBe(code);
  });

  it.each([[200, '0'], [404, '4'], [403, '4'], [500, '8'], ['major-failure', '12']] as const)('maps outcome %s to %s', (outcome, code) => {
    expect(buildAuditEvent({ who: {}, outcome, action: 'read', recorded }).outcome).toBe(code);
  });

  it('records a search with its type and the query in base64', () => {
    const e = buildAuditEvent({ who: { clientId: 'pharmacy' }, what: 'Observation', query: 'patient=p1&category=laboratory', outcome: 200, action: 'search', recorded });
    expect(e.entity?.[0]).toMatchObject({ type: { code: 'Observation' }, query: Buffer.from('patient=p1&category=laboratory').toString('base64') });
    expect(e.agent).toHaveLength(1);
    expect(e.agent[0].requestor).toBe(true);
  });

  it('records sign-ins with the DICOM User Authentication / Login codes, and security alerts', () => {
    const login = buildAuditEvent({ kind: 'login', who: { user: 'Practitioner/dr1' }, outcome: 'minor-failure', action: 'E', recorded });
    expect(login.type).toMatchObject({ system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110114' });
    expect(login.subtype?.[0]).toMatchObject({ code: '110122' });
    expect(buildAuditEvent({ kind: 'security-alert', who: { clientId: 'app' }, outcome: 'serious-failure', action: 'E', recorded }).type.code).toBe('110113');
  });

  it('names an anonymous agent when nobody is known', () => {
    expect(buildAuditEvent({ who: {}, outcome: 401, action: 'read', recorded }).agent).toEqual([{ who: { display: 'anonymous' }, requestor: true }]);
  });
});

describe('AuditSink', () => {
  const event = () => buildAuditEvent({ who: { clientId: 'c' }, outcome: 200, action: 'read', recorded });

  it('flushes a batch when maxEvents are waiting', async () => {
    const batches: number[] = [];
    const sink = new AuditSink({ write: async (events) => void batches.push(events.length), maxEvents: 3, intervalMs: 60_000 });
    for (let i = 0; i < 7; i++) sink.add(event());
    await sink.flush();
    expect(batches).toEqual([3, 3, 1]);
    expect(sink.written).toBe(7);
    await sink.close();
  });

  it('flushes on its interval', async () => {
    const batches: number[] = [];
    const sink = new AuditSink({ write: async (events) => void batches.push(events.length), maxEvents: 100, intervalMs: 20 });
    sink.add(event());
    sink.add(event());
    await new Promise((r) => setTimeout(r, 80));
    expect(batches).toEqual([2]);
    await sink.close();
  });

  it('keeps events when a write fails and retries them on the next flush', async () => {
    let fail = true;
    const written: fhir4.AuditEvent[] = [];
    const sink = new AuditSink({ write: async (events) => { if (fail) throw new Error('db down'); written.push(...events); }, maxEvents: 10, intervalMs: 60_000 });
    sink.add(event());
    await sink.flush();
    expect(sink.pending).toBe(1);
    fail = false;
    await sink.flush();
    expect(written).toHaveLength(1);
    await sink.close();
  });

  it('bounds the buffer and counts what it drops', async () => {
    const sink = new AuditSink({ write: async () => { throw new Error('down'); }, maxEvents: 1000, maxBuffer: 5, intervalMs: 60_000 });
    for (let i = 0; i < 8; i++) sink.add(event());
    expect(sink.pending).toBe(5);
    expect(sink.dropped).toBe(3);
  });

  it('writes what is left on close and refuses events afterwards', async () => {
    const written: number[] = [];
    const sink = new AuditSink({ write: async (events) => void written.push(events.length), maxEvents: 100, intervalMs: 60_000 });
    sink.add(event());
    await sink.close();
    expect(written).toEqual([1]);
    expect(() => sink.add(event())).toThrow();
  });
});
