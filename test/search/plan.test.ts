// Search plans: the driving set chosen by count, bounded scans that link onward, value-order pages, index-only access.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResult } from '../../server/search/engine.ts';
import type { SqlDriver } from '../../server/store/driver.ts';
import { DRIVERS, openFixture, search, type SearchFixture } from './harness.ts';
import { createSearchEngine } from '../../server/search/index.ts';
import { CORE_MIGRATIONS, migrate } from '../../server/store/migrations.ts';
import { ResourceStore } from '../../server/store/resource-store.ts';
import { medication, medicationRequest, observation, patient } from './builders.ts';

const PHQ9 = '44261-6';
const LITHIUM = '14334-7';
// 24 patients, each with six PHQ-9 scores over 2024–2025 and a lithium level; four families share the prefix "smi",
// and p3 also has a given name in it (two index rows in the range).
const FAMILIES = ['Smith', 'Smid', 'Jones', 'Smithson', 'Brown', 'Smits'];
const FIXTURES = [
  medication('lith', '197891', 'Lithium carbonate 300 MG'),
  ...Array.from({ length: 24 }, (_, i) => patient(`p${i}`, FAMILIES[i % 6], i === 3 ? 'Smita' : 'Ann', `${1940 + i * 2}-05-01`)),
  ...Array.from({ length: 24 }, (_, i) => Array.from({ length: 6 }, (_, k) =>
    observation(`o${i}-${k}`, `p${i}`, PHQ9, (i + k * 5) % 28, '{score}', `${2024 + (k >> 2)}-${String(1 + ((k * 3) % 12)).padStart(2, '0')}-15`))).flat(),
  ...Array.from({ length: 24 }, (_, i) => observation(`li${i}`, `p${i}`, LITHIUM, 0.4 + (i % 8) / 10, 'mmol/L', '2025-03-01')),
  ...Array.from({ length: 24 }, (_, i) => medicationRequest(`mr${i}`, `p${i % 4}`, i % 3 ? 'active' : 'completed', 'Medication/lith', '2025-01-01')),
];

const pageQuery = (pairs: [string, string][]) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');

/** Every match of `query`, following next links; fails if a page repeats a match. */
async function allPages(f: SearchFixture, type: string, query: string): Promise<{ ids: string[]; pages: SearchResult[] }> {
  const pages: SearchResult[] = [];
  let r = await search(f, type, query);
  pages.push(r);
  while (r.next && pages.length < 200) pages.push((r = await search(f, type, pageQuery(r.next))));
  const ids = pages.flatMap((p) => p.matches.map((m) => m.id));
  expect(new Set(ids).size).toBe(ids.length);
  return { ids: ids.sort(), pages };
}

/** The ids every plan must find: read whole, with no tuning (sets this small are always read whole). */
async function expected(f: SearchFixture, type: string, query: string): Promise<string[]> {
  return (await search(f, type, `${query}&_count=1000`)).matches.map((m) => m.id).sort();
}

describe.each(DRIVERS.map((d) => [d.name, d] as const))('search plans on %s', (_, dc) => {
  let plain: SearchFixture;
  let tuned: SearchFixture;
  beforeAll(async () => {
    plain = await openFixture(dc, FIXTURES);
    // Every set counts as large and a page reads at most five driver rows: the plans a 1 M-resource store would use.
    tuned = await openFixture(dc, FIXTURES, { smallSet: 2, scanBudget: 5 });
  });
  afterAll(async () => {
    await plain.close();
    await tuned.close();
  });

  it.each([
    ['Observation', `code=http://loinc.org|${PHQ9}&value-quantity=ge15&date=ge2025-01-01`],
    ['Observation', `code=http://loinc.org|${PHQ9}&value-quantity=ge15`],
    ['Patient', 'name=smi&birthdate=lt1960'],
    ['Patient', 'name=smi'],
    ['Observation', 'date=ge2025-01-01&value-quantity=lt5'],
    ['Observation', 'value-quantity=ge20'],
    ['MedicationRequest', 'patient=p1&status=active'],
    ['Patient', 'gender:not=male'],
  ])('finds the same matches in bounded pages of a large driver: %s?%s', async (type, query) => {
    const want = await expected(plain, type, query);
    expect(want.length).toBeGreaterThan(0);
    const got = await allPages(tuned, type, `${query}&_count=3`);
    expect(got.ids).toEqual(want);
  });
  it('pages a large string range in value order, a resource with two names in the range once', async () => {
    const got = await allPages(tuned, 'Patient', 'name=smi&_count=2');
    expect(got.ids).toEqual(await expected(plain, 'Patient', 'name=smi'));
    expect(got.ids).toContain('p3');
    // Each patient comes at its first name in the range: p3 at its given name Smita, before the Smiths.
    const firstName = (json: string) => {
      const n = (JSON.parse(json) as { name: { family: string; given: string[] }[] }).name[0];
      return [n.family, ...n.given].map((x) => x.toLowerCase()).filter((x) => x.startsWith('smi')).sort()[0];
    };
    const order = got.pages.flatMap((p) => p.matches.map((m) => firstName(m.json!)));
    expect(order).toEqual([...order].sort());
    expect(order.indexOf('smita')).toBeLessThan(order.indexOf('smith'));
  });
  it('cuts a page of a large ordered driver at its first matches when the budget is far larger than the page', async () => {
    const f = await openFixture(dc, FIXTURES, { smallSet: 2, scanBudget: 1000 });
    try {
      const query = `code=http://loinc.org|${PHQ9}&value-quantity=ge15&date=ge2025-01-01`;
      const want = await expected(plain, 'Observation', query);
      const first = await search(f, 'Observation', `${query}&_count=3`);
      expect(first.matches.map((m) => m.id)).toEqual([...want].sort().slice(0, 3));
      expect((await allPages(f, 'Observation', `${query}&_count=3`)).ids).toEqual(want);
    } finally {
      await f.close();
    }
  });
  it('ends a page early at the scan budget and links onward from the last row read', async () => {
    const r = await search(tuned, 'Observation', `code=http://loinc.org|${PHQ9}&value-quantity=ge27&_count=2`);
    expect(r.matches.length).toBeLessThanOrEqual(2);
    expect(r.next?.find(([k]) => k === '_cursor')).toBeDefined();
  });
  it('lets a rare value drive although a common one is listed first', async () => {
    const f = await openFixture(dc, FIXTURES, { smallSet: 10, scanBudget: 5 });
    try {
      const r = await search(f, 'Observation', `status=final&code=http://loinc.org|${LITHIUM}&patient=p5`);
      expect(r.matches.map((m) => m.id)).toEqual(['li5']);
      expect(r.next).toBeUndefined();
    } finally {
      await f.close();
    }
  });
  it('pages past deleted resources that other resources still refer to (_has)', async () => {
    const f = await openFixture(dc, FIXTURES);
    try {
      await f.store.delete('Patient', 'p10', '2026-01-15T11:00:00.000Z');
      const got = await allPages(f, 'Patient', `_has:Observation:patient:code=${LITHIUM}&_count=1`);
      expect(got.ids).toHaveLength(23);
      expect(got.ids).not.toContain('p10');
    } finally {
      await f.close();
    }
  });
  it('refuses a cursor naming a parameter the query does not have', async () => {
    const first = await search(tuned, 'Patient', 'name=smi&_count=2');
    const cursor = first.next!.find(([k]) => k === '_cursor')![1];
    await expect(search(tuned, 'Patient', `birthdate=lt1960&_cursor=${cursor}`)).rejects.toMatchObject({ kind: 'invalid' });
  });
  it('sorts over a large driver; leaves out an estimate that would read more than the scan budget', async () => {
    const r = await search(tuned, 'Observation', `code=http://loinc.org|${PHQ9}&value-quantity=ge25&_sort=-value-quantity&_total=estimate&_count=3`);
    const values = r.matches.map((m) => (JSON.parse(m.json!) as { valueQuantity: { value: number } }).valueQuantity.value);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(r.total).toBeUndefined();
    expect(r.warnings.join()).toMatch(/_total=accurate/);
  });
});

/**
 * The statements `run` sends on a fresh SQLite fixture, each with its EXPLAIN QUERY PLAN rows (read after `run`, with
 * the driver restored).
 */
async function plansOf(smallSet: number, run: (f: SearchFixture) => Promise<void>): Promise<{ sql: string; plan: { id: number; parent: number; detail: string }[] }[]> {
  const f = await openFixture(DRIVERS[0], FIXTURES, { smallSet });
  const statements: [string, unknown[]][] = [];
  const driver = f.driver as SqlDriver;
  const query = driver.query.bind(driver);
  driver.query = (async (sql: string, params: unknown[] = []) => (statements.push([sql, params]), query(sql, params as never))) as typeof driver.query;
  try {
    await run(f);
    driver.query = query;
    const out = [];
    for (const [sql, params] of statements) out.push({ sql, plan: await driver.query<{ id: number; parent: number; detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params as never) });
    return out;
  } finally {
    driver.query = query;
    await f.close();
  }
}

describe('search plans on sqlite: an unsorted page of a large driver', () => {
  it('stops reading candidates at the page limit instead of sorting every candidate first', async () => {
    const plans = await plansOf(2, (f) => search(f, 'Observation', `code=http://loinc.org|${PHQ9}&value-quantity=ge15&date=ge2025-01-01`).then(() => undefined));
    const { plan } = plans.find(({ sql }) => sql.includes(') cand'))!;
    const page = plan.find((p) => /^(MATERIALIZE|CO-ROUTINE) page\b/.test(p.detail))!;
    expect(page).toBeDefined();
    // A temporary B-tree under the page means every candidate is probed and sorted before LIMIT applies.
    expect(plan.filter((p) => p.parent === page.id).map((p) => p.detail)).not.toContain('USE TEMP B-TREE FOR ORDER BY');
  });
});

describe('search plans on sqlite: every statement is an index search', () => {
  const QUERIES: [string, string][] = [
    ['MedicationRequest', 'patient=p1&status=active&_include=MedicationRequest:medication'],
    ['Observation', `patient=p1&code=http://loinc.org|${LITHIUM}&_sort=-date&_count=10`],
    ['Observation', `code=http://loinc.org|${PHQ9}&value-quantity=ge15&date=ge2025-01-01`],
    ['Patient', 'name=smi&birthdate=lt1960'],
  ];
  it.each([2, 1000])('with sets counted large below %i index rows', async (smallSet) => {
    const plans = await plansOf(smallSet, async (f) => {
      for (const [type, q] of QUERIES) await search(f, type, q);
    });
    for (const { sql, plan } of plans) {
      // SCAN is allowed only over a subquery's rows (the candidates, the page, a capped count).
      const scans = plan.map((p) => p.detail).filter((d) => /^SCAN /.test(d) && !/^SCAN (cand|page|x)\b/.test(d));
      expect({ sql, scans }).toEqual({ sql, scans: [] });
    }
  });
});

describe.each(DRIVERS.map((d) => [d.name, d] as const))('per-resource index columns on %s', (_, dc) => {
  it('carry the values probes, sort keys and includes read on SQLite, after migrating a store built with the first index set', async () => {
    const { driver, dispose } = await dc.open();
    try {
      const engine = createSearchEngine({ baseUrl: 'https://titrate.example/fhir' });
      // A store as the first release built it, with data, then the later migrations.
      await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations.filter((m) => m.name === '100-search-index')]);
      const store = ResourceStore.open(driver, engine.indexHook);
      await store.put('Observation', 'o1', observation('o1', 'p1', PHQ9, 12, '{score}', '2025-02-01') as Record<string, unknown>, '2026-01-15T10:00:00.000Z');
      const applied = await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations]);
      expect(applied).toContain('102-search-covering-probes');
      const columns = async (index: string, table: string): Promise<string[]> =>
        driver.dialect.name === 'sqlite'
          ? (await driver.query<{ name: string }>(`SELECT name FROM pragma_index_info('${index}') ORDER BY seqno`)).map((r) => r.name)
          : /\((.*)\)/.exec((await driver.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE indexname = ? AND tablename = ? AND schemaname = current_schema()', [index, table]))[0].indexdef)![1].split(', ');
      // PostgreSQL keeps the first set (schema.ts says why).
      const covering = driver.dialect.name === 'sqlite';
      const key = ['res_type', 'res_id', 'param'];
      expect(await columns('sp_date_res', 'sp_date')).toEqual(covering ? [...key, 'lo', 'hi'] : key);
      expect(await columns('sp_token_res', 'sp_token')).toEqual(covering ? [...key, 'code', 'system'] : key);
      expect(await columns('sp_ref_res', 'sp_ref')).toEqual(covering ? [...key, 'target_type', 'target_id'] : key);
      const engineAfter = createSearchEngine({ baseUrl: 'https://titrate.example/fhir' });
      const found = await engineAfter.search(store, { type: 'Observation', params: [['patient', 'p1'], ['date', 'ge2025-01-01']], strict: true });
      expect(found.matches.map((m) => m.id)).toEqual(['o1']);
    } finally {
      await dispose();
    }
  });
});
