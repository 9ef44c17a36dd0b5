// The audit writer thread: AuditEvent batches stored and indexed by a worker with its own connection to the same
// database (a SQLite file, or PostgreSQL when TEST_DATABASE_URL is set), read back through the request thread.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { buildAuditEvent } from '../../server/auth/audit-event.ts';
import { createAuditWriter } from '../../server/audit/writer.ts';
import { prepareAuditInserts, storeAuditEvents, toEvents, type AuditItem } from '../../server/audit/items.ts';
import { INDEX_TABLES } from '../../server/search/schema.ts';
import { openSqlite } from '../../server/store/sqlite.ts';
import { migrate, CORE_MIGRATIONS } from '../../server/store/migrations.ts';
import { ResourceStore } from '../../server/store/resource-store.ts';
import { createSearch } from '../../server/search/select.ts';
import type { SqlDriver } from '../../server/store/driver.ts';
import { TEST_DATABASES } from '../builders/databases.ts';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

interface Opened {
  name: string;
  driver: SqlDriver;
  dispose(): Promise<void>;
}

async function fileSqlite(): Promise<Opened> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-audit-'));
  dirs.push(dir);
  const driver = openSqlite(path.join(dir, 'audit.sqlite'));
  return { name: 'sqlite file', driver, dispose: () => driver.close() };
}

const databases: (() => Promise<Opened>)[] = [
  fileSqlite,
  ...TEST_DATABASES.filter((d) => d.name === 'postgres').map((d) => async () => ({ name: 'postgres', ...(await d.open()) })),
];

// Interaction facts (built into AuditEvents by the writer) and, for sign-ins, ready events: both kinds of item.
const event = (patient: string, i: number): AuditItem => {
  const input = { who: { clientId: 'audit-test' }, what: `Patient/${patient}`, patient, outcome: 200, action: 'read', recorded: new Date(), requestId: `r${i}` } as const;
  return i % 2 === 0 ? { input } : { event: buildAuditEvent(input) };
};

describe.each(databases.map((open) => ({ open })))('audit writer thread', ({ open }) => {
  it('stores and indexes every batch from its own thread; the request thread finds them by search', async () => {
    const db = await open();
    const search = await createSearch({ baseUrl: 'http://titrate.test/fhir' });
    await migrate(db.driver, [...CORE_MIGRATIONS, ...search.migrations]);
    const store = ResourceStore.open(db.driver, search.indexHook);
    let inlineCalls = 0;
    const writer = createAuditWriter({
      location: db.driver.location,
      baseUrl: 'http://titrate.test/fhir',
      inline: async () => void inlineCalls++,
      log,
    });
    expect(writer.threaded).toBe(true);
    // Two batches, the second larger than the worker's transaction chunk.
    await writer.write([event('pa', 0), event('pb', 1)], new Date().toISOString());
    await writer.write(Array.from({ length: 120 }, (_, i) => event('pa', i + 2)), new Date().toISOString());
    await writer.close();
    expect(inlineCalls).toBe(0);

    const found = await search.search(store, { type: 'AuditEvent', params: [['patient', 'Patient/pa'], ['_summary', 'count']], strict: true });
    expect(found.total).toBe(121);
    const other = await search.search(store, { type: 'AuditEvent', params: [['entity', 'Patient/pb'], ['subtype', 'read']], strict: true });
    expect(other.matches).toHaveLength(1);
    await db.dispose();
  }, 30_000);
});

describe('AuditEvent inserts prepared outside the transaction (the writer thread locks the file for the inserts only)', () => {
  it('store exactly the rows storeAuditEvents stores', async () => {
    const search = await createSearch({ baseUrl: 'http://titrate.test/fhir' });
    const events = toEvents(Array.from({ length: 40 }, (_, i) => event(i % 3 ? 'pa' : 'pb', i)));
    const at = '2026-12-01T10:00:00.000Z';
    const tables = ['resources', 'resource_history', ...Object.keys(INDEX_TABLES)];
    const dump = async (driver: SqlDriver) => {
      const out: Record<string, unknown[]> = {};
      // Ids are drawn at random per store: compare the rows without them.
      for (const t of tables) {
        const rows = await driver.query<Record<string, unknown>>(`SELECT * FROM ${t}`);
        out[t] = rows.map(({ id: _i, res_id: _r, content, ...rest }) => ({ ...rest, ...(content !== undefined && { content: String(content).replace(/"id":"[^"]+"/, '') }) })).map((r) => JSON.stringify(r)).sort();
      }
      return out;
    };
    const direct = openSqlite(':memory:');
    await migrate(direct, [...CORE_MIGRATIONS, ...search.migrations]);
    await storeAuditEvents(ResourceStore.open(direct, search.indexHook), events, at);
    const replayed = openSqlite(':memory:');
    await migrate(replayed, [...CORE_MIGRATIONS, ...search.migrations]);
    const parts = await prepareAuditInserts(replayed, search.indexHook, events, at);
    expect(await replayed.query("SELECT count(*) AS n FROM resources")).toEqual([{ n: 0 }]);
    await replayed.transaction(async (tx) => {
      for (const p of parts) await tx.insertMany(p.table, p.columns, p.rows);
    });
    const [a, b] = [await dump(direct), await dump(replayed)];
    expect(a.resources).toHaveLength(40);
    expect(a.sp_token.length).toBeGreaterThan(200);
    expect(b).toEqual(a);
    await direct.close();
    await replayed.close();
  });
});

describe('audit writer on an in-memory database', () => {
  it('writes on the request thread: no other thread can open the database', async () => {
    const written: number[] = [];
    const writer = createAuditWriter({ location: { kind: 'sqlite', file: ':memory:' }, baseUrl: 'http://t/fhir', inline: async (e) => void written.push(e.length), log });
    expect(writer.threaded).toBe(false);
    await writer.write([event('p', 0)], new Date().toISOString());
    await writer.close();
    expect(written).toEqual([1]);
  });

  it('falls back to the request thread when the worker thread dies', async () => {
    const written: number[] = [];
    // A database path under a regular file: the worker's thread fails while starting.
    const writer = createAuditWriter({ location: { kind: 'sqlite', file: '/etc/hostname/audit.sqlite' }, baseUrl: 'http://t/fhir', inline: async (e) => void written.push(e.length), log });
    await expect(writer.write([event('p', 0)], new Date().toISOString())).rejects.toThrow('audit writer thread');
    // The AuditSink keeps a failed batch for retry; from now on batches go to the request thread.
    expect(writer.threaded).toBe(false);
    await writer.write([event('p', 1)], new Date().toISOString());
    expect(written).toEqual([1]);
    await writer.close();
  }, 20_000);
});
