// Search over HTTP at a generated data-set size: ingest ~100-resource psychiatric patients through transactions,
// then load the four issue-3 queries with autocannon (random patient per request where the query names one).
import autocannon from 'autocannon';
import { formulary, generatePatients } from './search-data.ts';

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

async function post(base: string, entries: fhir4.FhirResource[]): Promise<void> {
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: entries.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
  };
  const res = await fetch(`${base}/fhir`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' }, body: JSON.stringify(bundle) });
  if (!res.ok) throw new Error(`ingest failed: ${res.status} ${(await res.text()).slice(0, 300)}`);
}

/** Loads patients until the store holds about `size` resources; returns resources/s of the ingest. */
export async function loadPatients(base: string, size: number, already: number, progress: (msg: string) => void): Promise<{ patients: number; perSec: number }> {
  if (already === 0) await post(base, formulary());
  const patients = Math.max(1, Math.round(size / 100));
  const firstNew = Math.round(already / 100);
  let batch: fhir4.FhirResource[] = [];
  let written = 0;
  const started = performance.now();
  for (const record of generatePatients(patients - firstNew, 7, firstNew)) {
    batch.push(...(record as fhir4.FhirResource[]));
    if (batch.length >= 1000) {
      await post(base, batch);
      written += batch.length;
      batch = [];
      if (written % 50_000 < 1000) progress(`  loaded ${already + written} resources`);
    }
  }
  if (batch.length) {
    await post(base, batch);
    written += batch.length;
  }
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
