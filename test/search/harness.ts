// Search test harness: the same suite on in-memory SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (one schema per suite).
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { SearchRequest, SearchResult } from '../../server/search/engine.ts';
import { createSearchEngine, type SearchEngineOptions, type TitrateSearchEngine } from '../../server/search/index.ts';
import type { SqlDriver } from '../../server/store/driver.ts';
import { CORE_MIGRATIONS, migrate } from '../../server/store/migrations.ts';
import { openPostgres } from '../../server/store/postgres.ts';
import { ResourceStore } from '../../server/store/resource-store.ts';
import { openSqlite } from '../../server/store/sqlite.ts';

export const BASE = 'https://titrate.example/fhir';
export const NOW = '2026-01-15T10:00:00.000Z';

export interface SearchFixture {
  store: ResourceStore;
  engine: TitrateSearchEngine;
  driver: SqlDriver;
  close(): Promise<void>;
}

interface DriverCase {
  name: string;
  open(): Promise<{ driver: SqlDriver; drop(): Promise<void> }>;
}

const PG_URL = process.env.TEST_DATABASE_URL;

export const DRIVERS: DriverCase[] = [
  { name: 'sqlite', open: async () => ({ driver: openSqlite(':memory:'), drop: async () => undefined }) },
  ...(PG_URL
    ? [{
        name: 'postgres',
        async open() {
          const schema = `s_${randomBytes(6).toString('hex')}`;
          const admin = new pg.Client({ connectionString: PG_URL });
          await admin.connect();
          await admin.query(`CREATE SCHEMA ${schema}`);
          const driver = openPostgres(PG_URL, { poolSize: 4, schema });
          return {
            driver,
            async drop() {
              await admin.query(`DROP SCHEMA ${schema} CASCADE`);
              await admin.end();
            },
          };
        },
      }]
    : []),
];

export async function openFixture(dc: DriverCase, resources: Record<string, unknown>[] = [], opts: SearchEngineOptions = {}): Promise<SearchFixture> {
  const { driver, drop } = await dc.open();
  const engine = createSearchEngine({ baseUrl: BASE, now: () => new Date(NOW), ...opts });
  await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations]);
  const store = ResourceStore.open(driver, engine.indexHook);
  for (const r of resources) await store.put(r.resourceType as string, r.id as string, r, NOW);
  return {
    store, engine, driver,
    async close() {
      await driver.close();
      await drop();
    },
  };
}

/** Runs a search from a query string, e.g. `Observation`, `code=x&_count=2`. */
export function search(f: SearchFixture, type: string, query: string, extra: Partial<SearchRequest> = {}): Promise<SearchResult> {
  const params = [...new URLSearchParams(query)] as [string, string][];
  return f.engine.search(f.store, { type, params, strict: true, ...extra });
}

/** Sorted ids of the matches. */
export async function ids(f: SearchFixture, type: string, query: string, extra: Partial<SearchRequest> = {}): Promise<string[]> {
  const r = await search(f, type, query, extra);
  return r.matches.map((m) => m.id).sort();
}
