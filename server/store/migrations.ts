// Schema migrations for both dialects: ordered, named, applied once, under a lock on PostgreSQL.
import type { Dialect, SqlDriver } from './driver.ts';

export interface Migration {
  readonly name: string;
  statements(dialect: Dialect): string[];
}

export const CORE_MIGRATIONS: readonly Migration[] = [
  {
    name: '001-resources',
    statements: () => [
      `CREATE TABLE IF NOT EXISTS resources (
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        last_updated TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        content TEXT,
        PRIMARY KEY (type, id)
      )`,
      `CREATE INDEX IF NOT EXISTS resources_type_updated ON resources (type, last_updated, id)`,
      `CREATE TABLE IF NOT EXISTS resource_history (
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        last_updated TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        method TEXT NOT NULL,
        content TEXT,
        PRIMARY KEY (type, id, version)
      )`,
      `CREATE INDEX IF NOT EXISTS history_updated ON resource_history (last_updated, type, id, version)`,
      `CREATE INDEX IF NOT EXISTS history_type_updated ON resource_history (type, last_updated, id, version)`,
    ],
  },
  {
    // Audit batches, durable before they are stored as AuditEvents (server/audit/queue.ts).
    name: '002-audit-queue',
    statements: (d) => [
      d.name === 'postgres'
        ? 'CREATE TABLE IF NOT EXISTS audit_queue (seq BIGSERIAL PRIMARY KEY, queued_ms BIGINT NOT NULL, n INTEGER NOT NULL, items TEXT NOT NULL)'
        : 'CREATE TABLE IF NOT EXISTS audit_queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, queued_ms INTEGER NOT NULL, n INTEGER NOT NULL, items TEXT NOT NULL)',
    ],
  },
  {
    // Audit batches that cannot be built into AuditEvents, set aside (not lost) so later batches go on.
    name: '003-audit-failed',
    statements: (d) => [
      `CREATE TABLE IF NOT EXISTS audit_failed (seq ${d.name === 'postgres' ? 'BIGINT' : 'INTEGER'} PRIMARY KEY, queued_ms ${d.name === 'postgres' ? 'BIGINT' : 'INTEGER'} NOT NULL, n INTEGER NOT NULL, items TEXT NOT NULL, failed_at TEXT NOT NULL, error TEXT NOT NULL)`,
    ],
  },
];

/**
 * Applies every migration not yet recorded, telling onApply before each (some rebuild indexes: 13 s for a
 * 1 M-resource SQLite store). PostgreSQL replicas racing at start serialise on an advisory lock.
 */
export async function migrate(
  driver: SqlDriver,
  migrations: readonly Migration[] = CORE_MIGRATIONS,
  onApply?: (name: string) => void,
): Promise<string[]> {
  await driver.exec(`CREATE TABLE IF NOT EXISTS titrate_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`);
  return driver.transaction(async (tx) => {
    if (driver.dialect.name === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(7243001)');
    const done = new Set((await tx.query<{ name: string }>('SELECT name FROM titrate_migrations')).map((r) => r.name));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      onApply?.(m.name);
      for (const statement of m.statements(driver.dialect)) await tx.run(statement);
      await tx.run('INSERT INTO titrate_migrations (name, applied_at) VALUES (?, ?)', [m.name, new Date().toISOString()]);
      applied.push(m.name);
    }
    return applied;
  });
}
