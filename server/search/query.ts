// Sort keys, keyset cursor, EXISTS probes and counts over IdSets (the pages themselves: page.ts).
import type { Dialect, Row, SqlValue } from '../store/driver.ts';
import type { ResourceStore, StoredResource } from '../store/resource-store.ts';
import type { Indexer } from './indexer.ts';
import { invalid, show, type SortKey } from './parse.ts';
import type { DriverChoice } from './estimate.ts';
import { paramIn, type IdSet } from './plan.ts';

const SORT_COLUMN: Record<string, [string, string]> = {
  date: ['sp_date', 'lo'], string: ['sp_string', 'value'], token: ['sp_token', 'code'], number: ['sp_number', 'value'],
  quantity: ['sp_quantity', 'value'], uri: ['sp_uri', 'value'], reference: ['sp_ref', 'target_id'],
};
/** Estimates stop counting here: a bounded amount of work whatever the query. */
export const ESTIMATE_CAP = 10_000;

export interface SortExpr {
  sql: string;
  /** For _id and _lastUpdated: the resources column, so a search with no other condition reads it in index order. */
  column?: string;
  params: SqlValue[];
  desc: boolean;
  numeric: boolean;
}

/** One sortable expression per key of the resource whose id is `id`; one without a value sorts last in both directions. */
export function sortExprs(indexer: Indexer, type: string, keys: SortKey[], dialect: Dialect, id: string): SortExpr[] {
  return keys.map(({ name, desc }) => {
    if (name === '_id') return { sql: id, column: 'id', params: [], desc, numeric: false };
    if (name === '_lastUpdated') {
      return { sql: `(SELECT u.last_updated FROM resources u WHERE u.type = ? AND u.id = ${id})`, column: 'last_updated', params: [type], desc, numeric: false };
    }
    const def = indexer.params(type).get(name);
    const col = def && SORT_COLUMN[def.type];
    if (!def || !col) throw invalid(`_sort: ${show(name)} is not a sortable search parameter of ${type}`);
    const numeric = def.type === 'number' || def.type === 'quantity';
    const sentinel = numeric ? (desc ? '-1e300' : '1e300') : desc ? "''" : "'\uffff'";
    const agg = desc ? 'MAX' : 'MIN';
    const pin = paramIn('s', def);
    return {
      sql: `COALESCE((SELECT ${agg}(s.${col[1]}) FROM ${col[0]} s${dialect.name === 'sqlite' ? ` INDEXED BY ${col[0]}_res` : ''} WHERE s.res_type = ? AND s.res_id = ${id} AND ${pin.sql}), ${sentinel})`,
      params: [type, ...pin.params],
      desc,
      numeric,
    };
  });
}

export function encodeCursor(values: unknown): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

export function decodeCursor(raw: string, keys: SortExpr[]): SqlValue[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  const ok = Array.isArray(values) && values.length === keys.length + 1 &&
    values.every((v, i) => (i < keys.length && keys[i].numeric ? typeof v === 'number' : typeof v === 'string' && v.length <= 1000));
  if (!ok) throw invalid('_cursor is not a cursor this server issued for this query');
  return values as SqlValue[];
}

/** (k0, k1, …, id) strictly after the cursor, each key in its own direction (the id ascending unless idDesc). */
export function afterCursor(keys: SortExpr[], cursor: SqlValue[], idExpr: string, idDesc = false): { sql: string; params: SqlValue[] } {
  let sql = `${idExpr} ${idDesc ? '<' : '>'} ?`;
  let params: SqlValue[] = [cursor[keys.length]];
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i];
    sql = `(${k.sql} ${k.desc ? '<' : '>'} ? OR (${k.sql} = ? AND ${sql}))`;
    params = [...k.params, cursor[i], ...k.params, cursor[i], ...params];
  }
  return { sql, params };
}

/**
 * SQLite picks a probe's index poorly without statistics (it would walk every row of the parameter), so pin it: an
 * equality on the whole value prefix seeks (res_type, param, value…, res_id) directly, a covering lookup; anything
 * else goes through the resource's own rows (res_type, res_id, param). PostgreSQL plans from statistics.
 */
function probeFrom(s: IdSet, dialect: Dialect): string {
  if (dialect.name !== 'sqlite' || !s.idCol.endsWith('.res_id') || !s.from.startsWith('sp_')) return s.from;
  const [table, alias] = s.from.split(' ', 2);
  if (!/^t\d+$/.test(alias)) return s.from;
  return `${table} ${alias} INDEXED BY ${table}_${s.ordered ? 'value' : 'res'}${s.from.slice(table.length + alias.length + 1)}`;
}

/**
 * Ends a per-candidate EXISTS. PostgreSQL turns a plain EXISTS into a semi-join and, with the generic plan of a
 * prepared statement, may merge it with every row of the probed value (measured: the 11,791 lithium rows of a
 * 100 k store for one patient's 88 observations); an OFFSET keeps it a lookup per candidate.
 */
export function perRow(dialect: Dialect): string {
  return dialect.name === 'postgres' ? ' OFFSET 0' : '';
}

/** EXISTS / NOT EXISTS per candidate `id` (an id expression) for every set but the driver. */
export function probes(sets: readonly IdSet[], skip: IdSet | undefined, id: string, dialect: Dialect): { parts: string[]; params: SqlValue[] } {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  for (const s of sets) {
    if (s === skip) continue;
    parts.push(`${s.negate ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${probeFrom(s, dialect)} WHERE ${s.where} AND ${s.idCol} = ${id}${perRow(dialect)})`);
    params.push(...s.params);
  }
  return { parts, params };
}

/** WHERE over `resources r` for counts and sorted pages: an IN on the driver, EXISTS probes for the other sets. */
export interface Where {
  sql: string;
  params: SqlValue[];
}

export function whereClause(type: string, sets: readonly IdSet[], choice: DriverChoice, dialect: Dialect): Where {
  const parts = ['r.type = ?', 'r.deleted = 0'];
  const params: SqlValue[] = [type];
  const d = choice.set;
  if (d) (parts.push(`r.id IN (SELECT ${d.idCol} FROM ${d.from} WHERE ${d.where})`), params.push(...d.params));
  const p = probes(sets, d, 'r.id', dialect);
  return { sql: [...parts, ...p.parts].join(' AND '), params: [...params, ...p.params] };
}

/** Rows of the driver (or of the type) up to `cap`: an index range read, no probes. */
export async function countCandidates(store: ResourceStore, type: string, choice: DriverChoice, cap: number): Promise<number> {
  const d = choice.set;
  const [from, where, params] = d ? [d.from, d.where, d.params] : ['resources x', 'x.type = ? AND x.deleted = 0', [type]];
  const rows = await store.sql.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${from} WHERE ${where} LIMIT ${Math.trunc(cap) + 1}) x`, params);
  return Number(rows[0].n);
}

export interface PageRow extends Row {
  type: string;
  id: string;
  version: number;
  last_updated: string;
  content: string;
}

export function toStored(r: PageRow): StoredResource {
  return { type: r.type, id: r.id, version: Number(r.version), lastUpdated: r.last_updated, deleted: false, json: r.content };
}

export async function countMatches(store: ResourceStore, where: Where, exact: boolean): Promise<number> {
  const sql = exact
    ? `SELECT COUNT(*) AS n FROM resources r WHERE ${where.sql}`
    : `SELECT COUNT(*) AS n FROM (SELECT 1 FROM resources r WHERE ${where.sql} LIMIT ${ESTIMATE_CAP + 1}) x`;
  const rows = await store.sql.query<{ n: number | string }>(sql, where.params);
  return Number(rows[0].n);
}
