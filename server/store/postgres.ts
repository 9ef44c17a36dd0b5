// PostgreSQL driver (node-postgres pool). `?` placeholders are rewritten to `$n` once per SQL text.
import pg from 'pg';
import type { Dialect, InsertPart, Row, SqlDriver, SqlTx, SqlValue } from './driver.ts';

const PG_DIALECT: Dialect = { name: 'postgres', ilike: 'ILIKE', onConflictDoNothing: 'ON CONFLICT DO NOTHING' };

interface Prepared {
  name?: string;
  text: string;
}

/** Beyond this many distinct texts (generated search SQL), statements run unnamed so memory stays bounded. */
const MAX_PREPARED = 2000;

// Each distinct SQL text becomes a named prepared statement (parsed once per connection, not per query).
const prepared = new Map<string, Prepared>();
function toPg(sql: string): Prepared {
  let out = prepared.get(sql);
  if (out === undefined) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    if (prepared.size >= MAX_PREPARED) return { text };
    out = { name: `t${prepared.size}`, text };
    prepared.set(sql, out);
  }
  return out;
}

interface Queryable {
  query(config: pg.QueryConfig | string, values?: unknown[]): Promise<pg.QueryResult>;
}

type ColumnTypes = (client: Queryable, table: string) => Promise<Map<string, string>>;

/** Column types per table, read once from the catalogue (through search_path) for the unnest casts of insertMany. */
function columnTypesCache(): ColumnTypes {
  const tables = new Map<string, Promise<Map<string, string>>>();
  return (client, table) => {
    let types = tables.get(table);
    if (!types) {
      types = client
        .query({
          text: 'SELECT attname, format_type(atttypid, NULL) AS t FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
          values: [table],
        })
        .then((res) => new Map(res.rows.map((r: { attname: string; t: string }) => [r.attname, r.t])));
      types.catch(() => tables.delete(table));
      tables.set(table, types);
    }
    return types;
  };
}

function txOn(client: Queryable, columnTypes: ColumnTypes): SqlTx {
  const insertBatch = async (parts: readonly InsertPart[]): Promise<void> => {
    // One array per column through unnest: a fixed statement text (prepared once per connection) whatever the
    // row count, instead of a multi-row VALUES with thousands of parameters to parse and plan per call. Several
    // tables become data-modifying CTEs of one statement: one round trip for a whole write.
    const live = parts.filter((p) => p.rows.length > 0);
    if (live.length === 0) return;
    const values: unknown[] = [];
    const inserts: string[] = [];
    for (const { table, columns, rows } of live) {
      const types = await columnTypes(client, table);
      const casts = columns.map((col, c) => {
        values.push(rows.map((row) => row[c]));
        return `?::${types.get(col) ?? 'text'}[]`;
      });
      inserts.push(`INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${casts.join(', ')})`);
    }
    const last = inserts.pop()!;
    const sql = inserts.length ? `WITH ${inserts.map((s, i) => `w${i} AS (${s})`).join(', ')} ${last}` : last;
    await client.query({ ...toPg(sql), values });
  };
  return {
    async query<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      const res = await client.query({ ...toPg(sql), values: params as unknown[] });
      return res.rows as T[];
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      const res = await client.query({ ...toPg(sql), values: params as unknown[] });
      return { changes: res.rowCount ?? 0 };
    },
    async insertMany(table, columns, rows) {
      await insertBatch([{ table, columns, rows }]);
    },
    insertBatch,
  };
}

export function openPostgres(url: string, opts: { poolSize?: number; schema?: string } = {}): SqlDriver {
  if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema)) throw new Error('schema must be a plain identifier');
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const columnTypes = columnTypesCache();
  const direct = txOn(pool, columnTypes);
  return {
    dialect: PG_DIALECT,
    location: { kind: 'postgres', url, ...(opts.schema !== undefined && { schema: opts.schema }) },
    ...direct,
    async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(txOn(client, columnTypes));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async close() {
      await pool.end();
    },
  };
}
