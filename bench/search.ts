// Engine-level search benchmark (issue 3): the four reference queries at growing data sizes, p50/p99 in ms,
// plus end-to-end ingest rates. CLI: [BENCH_INGEST=batch] npx tsx bench/search.ts [sizes=10000,100000] [postgres-url]
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import type { SearchEngine } from '../server/search/engine.ts';
import { createSearchEngine } from '../server/search/index.ts';
import type { BatchIndexHook } from '../server/search/indexer.ts';
import { CORE_MIGRATIONS, migrate } from '../server/store/migrations.ts';
import { openPostgres } from '../server/store/postgres.ts';
import { ResourceStore } from '../server/store/resource-store.ts';
import { openSqlite } from '../server/store/sqlite.ts';
import { formulary, generatePatients } from './search-data.ts';

const SEED = 42;
const PER_PATIENT = 100;
const ITERATIONS = 200;

export interface QueryTiming {
  size: number;
  query: string;
  p50: number;
  p99: number;
  matches: number;
}

export interface BenchSearchResult {
  ingest: { size: number; resourcesPerSec: number }[];
  timings: QueryTiming[];
}

const QUERIES: { type: string; query: (patient: string) => string }[] = [
  { type: 'MedicationRequest', query: (p) => `patient=${p}&status=active&_include=MedicationRequest:medication` },
  { type: 'Observation', query: (p) => `patient=${p}&code=http://loinc.org|14334-7&_sort=-date&_count=10` },
  { type: 'Observation', query: () => 'code=http://loinc.org|44261-6&value-quantity=ge15&date=ge2025-01-01' },
  { type: 'Patient', query: () => 'name=smi&birthdate=lt1960' },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

type Item = { type: string; id: string; resource: Record<string, unknown> };
type Ingest = (store: ResourceStore, batch: Item[], now: string) => Promise<void>;

/** The store's own path: insertNew, whose index hook runs per resource. */
const viaHook: Ingest = async (store, batch, now) => void (await store.insertNew(batch, now));

/** insertNew on a store without hook, then the engine's writeMany in the same transaction (one INSERT per table). */
function viaBatch(engine: SearchEngine): Ingest {
  const hook = engine.indexHook as Partial<BatchIndexHook>;
  if (!hook.writeMany) throw new Error('this engine has no writeMany');
  return (store, batch, now) =>
    store.transaction(async (s) => {
      const stored = await s.insertNew(batch, now);
      await hook.writeMany!(s.sql, stored.map((r) => ({ type: r.type, id: r.id, resource: JSON.parse(r.json!) as Record<string, unknown> })));
    });
}

/** Loads patients [from, to) in transactions of 1,000 resources. */
async function load(store: ResourceStore, ingest: Ingest, from: number, to: number): Promise<number> {
  const now = new Date().toISOString();
  let batch: { type: string; id: string; resource: Record<string, unknown> }[] = [];
  let count = 0;
  const started = performance.now();
  for (const patient of generatePatients(to - from, SEED, from)) {
    for (const r of patient) batch.push({ type: r.resourceType, id: r.id!, resource: r as unknown as Record<string, unknown> });
    if (batch.length >= 1000) {
      await ingest(store, batch, now);
      count += batch.length;
      batch = [];
    }
  }
  if (batch.length) (await ingest(store, batch, now), (count += batch.length));
  return count / ((performance.now() - started) / 1000);
}

/** Grows the store to each size in turn (in resources) and times the four queries with random patients. */
export async function benchSearch(opts: {
  store: ResourceStore;
  engine: SearchEngine;
  sizes: number[];
  /** 'hook' (default): the store indexes through its hook; 'batch': the store has no hook, writeMany indexes each batch. */
  ingest?: 'hook' | 'batch';
  log?: (s: string) => void;
}): Promise<BenchSearchResult> {
  const { store, engine } = opts;
  const ingest = opts.ingest === 'batch' ? viaBatch(engine) : viaHook;
  const log = opts.log ?? ((s: string) => console.log(s));
  const out: BenchSearchResult = { ingest: [], timings: [] };
  await ingest(store, formulary().map((r) => ({ type: r.resourceType, id: r.id!, resource: r as unknown as Record<string, unknown> })), new Date().toISOString());
  let patients = 0;
  for (const size of opts.sizes) {
    const target = Math.ceil(size / PER_PATIENT);
    if (target > patients) {
      const rate = await load(store, ingest, patients, target);
      patients = target;
      out.ingest.push({ size, resourcesPerSec: Math.round(rate) });
      // A bulk load outruns autovacuum: give the planner statistics as a running server would have them.
      if (store.dialect.name === 'postgres') await store.sql.run('ANALYZE');
      log(`loaded ${size} resources: ${Math.round(rate)} resources/s`);
    }
    for (const q of QUERIES) {
      const times: number[] = [];
      let matches = 0;
      for (let i = 0; i < ITERATIONS + 20; i++) {
        const patient = `pt${Math.floor(Math.random() * patients)}`;
        const params = [...new URLSearchParams(q.query(patient))] as [string, string][];
        const t0 = performance.now();
        const r = await engine.search(store, { type: q.type, params, strict: true });
        const ms = performance.now() - t0;
        if (i >= 20) times.push(ms);
        matches = r.matches.length + r.includes.length;
      }
      times.sort((a, b) => a - b);
      const t: QueryTiming = { size, query: `${q.type}?${q.query('X')}`, p50: +percentile(times, 50).toFixed(2), p99: +percentile(times, 99).toFixed(2), matches };
      out.timings.push(t);
      log(`${String(size).padStart(8)}  p50 ${t.p50.toFixed(2).padStart(7)} ms  p99 ${t.p99.toFixed(2).padStart(7)} ms  (${matches} returned)  ${t.query}`);
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = (process.argv[2] ?? '10000,100000').split(',').map(Number);
  const pgUrl = process.argv[3];
  const file = path.join(os.tmpdir(), `titrate-search-bench-${process.pid}.db`);
  const driver = pgUrl ? openPostgres(pgUrl) : openSqlite(file);
  // 64 MB page cache instead of SQLite's 2 MB default: index inserts at 100 k+ resources otherwise read pages back from the OS.
  if (!pgUrl && process.env.BENCH_SQLITE_CACHE !== 'default') await driver.exec('PRAGMA cache_size = -65536');
  const engine = createSearchEngine({ baseUrl: 'http://localhost:8080/fhir' });
  await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations]);
  const ingest = process.env.BENCH_INGEST === 'batch' ? 'batch' : 'hook';
  const store = ingest === 'batch' ? ResourceStore.open(driver) : ResourceStore.open(driver, engine.indexHook);
  console.log(`${os.cpus().length} × ${os.cpus()[0]?.model} · ${pgUrl ? 'PostgreSQL' : 'SQLite'} · ingest via ${ingest} · ${new Date().toISOString()}`);
  await benchSearch({ store, engine, sizes, ingest });
  await driver.close();
  if (!pgUrl) for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
}
