// PostgreSQL driver (node-postgres pool). `?` placeholders are rewritten to `$n` once per SQL text.
import pg from 'pg';
import type { Dialect, Row, SqlDriver, SqlTx, SqlValue } from './driver.ts';

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

function txOn(client: Queryable): SqlTx {
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
      // PostgreSQL allows 65,535 bind parameters per statement.
      const perChunk = Math.max(1, Math.floor(60_000 / columns.length));
      for (let start = 0; start < rows.length; start += perChunk) {
        const chunk = rows.slice(start, start + perChunk);
        const values: unknown[] = [];
        const tuples = chunk.map((row) => {
          const marks = row.map((v) => {
            values.push(v);
            return `$${values.length}`;
          });
          return `(${marks.join(', ')})`;
        });
        await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, values);
      }
    },
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
  const direct = txOn(pool);
  return {
    dialect: PG_DIALECT,
    ...direct,
    async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(txOn(client));
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
