// The audit queue (table audit_queue, migration 002-audit-queue). Each batch of audit items is first made durable
// as one row, one cheap insert per batch. The writer thread then stores and indexes the queued batches as AuditEvent
// resources ("materialises" them): at once while the server is idle, deferred while the request thread is busy, and
// never later than the lag bound (AUDIT_MAX_LAG_MS). Nothing is lost across a crash: queued rows are materialised
// after the next start.
//
// Several writers (replicas on one PostgreSQL) may materialise concurrently: a writer claims its rows by deleting them
// in the same transaction that inserts their AuditEvents, and gives the chunk up if another writer deleted them first.
import type { InsertPart, Row, SqlDriver } from '../store/driver.ts';
import type { IndexHook } from '../store/resource-store.ts';
import { addPatients, AUDIT_CHUNK, decodeItems, prepareAuditInserts, toEvents, type AuditItem } from './items.ts';

/** Makes one batch durable. `items`: a JSON batch from items.ts encodeItems, holding `n` items. */
export async function enqueue(driver: SqlDriver, items: string, n: number, nowMs: number): Promise<void> {
  await driver.run('INSERT INTO audit_queue (queued_ms, n, items) VALUES (?, ?, ?)', [nowMs, n, items]);
}

/** When the oldest queued batch was queued (epoch ms), or undefined when the queue is empty. */
export async function oldestQueued(driver: SqlDriver): Promise<number | undefined> {
  const rows = await driver.query<{ queued_ms: number | string }>('SELECT queued_ms FROM audit_queue ORDER BY seq LIMIT 1');
  return rows.length ? Number(rows[0].queued_ms) : undefined;
}

/** Items still queued, over all writers. */
export async function queuedItems(driver: SqlDriver): Promise<number> {
  const rows = await driver.query<{ n: number | string | null }>('SELECT sum(n) AS n FROM audit_queue');
  return Number(rows[0]?.n ?? 0);
}

class ClaimLost extends Error {}

export interface Materialised {
  /** AuditEvents stored. */
  stored: number;
  /** Batches that could not be built into AuditEvents, moved to audit_failed. */
  setAside: number;
}

/**
 * Materialises the oldest queued batches, up to AUDIT_CHUNK items (at least one batch), as AuditEvents last updated
 * `at`, with the patient added where the request did not name one (items.ts addPatients). The events, their JSON and
 * index rows are built before the transaction, so on SQLite the file is locked for the inserts only. Building is
 * deterministic: a batch that fails to build never will, so it is moved to audit_failed with the reason and the rest
 * go on. A database error fails the whole call and leaves everything queued. Nothing is stored when the queue was
 * empty or another writer took the batches first.
 */
export async function materializeNext(driver: SqlDriver, index: IndexHook, at: string, baseUrl: string): Promise<Materialised> {
  const head = await driver.query<QueuedRow>('SELECT seq, queued_ms, n, items FROM audit_queue ORDER BY seq LIMIT 8');
  const taken: QueuedRow[] = [];
  let items = 0;
  for (const row of head) {
    if (taken.length > 0 && items + row.n > AUDIT_CHUNK) break;
    taken.push(row);
    items += row.n;
  }
  if (taken.length === 0) return { stored: 0, setAside: 0 };
  const parts: InsertPart[] = [];
  const failed: { row: QueuedRow; error: string }[] = [];
  let stored = 0;
  for (const row of taken) {
    let decoded: AuditItem[];
    try {
      decoded = decodeItems(row.items);
    } catch (err) {
      failed.push({ row, error: (err as Error).message });
      continue;
    }
    const withPatients = await addPatients(driver, decoded, baseUrl);
    try {
      const events = toEvents(withPatients);
      parts.push(...(await prepareAuditInserts(driver, index, events, at)));
      stored += events.length;
    } catch (err) {
      failed.push({ row, error: (err as Error).message });
    }
  }
  try {
    await driver.transaction(async (tx) => {
      const { changes } = await tx.run(`DELETE FROM audit_queue WHERE seq IN (${taken.map(() => '?').join(', ')})`, taken.map((r) => Number(r.seq)));
      if (changes !== taken.length) throw new ClaimLost();
      for (const p of parts) await tx.insertMany(p.table, p.columns, p.rows);
      for (const f of failed) {
        await tx.run('INSERT INTO audit_failed (seq, queued_ms, n, items, failed_at, error) VALUES (?, ?, ?, ?, ?, ?)', [
          Number(f.row.seq), Number(f.row.queued_ms), f.row.n, f.row.items, at, f.error.slice(0, 1000),
        ]);
      }
    });
  } catch (err) {
    if (err instanceof ClaimLost) return { stored: 0, setAside: 0 };
    throw err;
  }
  return { stored, setAside: failed.length };
}

interface QueuedRow extends Row {
  seq: number | string;
  queued_ms: number | string;
  n: number;
  items: string;
}
