// Search test harness: the same suite on in-memory SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL (one
// schema per suite), through the shared test databases.
import type { SearchRequest, SearchResult } from '../../server/search/engine.ts';
import { createSearchEngine, type SearchEngineOptions, type TitrateSearchEngine } from '../../server/search/index.ts';
import type { SqlDriver } from '../../server/store/driver.ts';
import { CORE_MIGRATIONS, migrate } from '../../server/store/migrations.ts';
import { ResourceStore } from '../../server/store/resource-store.ts';
import { TEST_DATABASES, type TestDatabase } from '../builders/databases.ts';

export const BASE = 'https://titrate.example/fhir';
export const NOW = '2026-01-15T10:00:00.000Z';

export interface SearchFixture {
  store: ResourceStore;
  engine: TitrateSearchEngine;
  driver: SqlDriver;
  close(): Promise<void>;
}

/** The databases of every storage suite (test/builders/databases.ts): in-memory SQLite, and PostgreSQL when set. */
export const DRIVERS: readonly TestDatabase[] = TEST_DATABASES;

export async function openFixture(db: TestDatabase, resources: Record<string, unknown>[] = [], opts: SearchEngineOptions = {}): Promise<SearchFixture> {
  const { driver, dispose } = await db.open();
  const engine = createSearchEngine({ baseUrl: BASE, now: () => new Date(NOW), ...opts });
  await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations]);
  const store = ResourceStore.open(driver, engine.indexHook);
  for (const r of resources) await store.put(r.resourceType as string, r.id as string, r, NOW);
  return { store, engine, driver, close: dispose };
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
