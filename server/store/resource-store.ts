// ResourceStore: versioned FHIR resources as JSON text over a SqlDriver; the only code that knows core tables.
import type { InsertPart, Row, SqlDriver, SqlTx, SqlValue } from './driver.ts';

export interface StoredResource {
  type: string;
  id: string;
  version: number;
  lastUpdated: string;
  deleted: boolean;
  /** The resource JSON exactly as stored (meta.versionId and meta.lastUpdated included); null for a delete. */
  json: string | null;
}

/** Search index maintenance, called inside the write transaction (search/ provides it). */
export interface IndexHook {
  write(tx: SqlTx, type: string, id: string, resource: Record<string, unknown>): Promise<void>;
  remove(tx: SqlTx, type: string, id: string): Promise<void>;
  /** Optional batch form for transaction ingest: one multi-row INSERT per index table. */
  writeMany?(tx: SqlTx, items: readonly { type: string; id: string; resource: Record<string, unknown> }[]): Promise<void>;
}

export interface NewResource {
  type: string;
  id: string;
  resource: Record<string, unknown>;
}

interface PendingInsert {
  items: NewResource[];
  now: string;
  resolve(stored: StoredResource[]): void;
  reject(err: unknown): void;
}

export type WriteConflict = 'version-mismatch' | 'exists';

export class StoreConflict extends Error {
  constructor(readonly reason: WriteConflict, readonly current?: StoredResource) {
    super(reason);
  }
}

export interface HistoryQuery {
  type?: string;
  id?: string;
  since?: string;
  /** Exclusive upper bound on (lastUpdated) — paging cursor. */
  before?: { lastUpdated: string; type: string; id: string; version: number };
  count: number;
}

interface ResourceRow extends Row {
  type: string;
  id: string;
  version: number;
  last_updated: string;
  deleted: number;
  content: string | null;
}

const NO_INDEX: IndexHook = { write: async () => undefined, remove: async () => undefined };

function toStored(row: ResourceRow): StoredResource {
  return {
    type: row.type,
    id: row.id,
    version: Number(row.version),
    lastUpdated: row.last_updated,
    deleted: Number(row.deleted) === 1,
    json: row.content,
  };
}

/** The resource as stored: id and meta.versionId/lastUpdated set; resourceType, id and meta first, as FHIR examples order them. */
function stamp(resource: Record<string, unknown>, id: string, version: number, lastUpdated: string): { stamped: Record<string, unknown>; json: string } {
  const meta = { ...((resource.meta as Record<string, unknown> | undefined) ?? {}), versionId: String(version), lastUpdated };
  const { resourceType, id: _ignored, meta: _oldMeta, ...rest } = resource;
  const stamped = { resourceType, id, meta, ...rest };
  return { stamped, json: JSON.stringify(stamped) };
}

/** A tx whose insertMany calls are held and sent together through insertBatch (one round trip on PostgreSQL). */
function collecting(tx: SqlTx): { tx: SqlTx; flush(): Promise<void> } {
  const parts: InsertPart[] = [];
  const flush = async () => {
    const held = parts.splice(0);
    if (held.length) await tx.insertBatch!(held);
  };
  return {
    flush,
    tx: {
      async query(sql, params) {
        await flush();
        return tx.query(sql, params);
      },
      async run(sql, params) {
        await flush();
        return tx.run(sql, params);
      },
      async insertMany(table, columns, rows) {
        parts.push({ table, columns, rows });
      },
    },
  };
}

export class ResourceStore {
  /** insertNew calls waiting for this turn's shared transaction (SQLite group commit). */
  private group: PendingInsert[] = [];

  private constructor(
    private readonly driver: SqlDriver,
    private readonly db: SqlTx,
    private readonly index: IndexHook,
    private readonly inTx: boolean,
  ) {}

  static open(driver: SqlDriver, index: IndexHook = NO_INDEX): ResourceStore {
    return new ResourceStore(driver, driver, index, false);
  }

  get dialect() {
    return this.driver.dialect;
  }

  /** The connection (or transaction) this store speaks through, for search/ to run its queries. */
  get sql(): SqlTx {
    return this.db;
  }

  get isTransaction(): boolean {
    return this.inTx;
  }

  /** Runs fn in one transaction; nested calls reuse the open one. */
  transaction<T>(fn: (store: ResourceStore) => Promise<T>): Promise<T> {
    if (this.inTx) return fn(this);
    return this.driver.transaction((tx) => fn(new ResourceStore(this.driver, tx, this.index, true)));
  }

  async read(type: string, id: string): Promise<StoredResource | null> {
    const rows = await this.db.query<ResourceRow>(
      'SELECT type, id, version, last_updated, deleted, content FROM resources WHERE type = ? AND id = ?',
      [type, id],
    );
    return rows.length ? toStored(rows[0]) : null;
  }

  async readMany(type: string, ids: readonly string[]): Promise<StoredResource[]> {
    if (ids.length === 0) return [];
    const out: StoredResource[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.db.query<ResourceRow>(
        `SELECT type, id, version, last_updated, deleted, content FROM resources WHERE type = ? AND deleted = 0 AND id IN (${chunk.map(() => '?').join(', ')})`,
        [type, ...chunk],
      );
      out.push(...rows.map(toStored));
    }
    return out;
  }

  async vread(type: string, id: string, version: number): Promise<StoredResource | null> {
    const rows = await this.db.query<ResourceRow>(
      'SELECT type, id, version, last_updated, deleted, content FROM resource_history WHERE type = ? AND id = ? AND version = ?',
      [type, id, version],
    );
    return rows.length ? toStored(rows[0]) : null;
  }

  /**
   * Creates or replaces type/id. `expectVersion` (If-Match) must equal the current version; `mustNotExist`
   * refuses an existing live resource. Retries when a concurrent writer moved the version underneath.
   */
  async put(
    type: string,
    id: string,
    resource: Record<string, unknown>,
    now: string,
    opts: { expectVersion?: number; mustNotExist?: boolean } = {},
  ): Promise<{ stored: StoredResource; created: boolean }> {
    return this.transaction(async (store) => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await store.read(type, id);
        if (opts.mustNotExist && current && !current.deleted) throw new StoreConflict('exists', current);
        if (opts.expectVersion !== undefined && (!current || current.version !== opts.expectVersion)) {
          throw new StoreConflict('version-mismatch', current ?? undefined);
        }
        const version = current ? current.version + 1 : 1;
        const { stamped, json } = stamp(resource, id, version, now);
        if (current) {
          const { changes } = await store.db.run(
            'UPDATE resources SET version = ?, last_updated = ?, deleted = 0, content = ? WHERE type = ? AND id = ? AND version = ?',
            [version, now, json, type, id, current.version],
          );
          if (changes !== 1) continue;
        } else {
          const { changes } = await store.db.run(
            `INSERT INTO resources (type, id, version, last_updated, deleted, content) VALUES (?, ?, ?, ?, 0, ?) ${store.dialect.onConflictDoNothing}`,
            [type, id, version, now, json],
          );
          if (changes !== 1) continue;
        }
        const created = !current || current.deleted;
        await store.db.run(
          'INSERT INTO resource_history (type, id, version, last_updated, deleted, method, content) VALUES (?, ?, ?, ?, 0, ?, ?)',
          [type, id, version, now, current ? 'PUT' : 'POST', json],
        );
        await store.index.write(store.db, type, id, stamped);
        return { stored: { type, id, version, lastUpdated: now, deleted: false, json }, created };
      }
      throw new StoreConflict('version-mismatch');
    });
  }

  /**
   * Inserts many new resources with fresh ids in one go (transaction ingest fast path). Outside a transaction on
   * SQLite, calls arriving in the same event-loop turn share one transaction (group commit, see flushGroup).
   */
  async insertNew(items: NewResource[], now: string): Promise<StoredResource[]> {
    if (this.inTx || this.dialect.name !== 'sqlite') return this.transaction((store) => store.writeNew(items, now));
    return new Promise((resolve, reject) => {
      if (this.group.length === 0) setImmediate(() => void this.flushGroup());
      this.group.push({ items, now, resolve, reject });
    });
  }

  /**
   * One COMMIT for every insertNew of this turn: on SQLite a commit writes whole WAL pages, so concurrent creates
   * sharing it write far fewer bytes. If the shared transaction fails, each call is retried alone, so a failure
   * stays with the call that caused it and every call remains atomic on its own.
   */
  private async flushGroup(): Promise<void> {
    const group = this.group;
    this.group = [];
    if (group.length > 1) {
      try {
        const results = await this.transaction(async (store) => {
          const out: StoredResource[][] = [];
          for (const g of group) out.push(await store.writeNew(g.items, g.now));
          return out;
        });
        group.forEach((g, i) => g.resolve(results[i]));
        return;
      } catch {
        // fall through: retried one by one below
      }
    }
    for (const g of group) await this.transaction((store) => store.writeNew(g.items, g.now)).then(g.resolve, g.reject);
  }

  private async writeNew(items: NewResource[], now: string): Promise<StoredResource[]> {
    const stored: StoredResource[] = [];
    const stampedAll: Record<string, unknown>[] = [];
    const current: SqlValue[][] = [];
    const history: SqlValue[][] = [];
    for (const { type, id, resource } of items) {
      const { stamped, json } = stamp(resource, id, 1, now);
      stampedAll.push(stamped);
      current.push([type, id, 1, now, 0, json]);
      history.push([type, id, 1, now, 0, 'POST', json]);
      stored.push({ type, id, version: 1, lastUpdated: now, deleted: false, json });
    }
    const batch = this.db.insertBatch ? collecting(this.db) : undefined;
    const db = batch?.tx ?? this.db;
    await db.insertMany('resources', ['type', 'id', 'version', 'last_updated', 'deleted', 'content'], current);
    await db.insertMany('resource_history', ['type', 'id', 'version', 'last_updated', 'deleted', 'method', 'content'], history);
    if (this.index.writeMany) {
      await this.index.writeMany(db, items.map((it, i) => ({ type: it.type, id: it.id, resource: stampedAll[i] })));
    } else {
      for (let i = 0; i < items.length; i++) await this.index.write(db, items[i].type, items[i].id, stampedAll[i]);
    }
    await batch?.flush();
    return stored;
  }

  /** Deletes type/id (a new deleted version). Returns null when there was nothing live to delete. */
  async delete(type: string, id: string, now: string, opts: { expectVersion?: number } = {}): Promise<StoredResource | null> {
    return this.transaction(async (store) => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await store.read(type, id);
        if (opts.expectVersion !== undefined && (!current || current.version !== opts.expectVersion)) {
          throw new StoreConflict('version-mismatch', current ?? undefined);
        }
        if (!current || current.deleted) return null;
        const version = current.version + 1;
        const { changes } = await store.db.run(
          'UPDATE resources SET version = ?, last_updated = ?, deleted = 1, content = NULL WHERE type = ? AND id = ? AND version = ?',
          [version, now, type, id, current.version],
        );
        if (changes !== 1) continue;
        await store.db.run(
          "INSERT INTO resource_history (type, id, version, last_updated, deleted, method, content) VALUES (?, ?, ?, ?, 1, 'DELETE', NULL)",
          [type, id, version, now],
        );
        await store.index.remove(store.db, type, id);
        return { type, id, version, lastUpdated: now, deleted: true, json: null };
      }
      throw new StoreConflict('version-mismatch');
    });
  }

  /** History newest first: instance (type+id), type, or system. */
  async history(q: HistoryQuery): Promise<StoredResource[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (q.type) {
      where.push('type = ?');
      params.push(q.type);
    }
    if (q.id) {
      where.push('id = ?');
      params.push(q.id);
    }
    if (q.since) {
      where.push('last_updated >= ?');
      params.push(q.since);
    }
    if (q.before) {
      const b = q.before;
      where.push('(last_updated < ? OR (last_updated = ? AND (type < ? OR (type = ? AND (id < ? OR (id = ? AND version < ?))))))');
      params.push(b.lastUpdated, b.lastUpdated, b.type, b.type, b.id, b.id, b.version);
    }
    const sql = `SELECT type, id, version, last_updated, deleted, content FROM resource_history${
      where.length ? ` WHERE ${where.join(' AND ')}` : ''
    } ORDER BY last_updated DESC, type DESC, id DESC, version DESC LIMIT ?`;
    const rows = await this.db.query<ResourceRow>(sql, [...params, q.count]);
    return rows.map(toStored);
  }

  async countHistory(q: Omit<HistoryQuery, 'count' | 'before'>): Promise<number> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (q.type) (where.push('type = ?'), params.push(q.type));
    if (q.id) (where.push('id = ?'), params.push(q.id));
    if (q.since) (where.push('last_updated >= ?'), params.push(q.since));
    const rows = await this.db.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM resource_history${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
      params,
    );
    return Number(rows[0].n);
  }
}
