// IdSets + sort keys → the page query over `resources`, keyset cursor, and totals.
import type { Dialect, Row, SqlValue } from '../store/driver.ts';
import type { ResourceStore, StoredResource } from '../store/resource-store.ts';
import type { Indexer } from './indexer.ts';
import { invalid, show, type SortKey } from './parse.ts';
import { paramIn, type IdSet } from './plan.ts';

const SORT_COLUMN: Record<string, [string, string]> = {
  date: ['sp_date', 'lo'], string: ['sp_string', 'value'], token: ['sp_token', 'code'], number: ['sp_number', 'value'],
  quantity: ['sp_quantity', 'value'], uri: ['sp_uri', 'value'], reference: ['sp_ref', 'target_id'],
};
/** Estimates stop counting here: a bounded amount of work whatever the query. */
export const ESTIMATE_CAP = 10_000;

interface SortExpr {
  sql: string;
  params: SqlValue[];
  desc: boolean;
  numeric: boolean;
}

/** One sortable expression per key; a resource without a value sorts last in both directions. */
export function sortExprs(indexer: Indexer, type: string, keys: SortKey[], dialect: Dialect): SortExpr[] {
  return keys.map(({ name, desc }) => {
    if (name === '_id') return { sql: 'r.id', params: [], desc, numeric: false };
    if (name === '_lastUpdated') return { sql: 'r.last_updated', params: [], desc, numeric: false };
    const def = indexer.params(type).get(name);
    const col = def && SORT_COLUMN[def.type];
    if (!def || !col) throw invalid(`_sort: ${show(name)} is not a sortable search parameter of ${type}`);
    const numeric = def.type === 'number' || def.type === 'quantity';
    const sentinel = numeric ? (desc ? '-1e300' : '1e300') : desc ? "''" : "'\uffff'";
    const agg = desc ? 'MAX' : 'MIN';
    const pin = paramIn('s', def);
    return {
      sql: `COALESCE((SELECT ${agg}(s.${col[1]}) FROM ${col[0]} s${dialect.name === 'sqlite' ? ` INDEXED BY ${col[0]}_res` : ''} WHERE s.res_type = r.type AND s.res_id = r.id AND ${pin.sql}), ${sentinel})`,
      params: pin.params,
      desc,
      numeric,
    };
  });
}

export function encodeCursor(values: unknown[]): string {
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

/** (k0, k1, …, id) strictly after the cursor, each key in its own direction. */
function afterCursor(keys: SortExpr[], cursor: SqlValue[], idExpr: string): { sql: string; params: SqlValue[] } {
  let sql = `${idExpr} > ?`;
  let params: SqlValue[] = [cursor[keys.length]];
  for (let i = keys.length - 1; i >= 0; i--) {
    const k = keys[i];
    sql = `(${k.sql} ${k.desc ? '<' : '>'} ? OR (${k.sql} = ? AND ${sql}))`;
    params = [...k.params, cursor[i], ...k.params, cursor[i], ...params];
  }
  return { sql, params };
}

/**
 * SQLite without statistics prefers the (res_type, param, value…) index for a per-row probe and scans every row
 * of the parameter; INDEXED BY pins the probe to the (res_type, res_id, param) index. PostgreSQL plans from statistics.
 */
function probeFrom(s: IdSet, dialect: Dialect): string {
  if (dialect.name !== 'sqlite' || !s.idCol.endsWith('.res_id')) return s.from;
  return s.from.replace(/^(sp_[a-z]+) (t\d+)/, '$1 $2 INDEXED BY $1_res');
}

/** WHERE over `resources r`: the most selective positive set drives (IN), the others are probed per row (EXISTS). */
export interface Where {
  /** FROM clause: `resources r`, or the driving index table joined to it. */
  from: string;
  sql: string;
  params: SqlValue[];
  /** The id column pages are ordered and cut on (`r.id`, or the driver's res_id when it drives a join). */
  idExpr: string;
}

const drive = (sets: IdSet[]) => {
  const positive = sets.filter((s) => !s.negate);
  return positive.length ? positive.reduce((a, b) => (b.rank < a.rank ? b : a)) : undefined;
};

function probes(sets: IdSet[], skip: IdSet | undefined, dialect: Dialect, parts: string[], params: SqlValue[]): void {
  for (const s of sets) {
    if (s === skip) continue;
    parts.push(`${s.negate ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${probeFrom(s, dialect)} WHERE ${s.where} AND ${s.idCol} = r.id)`);
    params.push(...s.params);
  }
}

/** For counts and sorted pages: `resources r` filtered by an IN on the driver and EXISTS probes. */
export function whereClause(type: string, sets: IdSet[], dialect: Dialect): Where {
  const parts = ['r.type = ?', 'r.deleted = 0'];
  const params: SqlValue[] = [type];
  const driver = drive(sets);
  if (driver) (parts.push(`r.id IN (SELECT ${driver.idCol} FROM ${driver.from} WHERE ${driver.where})`), params.push(...driver.params));
  probes(sets, driver, dialect, parts, params);
  return { from: 'resources r', sql: parts.join(' AND '), params, idExpr: 'r.id' };
}

/**
 * For pages in id order: the driver's index rows are read in res_id order and joined to resources, so the
 * database stops after one page instead of collecting every match (30 k PHQ-9 scores) and sorting them.
 */
export function drivenClause(type: string, sets: IdSet[], dialect: Dialect): Where {
  const driver = drive(sets);
  if (!driver || !driver.idCol.endsWith('.res_id')) return whereClause(type, sets, dialect);
  const parts = [driver.where, 'r.type = ?', 'r.deleted = 0'];
  const params: SqlValue[] = [...driver.params, type];
  probes(sets, driver, dialect, parts, params);
  return { from: `${driver.from} JOIN resources r ON r.id = ${driver.idCol}`, sql: parts.join(' AND '), params, idExpr: driver.idCol };
}

interface PageRow extends Row {
  type: string;
  id: string;
  version: number;
  last_updated: string;
  content: string;
}

export async function queryPage(
  store: ResourceStore, where: Where, keys: SortExpr[], count: number, cursor: SqlValue[] | undefined,
): Promise<{ matches: StoredResource[]; nextCursor?: string }> {
  const after = cursor ? afterCursor(keys, cursor, where.idExpr) : undefined;
  const select = keys.map((k, i) => `${k.sql} AS k${i}`);
  const sql = `SELECT r.type, r.id, r.version, r.last_updated, r.content${select.length ? `, ${select.join(', ')}` : ''}
    FROM ${where.from} WHERE ${where.sql}${after ? ` AND ${after.sql}` : ''}
    ORDER BY ${[...keys.map((k, i) => `k${i}${k.desc ? ' DESC' : ''}`), where.idExpr].join(', ')} LIMIT ?`;
  const params = [...keys.flatMap((k) => k.params), ...where.params, ...(after?.params ?? [])];
  let rows: PageRow[] = [];
  // A driving join yields a resource once per matching index row; de-duplicate, and widen the window if that cost rows.
  for (let limit = count + 1; ; limit *= 4) {
    const raw = await store.sql.query<PageRow>(sql, [...params, limit]);
    rows = raw.filter((r, i) => i === 0 || r.id !== raw[i - 1].id);
    if (rows.length > count || raw.length < limit || limit > 100_000) break;
  }
  const matches = rows.slice(0, count).map((r) => ({
    type: r.type, id: r.id, version: Number(r.version), lastUpdated: r.last_updated, deleted: false, json: r.content,
  }));
  if (rows.length <= count || count === 0) return { matches };
  const last = rows[count - 1];
  return { matches, nextCursor: encodeCursor([...keys.map((k, i) => (k.numeric ? Number(last[`k${i}`]) : String(last[`k${i}`]))), last.id]) };
}

export async function countMatches(store: ResourceStore, where: Where, exact: boolean): Promise<number> {
  const sql = exact
    ? `SELECT COUNT(*) AS n FROM resources r WHERE ${where.sql}`
    : `SELECT COUNT(*) AS n FROM (SELECT 1 FROM resources r WHERE ${where.sql} LIMIT ${ESTIMATE_CAP + 1}) x`;
  const rows = await store.sql.query<{ n: number | string }>(sql, where.params);
  return Number(rows[0].n);
}
