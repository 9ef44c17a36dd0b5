// Search over HTTP at a generated data-set size: ~100-resource psychiatric patients written into the SQLite file,
// then the four issue-3 queries loaded with autocannon against a Titrate process (random patient per request).
import autocannon from 'autocannon';
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
  ingestPerSec?: number;
}

const QUERIES: { name: string; path: (patient: string) => string }[] = [
  { name: 'MedicationRequest?patient&status&_include', path: (p) => `/fhir/MedicationRequest?patient=${p}&status=active&_include=MedicationRequest:medication` },
  { name: 'Observation?patient&code=14334-7&_sort=-date&_count=10', path: (p) => `/fhir/Observation?patient=${p}&code=${encodeURIComponent('http://loinc.org|14334-7')}&_sort=-date&_count=10` },
  { name: 'Observation?code=44261-6&value-quantity=ge15&date=ge2025-01-01', path: () => `/fhir/Observation?code=${encodeURIComponent('http://loinc.org|44261-6')}&value-quantity=ge15&date=ge2025-01-01` },
  { name: 'Patient?name=smi&birthdate=lt1960', path: () => '/fhir/Patient?name=smi&birthdate=lt1960' },
];

/**
 * Grows the SQLite file at `file` to about `size` resources by writing straight through the store and the search
 * index (what a transaction does after validation), so a 1 M data set loads in minutes; returns resources/s.
 */
export async function growStore(file: string, size: number, already: number, progress: (msg: string) => void): Promise<{ patients: number; perSec: number }> {
  const driver = openSqlite(file);
  const engine = createSearchEngine({ baseUrl: 'http://localhost/fhir' });
  await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations]);
  const store = ResourceStore.open(driver, engine.indexHook);
  const now = new Date().toISOString();
  const items = (rs: fhir4.FhirResource[]) => rs.map((r) => ({ type: r.resourceType, id: r.id!, resource: r as unknown as Record<string, unknown> }));
  if (already === 0) await store.insertNew(items(formulary()), now);
  const patients = Math.max(1, Math.round(size / 100));
  let batch: fhir4.FhirResource[] = [];
  let written = 0;
  const started = performance.now();
  for (const record of generatePatients(patients - Math.round(already / 100), 7, Math.round(already / 100))) {
    batch.push(...(record as fhir4.FhirResource[]));
    if (batch.length >= 2000) {
      await store.insertNew(items(batch), now);
      written += batch.length;
      batch = [];
      if (written % 100_000 < 2000) progress(`  loaded ${already + written} resources`);
    }
  }
  if (batch.length) await store.insertNew(items(batch), now);
  written += batch.length;
  await driver.exec('ANALYZE');
  await driver.close();
  return { patients, perSec: Math.round(written / ((performance.now() - started) / 1000)) };
}

export async function benchQueries(base: string, size: number, patients: number, seconds: number): Promise<SearchRow[]> {
  const rows: SearchRow[] = [];
  for (const q of QUERIES) {
    const r = await autocannon({
      url: base,
      connections: 32,
      duration: seconds,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: q.path(`pt${Math.floor(Math.random() * patients)}`) }) }],
    });
    rows.push({ query: q.name, size, reqPerSec: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx });
  }
  return rows;
}
