// The audit writer thread: AuditEvent batches queued durably, then stored and indexed by a worker with its own
// connection to the same database (a SQLite file, or PostgreSQL when TEST_DATABASE_URL is set), read back through the
// request thread. Materialising waits while the request thread is busy, up to the lag bound.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { buildAuditEvent } from '../../server/auth/audit-event.ts';
import { createAuditWriter, eventLoopBusy } from '../../server/audit/writer.ts';
import { decodeItems, encodeItems, prepareAuditInserts, storeAuditEvents, toEvents, type AuditItem } from '../../server/audit/items.ts';
import { enqueue, materializeNext, queuedItems } from '../../server/audit/queue.ts';
import { INDEX_TABLES } from '../../server/search/schema.ts';
import { openSqlite } from '../../server/store/sqlite.ts';
import { migrate, CORE_MIGRATIONS } from '../../server/store/migrations.ts';
import { ResourceStore } from '../../server/store/resource-store.ts';
import { createSearch } from '../../server/search/select.ts';
import type { SqlDriver } from '../../server/store/driver.ts';
import { openAt } from '../../server/store/open.ts';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error('condition not met in time');
    await sleep(50);
  }
}
const refuseInline = async () => {
  throw new Error('the request thread must not write AuditEvents here');
};

async function prepared(open: () => Promise<Opened>) {
  const db = await open();
  const search = await createSearch({ baseUrl: 'http://titrate.test/fhir' });
  await migrate(db.driver, [...CORE_MIGRATIONS, ...search.migrations]);
  return { db, search, store: ResourceStore.open(db.driver, search.indexHook) };
}

async function countAudit(search: Awaited<ReturnType<typeof createSearch>>, store: ResourceStore): Promise<number> {
  const found = await search.search(store, { type: 'AuditEvent', params: [['_summary', 'count']], strict: true });
  return found.total ?? -1;
}

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
    await writer.write([event('pa', 0), event('pb', 1)]);
    await writer.write(Array.from({ length: 120 }, (_, i) => event('pa', i + 2)));
    await writer.close();
    expect(inlineCalls).toBe(0);

    const found = await search.search(store, { type: 'AuditEvent', params: [['patient', 'Patient/pa'], ['_summary', 'count']], strict: true });
    expect(found.total).toBe(121);
    const other = await search.search(store, { type: 'AuditEvent', params: [['entity', 'Patient/pb'], ['subtype', 'read']], strict: true });
    expect(other.matches).toHaveLength(1);
    expect(await queuedItems(db.driver)).toBe(0);
    await db.dispose();
  }, 30_000);

  it('queues batches while the request thread is busy and stores them on drain, each once', async () => {
    const { db, search, store } = await prepared(open);
    let busy = true;
    const writer = createAuditWriter({ location: db.driver.location, baseUrl: 'http://titrate.test/fhir', inline: refuseInline, log, isBusy: () => busy, maxLagMs: 60_000 });
    for (let b = 0; b < 4; b++) await writer.write(Array.from({ length: 50 }, (_, i) => event('pa', b * 50 + i)));
    // Durable but not yet AuditEvents: the writer defers while busy.
    await sleep(600);
    expect(await queuedItems(db.driver)).toBe(200);
    expect(writer.queued).toBe(200);
    expect(await countAudit(search, store)).toBe(0);
    await writer.drain();
    expect(await countAudit(search, store)).toBe(200);
    expect(writer.queued).toBe(0);
    // Once idle, new batches are stored without a drain.
    busy = false;
    await sleep(400);
    await writer.write([event('pa', 500)]);
    await until(async () => (await countAudit(search, store)) === 201);
    await writer.close();
    expect(await queuedItems(db.driver)).toBe(0);
    await db.dispose();
  }, 30_000);

  it('stores queued batches once they are older than the lag bound, even while busy', async () => {
    const { db, search, store } = await prepared(open);
    const writer = createAuditWriter({ location: db.driver.location, baseUrl: 'http://titrate.test/fhir', inline: refuseInline, log, isBusy: () => true, maxLagMs: 300 });
    await writer.write(Array.from({ length: 30 }, (_, i) => event('pa', i)));
    expect(await countAudit(search, store)).toBe(0);
    await until(async () => (await countAudit(search, store)) === 30);
    await writer.close();
    await db.dispose();
  }, 30_000);

  it('leaves what it cannot store by the close deadline queued; the next writer stores it', async () => {
    const { db, search, store } = await prepared(open);
    const first = createAuditWriter({ location: db.driver.location, baseUrl: 'http://titrate.test/fhir', inline: refuseInline, log, isBusy: () => true, maxLagMs: 60_000 });
    await first.write(Array.from({ length: 40 }, (_, i) => event('pa', i)));
    await first.close(0);
    expect(await queuedItems(db.driver)).toBe(40);
    expect(await countAudit(search, store)).toBe(0);
    const second = createAuditWriter({ location: db.driver.location, baseUrl: 'http://titrate.test/fhir', inline: refuseInline, log, isBusy: () => false });
    second.resume();
    await until(async () => (await countAudit(search, store)) === 40);
    expect(await queuedItems(db.driver)).toBe(0);
    await second.close();
    await db.dispose();
  }, 30_000);

  it('two materialisers on one queue store every batch exactly once', async () => {
    const { db, search, store } = await prepared(open);
    const other = openAt(db.driver.location, { poolSize: 2 });
    for (let b = 0; b < 30; b++) await enqueue(db.driver, encodeItems(Array.from({ length: 20 }, (_, i) => event('pa', b * 20 + i))), 20, Date.now());
    const at = new Date().toISOString();
    const run = async (driver: SqlDriver) => {
      let stored = 0;
      while ((await queuedItems(driver)) > 0) stored += (await materializeNext(driver, search.indexHook, at, 'http://titrate.test/fhir')).stored;
      return stored;
    };
    const [a, b] = await Promise.all([run(db.driver), run(other)]);
    expect(a + b).toBe(600);
    expect(await countAudit(search, store)).toBe(600);
    await other.close();
    await db.dispose();
  }, 60_000);

  it('sets a batch that cannot be built aside in audit_failed and stores the batches around it', async () => {
    const { db, search, store } = await prepared(open);
    const good = (from: number) => encodeItems(Array.from({ length: 5 }, (_, i) => event('pa', from + i)));
    await enqueue(db.driver, good(0), 5, Date.now());
    await enqueue(db.driver, JSON.stringify([[9, 'from a future version']]), 1, Date.now());
    await enqueue(db.driver, good(5), 5, Date.now());
    const done = await materializeNext(db.driver, search.indexHook, new Date().toISOString(), 'http://titrate.test/fhir');
    expect(done).toEqual({ stored: 10, setAside: 1 });
    expect(await countAudit(search, store)).toBe(10);
    expect(await queuedItems(db.driver)).toBe(0);
    const failed = await db.driver.query<{ n: number; items: string; error: string }>('SELECT n, items, error FROM audit_failed');
    expect(failed).toEqual([{ n: 1, items: JSON.stringify([[9, 'from a future version']]), error: 'audit item format 9 is not known' }]);
    await db.dispose();
  }, 30_000);
});

describe('audit items on the wire and in audit_queue', () => {
  it('decode to exactly the AuditEvents the items build', () => {
    const recorded = new Date('2026-12-01T10:11:12.345Z');
    const items: AuditItem[] = [
      { input: { who: { clientId: 'c', user: 'Practitioner/dr1', subject: 'sub-1', address: '10.0.0.1' }, what: 'Observation?code=x', patient: 'p1', outcome: 403, outcomeDesc: 'denied', action: 'search', recorded, requestId: 'r-1', query: 'code=x', observer: 'Titrate test' } },
      { input: { who: {}, outcome: 'serious-failure', action: 'E', recorded, kind: 'security-alert', outcomeDesc: 'code replayed; grant revoked' } },
      { input: { who: { user: 'Patient/p2', subject: 's2' }, outcome: 'success', action: 'E', recorded, kind: 'login' } },
      { input: { who: { clientId: 'pharmacy' }, what: 'MedicationRequest/m1/_history/2', outcome: 200, action: 'vread', recorded } },
      event('pa', 1),
    ];
    expect(toEvents(decodeItems(encodeItems(items)))).toEqual(toEvents(items));
  });

  it('carry the version an interaction touched; rows queued before that field existed decode without it', () => {
    const item: AuditItem = { input: { who: { clientId: 'c' }, what: 'MedicationRequest/m1', version: 3, outcome: 200, action: 'read', recorded: new Date('2026-12-01T10:11:12.345Z') } };
    const [back] = decodeItems(encodeItems([item]));
    expect('input' in back && back.input.version).toBe(3);
    const wire = (JSON.parse(encodeItems([item])) as unknown[][])[0];
    expect(wire).toHaveLength(16);
    const [older] = decodeItems(JSON.stringify([wire.slice(0, 15)]));
    expect('input' in older && older.input.version).toBeUndefined();
    expect(toEvents([older])).toEqual(toEvents([item]));
  });

  it('refuses an item format it does not know rather than guessing', () => {
    expect(() => decodeItems(JSON.stringify([[2, null]]))).toThrow('audit item format 2');
  });
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
    await writer.write([event('p', 0)]);
    await writer.close();
    expect(written).toEqual([1]);
  });

  it('falls back to the request thread when the worker thread dies', async () => {
    const written: number[] = [];
    // A database path under a regular file: the worker's thread fails while starting.
    const writer = createAuditWriter({ location: { kind: 'sqlite', file: '/etc/hostname/audit.sqlite' }, baseUrl: 'http://t/fhir', inline: async (e) => void written.push(e.length), log });
    await expect(writer.write([event('p', 0)])).rejects.toThrow('audit writer thread');
    // The AuditSink keeps a failed batch for retry; from now on batches go to the request thread.
    expect(writer.threaded).toBe(false);
    await writer.write([event('p', 1)]);
    expect(written).toEqual([1]);
    await writer.close();
  }, 20_000);
});

describe('the request thread\'s load signal', () => {
  it('is busy after a stretch of blocked event loop and idle after a stretch of waiting', async () => {
    const busy = eventLoopBusy(0.5);
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // Blocks the event loop, as a thread saturated with requests does.
    }
    expect(busy()).toBe(true);
    await sleep(300);
    expect(busy()).toBe(false);
  });
});
