// Search reader threads (server/search/pool.ts): on a SQLite file, searches run on a reader thread with its own
// connection. Answers must be the ones the request thread gives, errors included; a search sent after a write's
// answer sees the write; searches inside a transaction see its own writes; a reader that fails hands its searches
// back. Two servers over one file: SEARCH_READERS=1 and SEARCH_READERS=0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../server/store/sqlite.ts';
import { ConfigError, readConfig } from '../../server/config.ts';
import { createSearch } from '../../server/search/select.ts';
import { poolSearches } from '../../server/search/pool.ts';
import { ResourceStore } from '../../server/store/resource-store.ts';
import { migrate, CORE_MIGRATIONS } from '../../server/store/migrations.ts';
import { startTestServer, type TestServer } from '../builders/server.ts';
import type { TestDatabase } from '../builders/databases.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-pool-'));
const file = path.join(dir, 'pool.sqlite');
const sameFile: TestDatabase = {
  name: 'sqlite',
  async open() {
    const driver = openSqlite(file);
    return { driver, dispose: () => driver.close() };
  },
};

let pooled: TestServer;
let inline: TestServer;
beforeAll(async () => {
  pooled = await startTestServer(sameFile, { env: { SEARCH_READERS: '1' } });
  inline = await startTestServer(sameFile, { env: { SEARCH_READERS: '0' } });
  const entry = [];
  for (let i = 0; i < 30; i++) {
    const pid = `pool-p${i}`;
    entry.push({ resource: { resourceType: 'Patient', id: pid, name: [{ family: i % 3 ? 'Smith' : 'Jones', given: [`G${i}`] }], birthDate: `19${50 + i}-01-01` }, request: { method: 'PUT', url: `Patient/${pid}` } });
    entry.push({ resource: { resourceType: 'Medication', id: `pool-m${i % 4}`, code: { text: `drug ${i % 4}` } }, request: { method: 'PUT', url: `Medication/pool-m${i % 4}` } });
    for (let k = 0; k < 3; k++) {
      entry.push({
        resource: {
          resourceType: 'MedicationRequest', id: `pool-mr${i}-${k}`, status: k === 2 ? 'stopped' : 'active', intent: 'order',
          subject: { reference: `Patient/${pid}` }, medicationReference: { reference: `Medication/pool-m${(i + k) % 4}` }, authoredOn: `2026-0${1 + k}-1${k}`,
        },
        request: { method: 'PUT', url: `MedicationRequest/pool-mr${i}-${k}` },
      });
    }
  }
  const res = await fetch(inline.fhir, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }) });
  expect(res.status).toBe(200);
  // Until its reader is ready a server searches on the request thread: wait, so the comparisons below compare.
  for (let i = 0; i < 200 && (await gauge(pooled, 'titrate_search_readers_ready')) < 1; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await gauge(pooled, 'titrate_search_readers_ready')).toBe(1);
  expect(await gauge(inline, 'titrate_search_readers_ready')).toBe(0);
}, 60_000);

async function gauge(srv: TestServer, name: string): Promise<number> {
  const text = await (await fetch(`${srv.base}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`no ${name} in /metrics`);
  return Number(m[1]);
}
afterAll(async () => {
  await pooled?.close();
  await inline?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What a searchset says, without what differs per server (its base URL, the Bundle's id and timestamp). */
async function answer(srv: TestServer, query: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${srv.fhir}/${query}`, { headers });
  const text = (await res.text()).replaceAll(srv.base, 'BASE');
  const body = JSON.parse(text) as Record<string, unknown>;
  delete body.id;
  delete body.meta;
  return { status: res.status, body };
}

describe('searches on a reader thread', () => {
  it.each([
    'MedicationRequest?patient=pool-p7&status=active&_include=MedicationRequest:medication',
    'MedicationRequest?status=active&_sort=-authoredon,_id&_count=7',
    'Patient?name=smi&birthdate=lt1965&_count=5',
    'Patient?_has:MedicationRequest:subject:status=stopped&_summary=count',
    'Medication?_revinclude=MedicationRequest:medication&_count=2',
    'Patient/pool-p3/MedicationRequest?_sort=authoredon',
    'MedicationRequest?subject:Patient.name=jones&_total=accurate&_elements=status',
  ])('answers %s as the request thread does', async (query) => {
    const onReaders = await gauge(pooled, 'titrate_search_reader_searches');
    const [a, b] = [await answer(pooled, query), await answer(inline, query)];
    expect(await gauge(pooled, 'titrate_search_reader_searches')).toBe(onReaders + 1);
    expect(await gauge(inline, 'titrate_search_reader_searches')).toBe(0);
    expect(a.status).toBe(200);
    expect(a).toEqual(b);
  });

  it('follows next links to the same pages', async () => {
    let [a, b] = [await answer(pooled, 'MedicationRequest?status=active&_count=11'), await answer(inline, 'MedicationRequest?status=active&_count=11')];
    let pages = 1;
    for (;;) {
      expect(a).toEqual(b);
      const next = (a.body.link as { relation: string; url: string }[]).find((l) => l.relation === 'next');
      if (!next) break;
      const rel = next.url.replace('BASE/fhir/', '');
      [a, b] = [await answer(pooled, rel), await answer(inline, rel)];
      pages++;
    }
    expect(pages).toBe(6);
  });

  it('refuses bad input with the same OperationOutcome', async () => {
    for (const query of ['Patient?birthdate=not-a-date', 'MedicationRequest?_sort=nonsense', `Patient?name=${'x'.repeat(10_000)}`, 'Patient?subject.name=x']) {
      const strict = { prefer: 'handling=strict' };
      const [a, b] = [await answer(pooled, query, strict), await answer(inline, query, strict)];
      expect(a.status).toBe(400);
      expect(a.body.resourceType).toBe('OperationOutcome');
      expect(a).toEqual(b);
    }
  });

  it('finds a resource in a search sent after its create was answered', async () => {
    for (let i = 0; i < 20; i++) {
      const created = await fetch(`${pooled.fhir}/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:pool', value: `ryw-${i}` }] }) });
      expect(created.status).toBe(201);
      const found = (await answer(pooled, `Patient?identifier=urn:pool|ryw-${i}`)).body as { entry?: unknown[] };
      expect(found.entry ?? []).toHaveLength(1);
    }
  });

  it('searches inside a transaction see its own writes (they stay on the request thread)', async () => {
    const res = await fetch(pooled.fhir, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Bundle', type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient', identifier: [{ system: 'urn:pool', value: 'in-tx' }] }, request: { method: 'POST', url: 'Patient' } },
          { request: { method: 'GET', url: 'Patient?identifier=urn:pool|in-tx' } },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as { entry: { resource?: { entry?: unknown[] } }[] };
    expect(bundle.entry[1].resource?.entry ?? []).toHaveLength(1);
  });
});

describe('a reader thread that fails', () => {
  it('leaves searches on the request thread: until a reader is ready, and for good once it failed', async () => {
    const driver = openSqlite(':memory:');
    const engine = await createSearch({ baseUrl: 'http://t/fhir' });
    await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations]);
    const root = ResourceStore.open(driver, engine.indexHook);
    await root.insertNew([{ type: 'Patient', id: 'f1', resource: { resourceType: 'Patient', name: [{ family: 'Fallback' }] } }], new Date().toISOString());
    // A database path under a regular file: the reader's thread fails while opening it.
    const pool = poolSearches(engine, { root, location: { kind: 'sqlite', file: '/etc/hostname/reader.sqlite' }, baseUrl: 'http://t/fhir', size: 1, log: pino({ level: 'silent' }) });
    expect(pool.readers).toBe(1);
    const found = await pool.search(root, { type: 'Patient', params: [['name', 'fallback']], strict: true });
    expect(found.matches.map((m) => m.id)).toEqual(['f1']);
    for (let i = 0; i < 100 && pool.readers > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(pool.readers).toBe(0);
    expect((await pool.search(root, { type: 'Patient', params: [['name', 'fallback']], strict: true })).matches).toHaveLength(1);
    await pool.close();
    await driver.close();
  }, 20_000);
});

describe('a reader thread that fails mid-search', () => {
  it('hands the searches it had not answered back to the request thread, which answers them', async () => {
    const fileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-pool-dying-'));
    const driver = openSqlite(path.join(fileDir, 'store.sqlite'));
    const engine = await createSearch({ baseUrl: 'http://t/fhir' });
    await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations]);
    const root = ResourceStore.open(driver, engine.indexHook);
    const now = new Date().toISOString();
    await root.insertNew(
      [1, 2, 3].map((i) => ({ type: 'Patient', id: `d${i}`, resource: { resourceType: 'Patient', name: [{ family: i === 2 ? 'Other' : 'Dying' }] } })),
      now,
    );
    const logged: { event?: string; err?: string }[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line) as { event?: string; err?: string }) });
    const pool = poolSearches(engine, {
      root, location: { kind: 'sqlite', file: path.join(fileDir, 'store.sqlite') }, baseUrl: 'http://t/fhir', size: 1, log,
      entry: path.join(import.meta.dirname, 'fixtures', 'dying-reader.ts'),
    });
    for (let i = 0; i < 200 && pool.readyReaders < 1; i++) await new Promise((r) => setTimeout(r, 25));
    expect(pool.readyReaders).toBe(1);
    // Three searches sent to the reader before it fails on the first: all three come back, answered here.
    const sent = [['name', 'dying'], ['name', 'other'], ['_id', 'd3']].map(([k, v]) => pool.search(root, { type: 'Patient', params: [[k, v]], strict: true }));
    const answers = await Promise.all(sent);
    expect(answers.map((a) => a.matches.map((m) => m.id))).toEqual([['d1', 'd3'], ['d2'], ['d3']]);
    expect(pool.readers).toBe(0);
    expect(pool.searchedOnReaders).toBe(0);
    expect(logged.filter((l) => l.event === 'search.reader-failed')).toHaveLength(1);
    // Later searches run here for good.
    expect((await pool.search(root, { type: 'Patient', params: [['name', 'dying']], strict: true })).matches).toHaveLength(2);
    await pool.close();
    await driver.close();
    fs.rmSync(fileDir, { recursive: true, force: true });
  }, 20_000);
});

describe('planner statistics on a reader', () => {
  it('are reloaded once the writing connection refreshes them, so a reader does not plan with the ones it opened with', async () => {
    const fileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-pool-stats-'));
    const dbFile = path.join(fileDir, 'store.sqlite');
    const driver = openSqlite(dbFile);
    const engine = await createSearch({ baseUrl: 'http://t/fhir' });
    await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations]);
    const root = ResourceStore.open(driver, engine.indexHook);
    const pool = poolSearches(engine, { root, location: { kind: 'sqlite', file: dbFile }, baseUrl: 'http://t/fhir', size: 1, log: pino({ level: 'silent' }) });
    for (let i = 0; i < 200 && pool.readyReaders < 1; i++) await new Promise((r) => setTimeout(r, 25));
    expect(pool.readyReaders).toBe(1);
    const stat = async () => (await driver.query<{ stat: string }>("SELECT stat FROM sqlite_stat1 WHERE idx = 'sqlite_autoindex_resources_1'"))[0]?.stat;
    const now = new Date().toISOString();
    const patients = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ type: 'Patient', id: `s${from + i}`, resource: { resourceType: 'Patient', name: [{ family: `F${(from + i) % 7}` }] } }));
    // Statistics the reader opened with, then new ones (what store/sqlite.ts does when the resources double).
    await root.insertNew(patients(0, 50), now);
    await driver.exec('ANALYZE');
    for (let i = 0; i < 100 && pool.statisticsReloads < 1; i++) await new Promise((r) => setTimeout(r, 50));
    const first = pool.statisticsReloads;
    await root.insertNew(patients(50, 950), now);
    await driver.exec('ANALYZE');
    expect(await stat()).toMatch(/^1000 /);
    for (let i = 0; i < 100 && pool.statisticsReloads <= first; i++) await new Promise((r) => setTimeout(r, 50));
    expect(pool.statisticsReloads).toBe(first + 1);
    // Nothing changed since: no further reload, and searches still answer from the reader.
    await new Promise((r) => setTimeout(r, 2500));
    expect(pool.statisticsReloads).toBe(first + 1);
    const found = await pool.search(root, { type: 'Patient', params: [['family', 'F3'], ['_total', 'accurate'], ['_count', '5']], strict: true });
    expect(found.total).toBe(143);
    expect(pool.searchedOnReaders).toBe(1);
    await pool.close();
    await driver.close();
    fs.rmSync(fileDir, { recursive: true, force: true });
  }, 30_000);
});

describe('SEARCH_READERS', () => {
  it('defaults to one fewer than the cores (at most 2) and refuses what is not 0–16', () => {
    expect(readConfig({}).searchReaders).toBe(Math.min(2, Math.max(0, os.availableParallelism() - 1)));
    expect(readConfig({ SEARCH_READERS: '0' }).searchReaders).toBe(0);
    expect(readConfig({ SEARCH_READERS: '' }).searchReaders).toBe(readConfig({}).searchReaders);
    for (const bad of ['-1', '17', '1.5', 'many']) expect(() => readConfig({ SEARCH_READERS: bad })).toThrow(ConfigError);
  });
});
