// What the request thread hands to the audit writer: a ready AuditEvent (sign-ins, from the authorization server)
// or the few facts of one FHIR interaction, built into an AuditEvent by the writer. Batches cross to the writer
// thread, and wait in audit_queue, as one JSON string: it costs the request thread far less than cloning finished
// AuditEvents.
import { buildAuditEvent, type AuditInput } from '../auth/audit-event.ts';
import { compartmentPatients, PATIENT_COMPARTMENT_TYPES, patientCompartmentParams } from '../auth/compartment.ts';
import { newId } from '../fhir/ids.ts';
import type { InsertPart, SqlDriver, SqlTx } from '../store/driver.ts';
import { ResourceStore, type IndexHook } from '../store/resource-store.ts';

export type AuditItem = { readonly event: fhir4.AuditEvent } | { readonly input: AuditInput };

/**
 * The wire (and audit_queue) form of an interaction's facts: a flat array, cheaper to stringify than the object with
 * its Date, led by a format number so queued rows stay readable after an upgrade. Absent fields are null. Fields
 * added later go at the end and may be missing from rows queued before them (format 1 gained `version`).
 */
type WireInput = [
  format: 1,
  kind: AuditInput['kind'] | null,
  clientId: string | null,
  user: string | null,
  subject: string | null,
  address: string | null,
  what: string | null,
  patient: string | null,
  outcome: AuditInput['outcome'],
  outcomeDesc: string | null,
  action: AuditInput['action'],
  recordedMs: number,
  requestId: string | null,
  query: string | null,
  observer: string | null,
  version?: number | null,
];
type WireItem = { event: fhir4.AuditEvent } | WireInput;

function toWire(i: AuditInput): WireInput {
  const w = i.who;
  return [1, i.kind ?? null, w.clientId ?? null, w.user ?? null, w.subject ?? null, w.address ?? null, i.what ?? null, i.patient ?? null,
    i.outcome, i.outcomeDesc ?? null, i.action, i.recorded.getTime(), i.requestId ?? null, i.query ?? null, i.observer ?? null,
    i.version ?? null];
}

function fromWire(w: WireInput): AuditInput {
  if (w[0] !== 1) throw new Error(`audit item format ${String(w[0])} is not known`);
  const opt = <T>(v: T | null) => (v === null ? undefined : v);
  const who = { clientId: opt(w[2]), user: opt(w[3]), subject: opt(w[4]), address: opt(w[5]) };
  return {
    kind: opt(w[1]),
    who,
    what: opt(w[6]),
    patient: opt(w[7]),
    outcome: w[8],
    outcomeDesc: opt(w[9]),
    action: w[10],
    recorded: new Date(w[11]),
    requestId: opt(w[12]),
    query: opt(w[13]),
    observer: opt(w[14]),
    version: opt(w[15] ?? null),
  };
}

export function encodeItems(items: readonly AuditItem[]): string {
  return JSON.stringify(items.map((item) => ('event' in item ? item : toWire(item.input))));
}

export function toEvents(items: readonly AuditItem[]): fhir4.AuditEvent[] {
  return items.map((item) => ('event' in item ? item.event : buildAuditEvent(item.input)));
}

export function decodeItems(json: string): AuditItem[] {
  return (JSON.parse(json) as WireItem[]).map((item) => (Array.isArray(item) ? { input: fromWire(item) } : item));
}

const INSTANCE = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([^/]+))?$/;

/**
 * The patient of each interaction recorded without one (system and user tokens carry no patient context): the one
 * patient whose compartment the resource is in, read from the database, or the one patient a search names in its
 * compartment parameters (`patient=X`, `subject=Patient/X`). Left absent when there are none or several. The
 * resource is read at the version the interaction touched (its ETag, or a vread's `_history/v`), so a later update
 * that moves it to another patient does not move its past reads; a deletion, or an interaction without a version,
 * is read at the last version with content. Runs in the writer thread, off the request path.
 */
export async function addPatients(driver: SqlDriver, items: readonly AuditItem[], baseUrl: string): Promise<AuditItem[]> {
  const targets = new Map<string, { type: string; id: string; version?: number; key: string }>();
  const target = (input: AuditInput) => {
    if ((input.kind ?? 'rest') !== 'rest' || input.patient !== undefined || !input.what) return undefined;
    const m = INSTANCE.exec(input.what);
    if (!m || !PATIENT_COMPARTMENT_TYPES.has(m[1])) return undefined;
    const named = m[3] !== undefined && /^[1-9]\d{0,14}$/.test(m[3]) ? Number(m[3]) : undefined;
    const version = input.version ?? named;
    return { type: m[1], id: m[2], version, key: `${m[1]}/${m[2]}${version === undefined ? '' : `/${version}`}` };
  };
  for (const item of items) {
    const t = 'input' in item ? target(item.input) : undefined;
    if (t) targets.set(t.key, t);
  }
  const owner = new Map<string, string>();
  const own = (key: string, content: string | null | undefined) => {
    const patients = content ? compartmentPatients(JSON.parse(content), baseUrl) : [];
    if (patients.length === 1) owner.set(key, patients[0]);
  };
  const addTo = (m: Map<string, Set<string>>, type: string, id: string) => void (m.get(type) ?? m.set(type, new Set()).get(type)!).add(id);
  const latest = new Map<string, Set<string>>();
  const byType = new Map<string, { id: string; version: number; key: string }[]>();
  for (const t of targets.values()) {
    if (t.version === undefined) addTo(latest, t.type, t.id);
    else (byType.get(t.type) ?? byType.set(t.type, []).get(t.type)!).push({ id: t.id, version: t.version, key: t.key });
  }
  // Versions touched: primary-key lookups in the history, 100 at a time.
  for (const [type, list] of byType) {
    for (let i = 0; i < list.length; i += 100) {
      const slice = list.slice(i, i + 100);
      const rows = await driver.query<{ id: string; version: number | string; content: string | null }>(
        `SELECT id, version, content FROM resource_history WHERE type = ? AND (${slice.map(() => '(id = ? AND version = ?)').join(' OR ')})`,
        [type, ...slice.flatMap((v) => [v.id, v.version])],
      );
      const found = new Map(rows.map((r) => [`${type}/${r.id}/${Number(r.version)}`, r.content]));
      for (const v of slice) {
        const content = found.get(v.key);
        // A deletion's version has no content: whose it was is in the version before.
        if (content) own(v.key, content);
        else addTo(latest, type, v.id);
      }
    }
  }
  // Without a version: the current resource, or its last version with content once deleted.
  const current = new Map<string, string | null>();
  for (const [type, ids] of latest) {
    const list = [...ids];
    for (let i = 0; i < list.length; i += 200) {
      const slice = list.slice(i, i + 200);
      const rows = await driver.query<{ id: string; content: string | null }>(
        `SELECT id, content FROM resources WHERE type = ? AND id IN (${slice.map(() => '?').join(', ')})`,
        [type, ...slice],
      );
      for (const r of rows) {
        const content = r.content ?? (await driver.query<{ content: string }>(
          'SELECT content FROM resource_history WHERE type = ? AND id = ? AND content IS NOT NULL ORDER BY version DESC LIMIT 1',
          [type, r.id],
        ))[0]?.content ?? null;
        current.set(`${type}/${r.id}`, content);
      }
    }
  }
  for (const t of targets.values()) if (!owner.has(t.key) && current.has(`${t.type}/${t.id}`)) own(t.key, current.get(`${t.type}/${t.id}`));
  return items.map((item) => {
    if (!('input' in item) || item.input.patient !== undefined || (item.input.kind ?? 'rest') !== 'rest') return item;
    const t = target(item.input);
    const patient = t ? owner.get(t.key) : searchedPatient(item.input, baseUrl);
    return patient === undefined ? item : { input: { ...item.input, patient } };
  });
}

function searchedPatient(input: AuditInput, baseUrl: string): string | undefined {
  if (input.query === undefined || !input.what || input.what.includes('/') || !PATIENT_COMPARTMENT_TYPES.has(input.what)) return undefined;
  // The compartment's parameters (subject, performer…), and `patient`, which names the subject when it is a Patient.
  const params = new Set([...patientCompartmentParams(input.what), 'patient']);
  const found = new Set<string>();
  for (const [name, value] of new URLSearchParams(input.query)) {
    const base = name.split(':')[0];
    if (!params.has(base) || name.includes('.')) continue;
    for (let v of value.split(',')) {
      if (v.startsWith(`${baseUrl}/`)) v = v.slice(baseUrl.length + 1);
      const m = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(v) ?? (base === 'patient' ? /^([A-Za-z0-9\-.]{1,64})$/.exec(v) : null);
      if (m) found.add(m[1]);
      else return undefined;
    }
  }
  return found.size === 1 ? [...found][0] : undefined;
}

/** Largest transaction: on SQLite the other thread's writers wait while one is open. */
export const AUDIT_CHUNK = 500;

/** Stores AuditEvents as new resources (indexed like any other), at most AUDIT_CHUNK per transaction. */
export async function storeAuditEvents(store: ResourceStore, events: readonly fhir4.AuditEvent[], at: string): Promise<void> {
  for (let i = 0; i < events.length; i += AUDIT_CHUNK) {
    const chunk = events.slice(i, i + AUDIT_CHUNK);
    await store.insertNew(chunk.map((e) => ({ type: 'AuditEvent', id: newId(), resource: e as unknown as Record<string, unknown> })), at);
  }
}

/**
 * The INSERTs that store `events` (resource, history and search-index rows), built without touching the database:
 * the store writes into a recorder instead of a transaction. New AuditEvents only ever insert, so the parts replayed
 * in one transaction store exactly what storeAuditEvents would.
 */
export async function prepareAuditInserts(like: SqlDriver, index: IndexHook, events: readonly fhir4.AuditEvent[], at: string): Promise<InsertPart[]> {
  const parts: InsertPart[] = [];
  const refuse = async (): Promise<never> => {
    throw new Error('preparing AuditEvent inserts: the store asked for more than inserts');
  };
  const recorder: SqlTx = {
    query: refuse,
    run: refuse,
    async insertMany(table, columns, rows) {
      parts.push({ table, columns, rows });
    },
  };
  const driver: SqlDriver = {
    ...recorder,
    dialect: like.dialect,
    location: like.location,
    transaction: (fn) => fn(recorder),
    exec: refuse,
    close: async () => undefined,
  };
  await storeAuditEvents(ResourceStore.open(driver, index), events, at);
  return parts;
}
