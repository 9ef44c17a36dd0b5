// What the request thread hands to the audit writer: a ready AuditEvent (sign-ins, from the authorization server)
// or the few facts of one FHIR interaction, built into an AuditEvent by the writer. Batches cross to the writer
// thread as one JSON string, which costs the request thread far less than cloning finished AuditEvents.
import { buildAuditEvent, type AuditInput } from '../auth/audit-event.ts';
import { newId } from '../fhir/ids.ts';
import type { InsertPart, SqlDriver, SqlTx } from '../store/driver.ts';
import { ResourceStore, type IndexHook } from '../store/resource-store.ts';

export type AuditItem = { readonly event: fhir4.AuditEvent } | { readonly input: AuditInput };

type WireInput = Omit<AuditInput, 'recorded'> & { recorded: string };
type WireItem = { event: fhir4.AuditEvent } | { input: WireInput };

export function encodeItems(items: readonly AuditItem[]): string {
  return JSON.stringify(items);
}

export function toEvents(items: readonly AuditItem[]): fhir4.AuditEvent[] {
  return items.map((item) => ('event' in item ? item.event : buildAuditEvent(item.input)));
}

export function decodeEvents(json: string): fhir4.AuditEvent[] {
  const revive = (item: WireItem): AuditItem => ('event' in item ? item : { input: { ...item.input, recorded: new Date(item.input.recorded) } });
  return toEvents((JSON.parse(json) as WireItem[]).map(revive));
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
