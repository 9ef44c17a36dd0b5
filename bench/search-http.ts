// Search over HTTP at a generated data-set size: ~100-resource psychiatric patients written into the SQLite file,
// then the four issue-3 queries loaded with autocannon against a Titrate process (random patient per request).
// Alone: BENCH_SEARCH_SIZES=10000,1000000 [BENCH_SEARCH_DIR=/var/tmp/titrate-search] npx tsx bench/search-http.ts
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { auditDrained, startProcess } from './processes.ts';
import { backendClient, fetchToken } from './scenarios.ts';
import { formulary, generatePatients } from './search-data.ts';
import { openSqlite } from '../server/store/sqlite.ts';
import { migrate, CORE_MIGRATIONS } from '../server/store/migrations.ts';
import { ResourceStore } from '../server/store/resource-store.ts';
import { createSearchEngine } from '../server/search/index.ts';

export interface SearchRow {
  query: string;
  size: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  /** Bare Express req/s measured just before this query, on the same machine in the same minute. */
  bare: number;
  ingestPerSec?: number;
}

const QUERIES: { name: string; path: (patient: string) => string }[] = [
  { name: 'MedicationRequest?patient&status&_include', path: (p) => `/fhir/MedicationRequest?patient=${p}&status=active&_include=MedicationRequest:medication` },
  { name: 'Observation?patient&code=14334-7&_sort=-date&_count=10', path: (p) => `/fhir/Observation?patient=${p}&code=${encodeURIComponent('http://loinc.org|14334-7')}&_sort=-date&_count=10` },
  { name: 'Observation?code=44261-6&value-quantity=ge15&date=ge2025-01-01', path: () => `/fhir/Observation?code=${encodeURIComponent('http://loinc.org|44261-6')}&value-quantity=ge15&date=ge2025-01-01` },
  { name: 'Patient?name=smi&birthdate=lt1960', path: () => '/fhir/Patient?name=smi&birthdate=lt1960' },
];

/**
 * Grows the SQLite file at `file` to about `size` resources (patients it already holds are kept: the data are
 * deterministic per patient) by writing straight through the store and the search index (what a transaction does
 * after validation), so a 1 M data set loads in minutes; returns resources/s, or undefined when nothing was written.
 */
export async function growStore(file: string, size: number, progress: (msg: string) => void): Promise<{ patients: number; perSec?: number }> {
  const driver = openSqlite(file);
  const engine = createSearchEngine({ baseUrl: 'http://localhost/fhir' });
  await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations]);
  const store = ResourceStore.open(driver, engine.indexHook);
  const now = new Date().toISOString();
  const items = (rs: fhir4.FhirResource[]) => rs.map((r) => ({ type: r.resourceType, id: r.id!, resource: r as unknown as Record<string, unknown> }));
  const [{ n: have }] = await driver.query<{ n: number }>("SELECT count(*) AS n FROM resources WHERE type = 'Patient'");
  if (have === 0) await store.insertNew(items(formulary()), now);
  const patients = Math.max(1, Math.round(size / 100));
  let batch: fhir4.FhirResource[] = [];
  let written = 0;
  const started = performance.now();
  for (const record of generatePatients(Math.max(0, patients - have), 7, have)) {
    batch.push(...(record as fhir4.FhirResource[]));
    if (batch.length >= 2000) {
      await store.insertNew(items(batch), now);
      written += batch.length;
      batch = [];
      if (written % 100_000 < 2000) progress(`  loaded ${have * 100 + written} resources`);
    }
  }
  if (batch.length) await store.insertNew(items(batch), now);
  written += batch.length;
  // Statistics for every index, including ones a migration just added to a kept file.
  await driver.exec('ANALYZE');
  await driver.close();
  return { patients: Math.max(patients, have), perSec: written ? Math.round(written / ((performance.now() - started) / 1000)) : undefined };
}

/** Reads a file start to end (into the OS page cache), 8 MB at a time. */
async function warm(file: string): Promise<void> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    while ((await fh.read(buf, 0, buf.length, null)).bytesRead > 0);
  } finally {
    await fh.close();
  }
}

/**
 * Memory in the default configuration, AUTH=smart: the audit writer thread runs beside the search reader, and every
 * search leaves an AuditEvent. On a copy of the file (the AuditEvents are written into it), the four queries with a
 * backend-services token; prints RSS after each query, and once the audit backlog is stored.
 */
async function smartMemory(file: string, port: number, size: number, patients: number, seconds: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(path.dirname(file), 'titrate-bench-smart-'));
  try {
    const copy = path.join(dir, 'copy.sqlite');
    fs.copyFileSync(file, copy);
    await warm(copy);
    const client = await backendClient();
    const server = await startProcess('server/main.ts', {
      PORT: String(port), AUTH: 'smart', DEMO: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', SQLITE_PATH: copy,
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, SMART_CLIENTS: client.clientsFile,
    }, '/readyz');
    try {
      const headers = { authorization: `Bearer ${await fetchToken(client, `${server.url}/auth/token`)}` };
      const during: string[] = [];
      for (const q of QUERIES) {
        const r = await autocannon({
          url: server.url, connections: 32, duration: seconds, headers,
          requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: q.path(`pt${Math.floor(Math.random() * patients)}`) }) }],
        });
        if (r.errors + r.non2xx > 0) throw new Error(`AUTH=smart ${q.name}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
        during.push(`${server.rssMb() ?? '?'} MB (${Math.round(r.requests.average)} req/s)`);
      }
      const storedS = ((await auditDrained(server.url, 180_000)) / 1000).toFixed(1);
      console.log(`  AUTH=smart at ${size} resources (audit writer and search reader threads), RSS after each query: ${during.join(', ')}; ${server.rssMb() ?? '?'} MB once the audit backlog was stored (${storedS} s)`);
    } finally {
      await server.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchQueries(base: string, size: number, patients: number, seconds: number, bare: () => Promise<number>): Promise<SearchRow[]> {
  const rows: SearchRow[] = [];
  for (const q of QUERIES) {
    const bareNow = await bare();
    const r = await autocannon({
      url: base,
      connections: 32,
      duration: seconds,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: q.path(`pt${Math.floor(Math.random() * patients)}`) }) }],
    });
    rows.push({ query: q.name, size, reqPerSec: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx, bare: Math.round(bareNow) });
  }
  return rows;
}

/**
 * The search queries at each of BENCH_SEARCH_SIZES (default 10000; e.g. 10000,1000000), one SQLite file per size;
 * then, for memory, the largest size with AUTH=smart (smartMemory).
 * BENCH_SEARCH_DIR keeps the files there between runs (a 1 M file takes minutes to generate); otherwise a
 * temporary directory is removed afterwards.
 */
export async function benchSearchSizes(port: number, seconds: number, bare: () => Promise<number>): Promise<SearchRow[]> {
  const sizes = (process.env.BENCH_SEARCH_SIZES ?? '10000').split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
  if (sizes.length === 0) return [];
  const kept = process.env.BENCH_SEARCH_DIR;
  const dataDir = kept ? (fs.mkdirSync(kept, { recursive: true }), kept) : fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-bench-search-'));
  const out: SearchRow[] = [];
  try {
    for (const size of sizes) {
      const file = path.join(dataDir, `search-${size}.sqlite`);
      console.log(`… search: ${fs.existsSync(file) ? 'reusing' : 'generating'} ${file} (${size} resources)`);
      const { patients, perSec } = await growStore(file, size, (m) => console.log(m));
      // A server that has been running has its file in the OS page cache; a 1 M file written minutes earlier may not
      // be (seen here: 35 % idle CPU and half the throughput while SQLite waited on the disk). Read it once first.
      const warmed = performance.now();
      await warm(file);
      console.log(`  read ${file} once into the OS page cache: ${Math.round(performance.now() - warmed)} ms`);
      const server = await startProcess('server/main.ts', { PORT: String(port), AUTH: 'off', DEMO: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', SQLITE_PATH: file }, '/readyz');
      try {
        const rows = await benchQueries(server.url, size, patients, seconds, bare);
        rows[0].ingestPerSec = perSec;
        out.push(...rows);
        console.log(`  server RSS after the queries at ${size} resources: ${server.rssMb() ?? '?'} MB`);
      } finally {
        await server.stop();
      }
      // The largest size again with AUTH=smart, for memory (BENCH_SEARCH_SMART=0 leaves it out).
      if (size === sizes[sizes.length - 1] && process.env.BENCH_SEARCH_SMART !== '0') {
        console.log(`… search: AUTH=smart over a copy of ${file}, for memory`);
        await smartMemory(file, port, size, patients, seconds);
      }
    }
  } finally {
    if (!kept) fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const bareProc = await startProcess('bench/bare-express.ts', { PORT: '18181' }, '/fhir/Patient/x');
  const at = new Date().toISOString();
  let rows: SearchRow[];
  try {
    const bare = async () => (await autocannon({ url: `${bareProc.url}/fhir/Patient/bench-patient`, connections: 32, duration: seconds })).requests.average;
    rows = await benchSearchSizes(18300, seconds, bare);
  } finally {
    await bareProc.stop();
  }
  console.log(`\n${at} · ${os.cpus().length} × ${os.cpus()[0]?.model} · ${seconds}s per query, 32 connections; bare Express measured just before each query`);
  console.log('| search (SQLite) | resources | req/s | bare Express req/s | vs bare | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.query} | ${r.size} | ${r.reqPerSec} | ${r.bare} | ${Math.round((100 * r.reqPerSec) / r.bare)} % | ${r.p50} | ${r.p99} | ${r.errors} |`);
}
