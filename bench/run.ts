// npm run bench: Titrate (SQLite, and PostgreSQL when DATABASE_URL is set) against a bare Express route, one run,
// autocannon load from this process; prints a table of throughput, p50/p99 and the ratio to bare Express (SPEC §8).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { auditDrained, startProcess, type Running } from './processes.ts';
import { backendClient, fetchToken, thirtyDrugPatientBundle } from './scenarios.ts';
import { benchSearchSizes, type SearchRow } from './search-http.ts';
import { benchValidation } from './validation.ts';
import { benchMedicationReview } from './medication-review.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 32;
const ROOT = path.resolve(import.meta.dirname, '..');

interface Row {
  scenario: string;
  db: string;
  reqPerSec: number;
  resourcesPerSec?: number;
  p50: number;
  p99: number;
  ratio?: string;
  errors: number;
}

async function load(opts: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ duration: SECONDS, connections: CONNECTIONS, ...opts });
}

function row(scenario: string, db: string, r: autocannon.Result, perRequest = 1): Row {
  return {
    scenario,
    db,
    reqPerSec: Math.round(r.requests.average),
    resourcesPerSec: perRequest > 1 ? Math.round(r.requests.average * perRequest) : undefined,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
  };
}

function patientBody(i: number): string {
  return JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'http://hospital.example/mrn', value: `B${i}` }], name: [{ family: 'Load', given: ['Test'] }], gender: 'female', birthDate: '1980-01-01' });
}

function transactionBody(n: number): string {
  const entry = Array.from({ length: n }, (_, i) => ({
    fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    resource: i % 10 === 0
      ? { resourceType: 'Patient', name: [{ family: `Ingest${i}` }], gender: 'male', birthDate: '1970-05-05' }
      : {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: 'http://loinc.org', code: '14334-7', display: 'Lithium [Moles/volume] in Serum or Plasma' }] },
          subject: { reference: `urn:uuid:00000000-0000-4000-8000-${String(i - (i % 10)).padStart(12, '0')}` },
          effectiveDateTime: '2026-01-01T08:00:00Z',
          valueQuantity: { value: 0.8, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
        },
    request: { method: 'POST', url: i % 10 === 0 ? 'Patient' : 'Observation' },
  }));
  return JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry });
}

async function benchTitrate(db: 'sqlite' | 'postgres', bare: autocannon.Result, port: number): Promise<{ rows: Row[]; startMs: number; rssMb?: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-bench-'));
  const env: Record<string, string> = { PORT: String(port), AUTH: 'off', DEMO: '0', LOG_LEVEL: 'warn', SQLITE_PATH: path.join(dataDir, 'bench.sqlite') };
  if (db === 'postgres') env.DATABASE_URL = process.env.DATABASE_URL!;
  else env.DATABASE_URL = '';
  const server: Running & { startMs: number } = await startProcess('server/main.ts', env, '/readyz');
  const rows: Row[] = [];
  try {
    const base = `${server.url}/fhir`;
    const created = await fetch(`${base}/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: patientBody(0) });
    const id = ((await created.json()) as { id: string }).id;
    const read = await load({ url: `${base}/Patient/${id}` });
    rows.push({ ...row('read by id', db, read), ratio: `${Math.round((100 * read.requests.average) / bare.requests.average)} %` });
    let n = 0;
    const create = await load({
      url: `${base}/Patient`,
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
      setupClient: (client) => client.setBody(patientBody(++n)),
      requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, body: patientBody(++n) }) }],
    });
    rows.push(row('single create', db, create));
    const bundle = transactionBody(1000);
    const ingest = await load({ url: base, method: 'POST', connections: 2, headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' }, body: bundle });
    rows.push(row('transaction ingest (1,000-entry bundles)', db, ingest, 1000));
    const seeded = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' }, body: thirtyDrugPatientBundle('bench-30') });
    if (!seeded.ok) throw new Error(`seeding the 30-drug patient failed: ${seeded.status}`);
    // One connection: the latency one clinician's request sees (SPEC §8 states it as a p99).
    const review = await load({ url: `${base}/Patient/bench-30/$medication-review`, connections: 1 });
    rows.push(row('$medication-review (30 drugs, 500 obs; 1 connection)', db, review));
    return { rows, startMs: server.startMs, rssMb: server.rssMb() };
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The authorized read against the same read with AUTH=off, measured in alternation on three servers over fresh SQLite
 * files, so a machine that speeds up or slows down during the run biases no side:
 * - AUTH=off;
 * - AUTH=smart as configured by default: each read's AuditEvent is queued durably at once and stored (indexed) when
 *   the server is not busy, or after AUDIT_MAX_LAG_MS (30 s);
 * - AUTH=smart with AUDIT_MAX_LAG_MS=0: each AuditEvent stored as soon as its batch arrives, the steady-state cost of
 *   load that lasts longer than the lag bound.
 * After each AUTH=smart run the bench waits until that server's audit backlog is empty (reported), then pauses, so
 * no run shares the machine with another server's audit writer.
 */
async function benchAuthorizedRead(port: number, rounds = 2): Promise<{ rows: Row[]; extras: string[] }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'titrate-bench-'));
  const client = await backendClient();
  const smartServer = (p: number, name: string, extra: Record<string, string> = {}) =>
    startProcess('server/main.ts', {
      PORT: String(p), AUTH: 'smart', DEMO: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', PUBLIC_BASE_URL: `http://127.0.0.1:${p}`,
      SQLITE_PATH: path.join(dataDir, `${name}.sqlite`), SMART_CLIENTS: client.clientsFile, ...extra,
    }, '/readyz');
  const deferred = await smartServer(port, 'smart');
  const atOnce = await smartServer(port + 2, 'smart-at-once', { AUDIT_MAX_LAG_MS: '0' });
  const off = await startProcess('server/main.ts', {
    PORT: String(port + 1), AUTH: 'off', DEMO: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', SQLITE_PATH: path.join(dataDir, 'off.sqlite'),
  }, '/readyz');
  try {
    const issueStarted = performance.now();
    const TOKENS = 50;
    let token = '';
    for (let i = 0; i < TOKENS; i++) token = await fetchToken(client, `${deferred.url}/auth/token`);
    const issueMs = (performance.now() - issueStarted) / TOKENS;
    const atOnceToken = await fetchToken(client, `${atOnce.url}/auth/token`);
    const create = async (base: string, headers: Record<string, string>) => {
      const created = await fetch(`${base}/fhir/Patient`, { method: 'POST', headers: { ...headers, 'content-type': 'application/fhir+json' }, body: patientBody(0) });
      if (!created.ok) throw new Error(`create failed: ${created.status}`);
      return `${base}/fhir/Patient/${((await created.json()) as { id: string }).id}`;
    };
    const sides = [
      { server: off, headers: {} as Record<string, string>, runs: [] as autocannon.Result[], drainMs: [] as number[] },
      { server: deferred, headers: { authorization: `Bearer ${token}` }, runs: [] as autocannon.Result[], drainMs: [] as number[] },
      { server: atOnce, headers: { authorization: `Bearer ${atOnceToken}` }, runs: [] as autocannon.Result[], drainMs: [] as number[] },
    ].map((s) => ({ ...s, url: '' }));
    for (const s of sides) s.url = await create(s.server.url, s.headers);
    for (let i = 0; i < rounds; i++) {
      for (const [k, s] of sides.entries()) {
        s.runs.push(await load({ url: s.url, headers: s.headers }));
        if (k > 0) {
          s.drainMs.push(await auditDrained(s.server.url));
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    }
    const mean = (rs: autocannon.Result[]) => rs.reduce((a, r) => a + r.requests.average, 0) / rs.length;
    const [o, d, a] = sides;
    const ratio = (s: typeof d) => `${Math.round((100 * mean(s.runs)) / mean(o.runs))} % of AUTH=off`;
    const each = (s: typeof d) => s.runs.map((r, i) => `${Math.round((100 * r.requests.average) / o.runs[i].requests.average)} %`).join(', ');
    const drains = (s: typeof d) => s.drainMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ');
    const last = (s: typeof d) => s.runs[s.runs.length - 1];
    return {
      rows: [
        { ...row('read by id, AUTH=off (alternated with the next two rows)', 'sqlite', last(o)), reqPerSec: Math.round(mean(o.runs)) },
        { ...row('authorized read by id (AUTH=smart; AuditEvents stored when not busy)', 'sqlite', last(d)), reqPerSec: Math.round(mean(d.runs)), ratio: ratio(d) },
        { ...row('authorized read by id (AUTH=smart, AUDIT_MAX_LAG_MS=0; stored at once)', 'sqlite', last(a)), reqPerSec: Math.round(mean(a.runs)), ratio: ratio(a) },
      ],
      extras: [
        `token issue (client_credentials + private_key_jwt ES384, sequential): ${issueMs.toFixed(1)} ms per token`,
        `authorized read ÷ AUTH=off read, ${rounds} alternated ${SECONDS}s rounds (req/s are the means, p50/p99 the last run): default ${each(d)}; AUDIT_MAX_LAG_MS=0 ${each(a)}`,
        `audit backlog after each AUTH=smart run stored and searchable within: default ${drains(d)}; AUDIT_MAX_LAG_MS=0 ${drains(a)}`,
      ],
    };
  } finally {
    await deferred.stop();
    await atOnce.stop();
    await off.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function printSearchTable(rows: SearchRow[]): void {
  console.log('');
  console.log('| search (SQLite) | resources | req/s | p50 ms | p99 ms | bare Express just before, req/s | vs bare Express | errors |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.query} | ${r.size} | ${r.reqPerSec} | ${r.p50} | ${r.p99} | ${r.bare} | ${Math.round((100 * r.reqPerSec) / r.bare)} % | ${r.errors} |`);
  }
  const ingest = rows.filter((r) => r.ingestPerSec).map((r) => `${r.size}: ${r.ingestPerSec} resources/s`);
  if (ingest.length) console.log(`search data written through the store and search index (no HTTP, no validation): ${ingest.join('; ')}`);
}

function printTable(rows: Row[]): void {
  const header = ['scenario', 'db', 'req/s', 'resources/s', 'p50 ms', 'p99 ms', 'vs bare Express', 'errors'];
  const lines = rows.map((r) => [r.scenario, r.db, String(r.reqPerSec), r.resourcesPerSec ? String(r.resourcesPerSec) : '', String(r.p50), String(r.p99), r.ratio ?? '', String(r.errors)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}

async function main(): Promise<void> {
  console.log(`Titrate bench — ${new Date().toISOString()} — ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${SECONDS}s per scenario, ${CONNECTIONS} connections`);
  // The bare Express route stays up (idle) all run: each search row is compared with a bare run made just before it.
  const bareProc = await startProcess('bench/bare-express.ts', { PORT: '18181' }, '/fhir/Patient/x');
  try {
    const bareLoad = () => load({ url: `${bareProc.url}/fhir/Patient/bench-patient` });
    console.log('… bare Express read');
    const bare = await bareLoad();
    const rows: Row[] = [{ ...row('read by id', 'bare Express', bare), ratio: '100 %' }];
    const extras: string[] = [];
    // BENCH_ONLY=auth: the bare read and the authorized-read rows alone (a few minutes instead of a quarter hour).
    const only = process.env.BENCH_ONLY;
    if (only !== undefined && only !== 'auth') throw new Error(`BENCH_ONLY accepts auth, got ${only}`);
    const dbs: ('sqlite' | 'postgres')[] = only ? [] : process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
    for (const [i, db] of dbs.entries()) {
      console.log(`… Titrate on ${db}: read, create, transaction ingest`);
      const r = await benchTitrate(db, bare, 18282 + i);
      rows.push(...r.rows);
      extras.push(`start to ready (${db}): ${r.startMs} ms (includes tsx start-up); RSS after load: ${r.rssMb ?? '?'} MB`);
    }
    console.log('… Titrate on sqlite, AUTH=off and AUTH=smart (two audit settings) alternated: read, authorized read (backend-services token, AuditEvent per read)');
    const authRows = await benchAuthorizedRead(18292);
    rows.push(...authRows.rows);
    extras.push(...authRows.extras);
    let searchRows: SearchRow[] = [];
    if (!only) {
      console.log('… in-process: validation throughput (one core), $medication-review rules alone');
      const validation = await benchValidation({ seconds: Math.min(SECONDS, 5) });
      extras.push(`validation, all three layers, one core: ${validation.resourcesPerSec} MedicationRequests/s (validator ready in ${validation.startMs} ms)`);
      const review = await benchMedicationReview();
      extras.push(`$medication-review rules alone (30 drugs, 500 observations): p50 ${review.p50.toFixed(2)} ms, p99 ${review.p99.toFixed(2)} ms`);
      searchRows = await benchSearchSizes(18300, SECONDS, async () => (await bareLoad()).requests.average);
    }
    printTable(rows);
    if (searchRows.length) printSearchTable(searchRows);
    for (const e of extras) console.log(e);
    fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, `bench/results/${only ? `latest-${only}` : 'latest'}.json`), JSON.stringify({ at: new Date().toISOString(), rows, searchRows, extras }, null, 2));
  } finally {
    await bareProc.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
