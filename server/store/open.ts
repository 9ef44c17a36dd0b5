// Picks the driver from configuration: PostgreSQL when DATABASE_URL is set, SQLite otherwise.
import type { SqlDriver } from './driver.ts';
import { openPostgres } from './postgres.ts';
import { openSqlite } from './sqlite.ts';

export function openDriver(opts: { databaseUrl?: string; sqlitePath: string }): SqlDriver {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl) : openSqlite(opts.sqlitePath);
}
