// Pages of matches (https://hl7.org/fhir/R4/http.html#paging): the driver's ids, probed against the other sets, then
// sorted and cut before any resource row is read. Unsorted pages read the driver in id order within a bound.
import type { Dialect, SqlValue } from '../store/driver.ts';
import type { ResourceStore, StoredResource } from '../store/resource-store.ts';
import type { DriverChoice } from './estimate.ts';
import type { IdSet } from './plan.ts';
import { invalid } from './parse.ts';
import { afterCursor, encodeCursor, perRow, probes, toStored, type PageRow, type SortExpr } from './query.ts';

/** Driver rows read for one unsorted page at most (tens of ms of probes on SQLite); fewer matches end the page early. */
export const SCAN_BUDGET = 10_000;

interface Candidates {
  sql: string;
  params: SqlValue[];
  /** Order columns of the candidates (`cand.v0 …`, then `cand.id`). */
  order: string[];
  /** Read in index order up to a budget: a short page may mean the budget ran out, not the matches. */
  bounded: boolean;
}

/**
 * A LIMIT written into the SQL: SQLite sizes a top-N sort from a literal limit, but sets up a full sorter for a bound
 * one (measured: 20 µs instead of 5 µs for a one-row page). Page sizes are few, so the statement cache still holds.
 */
function limit(n: number): string {
  return `LIMIT ${Math.trunc(n)}`;
}

/** Where the next unsorted page starts: after an id, or (value order) after a driver row of set `set`. */
export interface ScanCursor {
  id: string;
  set?: number;
  values?: string[];
}

/**
 * The driver's distinct ids (`id`) after the cursor. A small driver is read whole (small at any store size); a large
 * ordered driver, or the live resources of the type, is read in index order up to `budget` rows when one is given.
 */
function candidates(type: string, sets: readonly IdSet[], choice: DriverChoice, after: string | undefined, budget?: number): Candidates {
  const d = choice.set;
  const [from, idCol, where] = d ? [d.from, d.idCol, d.where] : ['resources cr', 'cr.id', `cr.type = ?${mayBeDeleted(sets) ? ' AND cr.deleted = 0' : ''}`];
  const params: SqlValue[] = d ? [...d.params] : [type];
  let sql = `SELECT ${d ? 'DISTINCT ' : ''}${idCol} AS id FROM ${from} WHERE ${where}`;
  if (after !== undefined) (sql += ` AND ${idCol} > ?`, params.push(after));
  if (budget === undefined || (d && choice.rows < Infinity)) return { sql, params, order: ['cand.id'], bounded: false };
  return { sql: `${sql} ORDER BY ${idCol} LIMIT ${budget}`, params, order: ['cand.id'], bounded: true };
}

/**
 * Deleted resources have no index rows of their own, so a positive set on res_id (or on live resources) already
 * rules them out; sets of reference targets (_has, _list) do not. Deleted ids must go before a page is cut.
 */
function mayBeDeleted(sets: readonly IdSet[]): boolean {
  return !sets.some((s) => !s.negate && !s.idCol.endsWith('.target_id'));
}

/** The probes of a page: every set but the driver, and whether a driver's id is still a live resource. */
function pageProbes(type: string, sets: readonly IdSet[], choice: DriverChoice, dialect: Dialect): { parts: string[]; params: SqlValue[] } {
  const p = probes(sets, choice.set, 'cand.id', dialect);
  if (choice.set && mayBeDeleted(sets)) (p.parts.push(`EXISTS (SELECT 1 FROM resources lv WHERE lv.type = ? AND lv.id = cand.id AND lv.deleted = 0${perRow(dialect)})`), p.params.push(type));
  return p;
}

/** A large range set's rows in its index order (value columns, then id), after the cursor, up to `budget`. */
function valueCandidates(d: IdSet, after: ScanCursor | undefined, budget: number): Candidates {
  const cols = [...d.byValue!, d.idCol];
  const params: SqlValue[] = [...d.params];
  let sql = `SELECT DISTINCT ${cols.map((c, i) => (i < cols.length - 1 ? `${c} AS v${i}` : `${c} AS id`)).join(', ')} FROM ${d.from} WHERE ${d.where}`;
  if (after) (sql += ` AND (${cols.join(', ')}) > (${cols.map(() => '?').join(', ')})`, params.push(...after.values!, after.id));
  const order = [...d.byValue!.map((_, i) => `cand.v${i}`), 'cand.id'];
  return { sql: `${sql} ORDER BY ${cols.join(', ')} LIMIT ${budget}`, params, order, bounded: true };
}

/** A resource with several rows in the range is taken at its first one only: no earlier row of it in the set. */
function firstRowOnly(d: IdSet, dialect: Dialect): { sql: string; params: SqlValue[] } {
  const a = d.idCol.split('.')[0];
  const table = d.from.split(' ')[0];
  const again = (sql: string) => sql.replaceAll(`${a}.`, 'dd.');
  const cols = d.byValue!.map(again);
  const hint = dialect.name === 'sqlite' ? ` INDEXED BY ${table}_res` : '';
  return {
    sql: `NOT EXISTS (SELECT 1 FROM ${table} dd${hint} WHERE ${again(d.where)} AND dd.res_id = cand.id AND (${cols.join(', ')}) < (${cols.map((_, i) => `cand.v${i}`).join(', ')})${perRow(dialect)})`,
    params: d.params,
  };
}

/** The resource rows of `ids` (a subquery yielding `id` and the key columns), in the given order. */
function withResources(ids: string, order: string, keyCols: string): string {
  return `SELECT r.type, r.id, r.version, r.last_updated, r.content${keyCols} FROM (${ids}) page
    JOIN resources r ON r.type = ? AND r.id = page.id WHERE r.deleted = 0 ORDER BY ${order}`;
}

/** An unsorted page in id order, or in a range driver's value order; a page the scan budget cut short links on. */
export async function scanPage(
  store: ResourceStore, type: string, sets: readonly IdSet[], choice: DriverChoice, count: number, cursor: ScanCursor | undefined,
  dialect: Dialect, budget = SCAN_BUDGET,
): Promise<{ matches: StoredResource[]; nextCursor?: string }> {
  const byValue = choice.byValue ? choice.set : undefined;
  const c = byValue ? valueCandidates(byValue, cursor, budget) : candidates(type, sets, choice, cursor?.id, budget);
  const p = pageProbes(type, sets, choice, dialect);
  let where = p.parts.join(' AND ');
  if (byValue) {
    // Only rows that match need the first-row check: CASE keeps SQLite from running it first on every candidate.
    const first = firstRowOnly(byValue, dialect).sql;
    where = where ? `CASE WHEN ${where} THEN ${first} ELSE FALSE END` : first;
    p.params.push(...byValue.params);
  }
  const cols = c.order.map((o) => `${o} AS ${o.slice(5)}`).join(', ');
  const ids = `SELECT ${cols} FROM (${c.sql}) cand${where ? ` WHERE ${where}` : ''} ORDER BY ${c.order.join(', ')} ${limit(count + 1)}`;
  const pageOrder = c.order.map((o) => o.replace('cand.', 'page.'));
  const keyCols = pageOrder.slice(0, -1).map((o) => `, ${o}`).join('');
  const rows = await store.sql.query<PageRow>(withResources(ids, pageOrder.join(', '), keyCols), [...c.params, ...p.params, type]);
  const matches = rows.slice(0, count).map(toStored);
  const set = byValue ? sets.indexOf(byValue) : undefined;
  const next = (row: Record<string, unknown>) =>
    encodeCursor(set === undefined ? [String(row.id)] : { set, values: byValue!.byValue!.map((_, i) => String(row[`v${i}`])), id: String(row.id) });
  if (rows.length > count) return { matches, nextCursor: next(rows[count - 1]) };
  if (!c.bounded) return { matches };
  // Fewer matches than asked for: the driver ran out, or the budget did. Then the next page starts after what was read.
  const [last] = await store.sql.query(`SELECT ${cols} FROM (${c.sql}) cand ORDER BY ${c.order.join(', ')} LIMIT 1 OFFSET ${budget - 1}`, c.params);
  return last ? { matches, nextCursor: next(last) } : { matches };
}

/** The cursor of an unsorted page: `[id]`, or `{set, values, id}` naming a range set of this same query. */
export function decodeScanCursor(raw: string, sets: readonly IdSet[]): ScanCursor {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  const text = (x: unknown): x is string => typeof x === 'string' && x.length <= 1000;
  if (Array.isArray(v) && v.length === 1 && text(v[0])) return { id: v[0] };
  const o = v as ScanCursor | undefined;
  const d = typeof o?.set === 'number' ? sets[o.set] : undefined;
  if (!o || !d?.byValue || !text(o.id) || !Array.isArray(o.values) || o.values.length !== d.byValue.length || !o.values.every(text)) {
    throw invalid('_cursor is not a cursor this server issued for this query');
  }
  return { id: o.id, set: o.set, values: o.values };
}

/** A page sorted by `keys` (sort expressions over `cand.id`), then id; callers bound the candidates first. */
export async function sortedPage(
  store: ResourceStore, type: string, sets: readonly IdSet[], choice: DriverChoice, keys: SortExpr[], count: number,
  cursor: SqlValue[] | undefined, dialect: Dialect,
): Promise<{ matches: StoredResource[]; nextCursor?: string }> {
  if (sets.length === 0 && keys.every((k) => k.column)) return resourceOrderPage(store, type, keys, count, cursor);
  const c = candidates(type, sets, choice, undefined);
  const p = pageProbes(type, sets, choice, dialect);
  const after = cursor ? afterCursor(keys, cursor, 'cand.id') : undefined;
  const where = [...p.parts, ...(after ? [after.sql] : [])];
  const order = (t: string) => [...keys.map((k, i) => `${t}k${i}${k.desc ? ' DESC' : ''}`), `${t}id`].join(', ');
  const ids = `SELECT cand.id AS id, ${keys.map((k, i) => `${k.sql} AS k${i}`).join(', ')} FROM (${c.sql}) cand
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order('')} ${limit(count + 1)}`;
  const params = [...keys.flatMap((k) => k.params), ...c.params, ...p.params, ...(after?.params ?? []), type];
  const rows = await store.sql.query<PageRow>(withResources(ids, order('page.'), keys.map((_, i) => `, page.k${i}`).join('')), params);
  return cut(rows, keys, count);
}

/** Every resource of the type by _lastUpdated / _id: straight off (type, last_updated, id) or the primary key. */
async function resourceOrderPage(
  store: ResourceStore, type: string, keys: SortExpr[], count: number, cursor: SqlValue[] | undefined,
): Promise<{ matches: StoredResource[]; nextCursor?: string }> {
  const cols = keys.map((k) => ({ ...k, sql: `r.${k.column}`, params: [] }));
  // Ties broken by id in the direction of the last key, so (type, last_updated, id) serves the whole ORDER BY read
  // backwards too; a mixed direction made SQLite sort every resource sharing a timestamp (seconds at 1 M).
  const idDesc = cols.length > 0 && cols[cols.length - 1].desc;
  const after = cursor ? afterCursor(cols, cursor, 'r.id', idDesc) : undefined;
  const rows = await store.sql.query<PageRow>(
    `SELECT r.type, r.id, r.version, r.last_updated, r.content${cols.map((k, i) => `, ${k.sql} AS k${i}`).join('')} FROM resources r
      WHERE r.type = ? AND r.deleted = 0${after ? ` AND ${after.sql}` : ''}
      ORDER BY ${[...cols.map((k) => `${k.sql}${k.desc ? ' DESC' : ''}`), `r.id${idDesc ? ' DESC' : ''}`].join(', ')} ${limit(count + 1)}`,
    [type, ...(after?.params ?? [])],
  );
  return cut(rows, keys, count);
}

/** The first `count` rows, and a cursor after the last of them when there are more. */
function cut(rows: PageRow[], keys: SortExpr[], count: number): { matches: StoredResource[]; nextCursor?: string } {
  const matches = rows.slice(0, count).map(toStored);
  if (rows.length <= count || count === 0) return { matches };
  const last = rows[count - 1];
  return { matches, nextCursor: encodeCursor([...keys.map((k, i) => (k.numeric ? Number(last[`k${i}`]) : String(last[`k${i}`]))), last.id]) };
}
