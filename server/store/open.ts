// Picks the driver from configuration: PostgreSQL when DATABASE_URL is set, SQLite otherwise.
import type { DbLocation, SqlDriver } from './driver.ts';
import { openPostgres } from './postgres.ts';
import { openSqlite } from './sqlite.ts';

export function openDriver(opts: { databaseUrl?: string; sqlitePath: string }): SqlDriver {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openSqlite(opts.sqlitePath);
}

/** Opens another connection to a driver's database (`driver.location`), e.g. from a worker thread. */
export function openAt(location: DbLocation, opts: { poolSize?: number } = {}): SqlDriver {
  if (location.kind === 'sqlite') return openSqlite(location.file);
  return openPostgres(location.url, { ...opts, ...(location.schema !== undefined && { schema: location.schema }) });
}
