// SQL conditions on one index row per parameter type and value (https://hl7.org/fhir/R4/search.html#prefix).
import type { SqlValue } from '../store/driver.ts';
import { dateRange } from './dates.ts';
import { invalid, parsePrefix, show, splitEscaped, type Prefix } from './parse.ts';
import { normaliseUcum, UCUM } from './ucum.ts';
import { normaliseString } from './values.ts';

export interface Cond {
  sql: string;
  params: SqlValue[];
  /** Equality on the whole value index prefix, so the index yields res_id in order (a LIMIT can stop early). */
  ordered?: boolean;
  /** No index range serves it (LIKE, a system without code): it is probed per row, never read whole. */
  unindexed?: boolean;
  /** An index range on these columns, which the index then orders with res_id last (page.ts reads it in that order). */
  range?: string[];
}

export const unescape = (v: string): string => splitEscaped(v, '\u0000')[0];

/** The smallest string greater than every string starting with `prefix` (byte / code point order). */
export function prefixEnd(prefix: string): string {
  const cps = [...prefix];
  const last = cps.pop()!;
  return cps.join('') + String.fromCodePoint(last.codePointAt(0)! + 1);
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

const NUMBER_RE = /^[+-]?(\d+)(\.(\d+))?([eE]([+-]?\d{1,3}))?$/;

/** A search number and half the unit of its last significant digit (implicit precision). */
export function parseNumber(raw: string, what: string): { v: number; delta: number } {
  const m = NUMBER_RE.exec(raw);
  if (!m) throw invalid(`${what}: ${show(raw)} is not a number`);
  const decimals = m[3]?.length ?? 0;
  const exp = m[5] ? Number(m[5]) : 0;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw invalid(`${what}: ${show(raw)} is out of range`);
  return { v, delta: 0.5 * 10 ** (exp - decimals) };
}

/** Numeric comparison on column `c` with the FHIR prefix semantics. */
export function numberCond(c: string, prefix: Prefix, v: number, delta: number, scale = 1): Cond {
  const x = v * scale;
  const d = delta * scale;
  switch (prefix) {
    case 'eq':
      return { sql: `${c} >= ? AND ${c} < ?`, params: [x - d, x + d] };
    case 'ne':
      return { sql: `(${c} < ? OR ${c} >= ?)`, params: [x - d, x + d] };
    case 'gt':
    case 'sa':
      return { sql: `${c} > ?`, params: [x] };
    case 'lt':
    case 'eb':
      return { sql: `${c} < ?`, params: [x] };
    case 'ge':
      return { sql: `${c} >= ?`, params: [x] };
    case 'le':
      return { sql: `${c} <= ?`, params: [x] };
    case 'ap': {
      const w = Math.max(Math.abs(x) * 0.1, d);
      return { sql: `${c} >= ? AND ${c} <= ?`, params: [x - w, x + w] };
    }
  }
}

export function numberValueCond(a: string, raw: string, name: string): Cond {
  const [prefix, rest] = parsePrefix(raw);
  const { v, delta } = parseNumber(rest, name);
  return numberCond(`${a}.value`, prefix, v, delta);
}

/** The column orders of sp_date_value (res_type, param, lo, hi, res_id) and sp_date_hi (res_type, param, hi, lo, res_id). */
const BY_LO = ['lo', 'hi'];
const BY_HI = ['hi', 'lo'];

/**
 * Date search on the [lo, hi) columns: the target range against the search range [slo, shi). Each prefix keeps the
 * R4 meaning, written so one bound is an index range on lo (sp_date_value) or hi (sp_date_hi) and the rest filters
 * inside it: ge ≡ hi > shi OR (lo >= slo AND hi <= shi), and since lo < hi both alternatives imply hi > slo.
 */
export function dateCond(a: string, raw: string, now: Date): Cond {
  const [prefix, rest] = parsePrefix(raw);
  let [slo, shi] = dateRange(rest);
  const lo = `${a}.lo`;
  const hi = `${a}.hi`;
  switch (prefix) {
    case 'eq':
      return { sql: `${lo} >= ? AND ${lo} < ? AND ${hi} <= ?`, params: [slo, shi, shi], range: BY_LO };
    case 'ne':
      return { sql: `(${lo} < ? OR ${hi} > ?)`, params: [slo, shi] };
    case 'gt':
      return { sql: `${hi} > ?`, params: [shi], range: BY_HI };
    case 'lt':
      return { sql: `${lo} < ?`, params: [slo], range: BY_LO };
    case 'ge':
      return { sql: `${hi} > ? AND (${hi} > ? OR ${lo} >= ?)`, params: [slo, shi, slo], range: BY_HI };
    case 'le':
      // lt ≡ lo < slo, or contained: lo >= slo AND hi <= shi; both imply lo < shi.
      return { sql: `${lo} < ? AND (${lo} < ? OR ${hi} <= ?)`, params: [shi, slo, shi], range: BY_LO };
    case 'sa':
      return { sql: `${lo} >= ?`, params: [shi], range: BY_LO };
    case 'eb':
      return { sql: `${hi} <= ?`, params: [slo], range: BY_HI };
    case 'ap': {
      // ±10 % of the distance to now, at least one day (https://hl7.org/fhir/R4/search.html#prefix).
      const t0 = Date.parse(slo);
      const t1 = Date.parse(shi);
      const gap = Math.max(Math.abs(now.getTime() - t0) * 0.1, 86_400_000);
      slo = new Date(Math.max(t0 - gap, -62135596800000)).toISOString();
      shi = new Date(Math.min(t1 + gap, 253402300799999)).toISOString();
      // Neither bound alone is a tight range: no value order (the window is found by probing).
      return { sql: `${lo} < ? AND ${hi} > ?`, params: [shi, slo] };
    }
  }
}

/** String search: prefix by default, :exact, :contains (at least 3 characters: a shorter one would match nearly every row). */
export function stringCond(a: string, raw: string, modifier: string | undefined, name: string): Cond {
  const value = unescape(raw);
  const norm = normaliseString(value);
  if (modifier === 'exact') return { sql: `${a}.value = ? AND ${a}.exact = ?`, params: [norm, value], ordered: true };
  if (norm.length === 0) throw invalid(`${name}: an empty string matches nothing useful`);
  if (modifier === 'contains') {
    if ([...norm].length < 3) throw invalid(`${name}:contains needs at least 3 characters`);
    return { sql: `${a}.value LIKE ? ESCAPE '\\'`, params: [`%${escapeLike(norm)}%`], unindexed: true };
  }
  return { sql: `${a}.value >= ? AND ${a}.value < ?`, params: [norm, prefixEnd(norm)], range: ['value'] };
}

/** Token `[system]|[code]`, `|code`, `system|`, `code`. */
export function tokenCond(a: string, raw: string): Cond {
  const parts = splitEscaped(raw, '|');
  if (parts.length > 2) throw invalid(`Token ${show(raw)} has more than one unescaped "|"`);
  if (parts.length === 1) {
    if (!parts[0]) throw invalid('An empty token matches nothing');
    return { sql: `${a}.code = ?`, params: [parts[0]] };
  }
  const [system, code] = parts;
  if (!code && !system) throw invalid('A token needs a system or a code');
  if (!code) return { sql: `${a}.system = ?`, params: [system], unindexed: true };
  return { sql: `${a}.code = ? AND ${a}.system = ?`, params: [code, system], ordered: true };
}

/** Token :text — word-prefix match on the normalised display text. */
export function tokenTextCond(a: string, raw: string): Cond {
  const norm = normaliseString(unescape(raw));
  if (!norm) throw invalid(':text needs a value');
  const like = escapeLike(norm);
  return { sql: `(${a}.text LIKE ? ESCAPE '\\' OR ${a}.text LIKE ? ESCAPE '\\')`, params: [`${like}%`, `% ${like}%`], unindexed: true };
}

/** Quantity `[prefix]number|system|code`; UCUM units compare on the canonical value. */
export function quantityCond(a: string, raw: string, name: string): Cond {
  const parts = splitEscaped(raw, '|');
  if (parts.length !== 1 && parts.length !== 3) throw invalid(`${name}: ${show(raw)} is not [prefix]number|system|code`);
  const [prefix, rest] = parsePrefix(parts[0]);
  const { v, delta } = parseNumber(rest, name);
  const [system, code] = parts.length === 3 ? [parts[1], parts[2]] : ['', ''];
  if (system === UCUM && code) {
    const n = normaliseUcum(1, code);
    if (n) {
      const c = numberCond(`${a}.nvalue`, prefix, v, delta, n.value);
      return { sql: `${a}.ncode = ? AND ${c.sql}`, params: [n.code, ...c.params] };
    }
  }
  const c = numberCond(`${a}.value`, prefix, v, delta);
  const where = [c.sql];
  const params = [...c.params];
  if (code) (where.push(`${a}.code = ?`), params.push(code));
  if (system) (where.push(`${a}.system = ?`), params.push(system));
  return { sql: where.join(' AND '), params };
}

/** uri: exact, :below (path prefix), :above (the value or any of its parent paths). */
export function uriCond(a: string, raw: string, modifier: string | undefined): Cond {
  const value = unescape(raw);
  if (modifier === 'below') return { sql: `(${a}.value = ? OR ${a}.value LIKE ? ESCAPE '\\')`, params: [value, `${escapeLike(value.replace(/\/$/, ''))}/%`], unindexed: true };
  if (modifier === 'above') {
    const parents: string[] = [];
    const parts = value.split('/');
    for (let i = parts.length; i >= 3; i--) parents.push(parts.slice(0, i).join('/'));
    if (parents.length === 0) parents.push(value);
    return { sql: `${a}.value IN (${parents.map(() => '?').join(', ')})`, params: parents };
  }
  return { sql: `${a}.value = ?`, params: [value] };
}

/** _lastUpdated: a point in time (one column) against the search range. */
export function instantCond(c: string, raw: string, now: Date): Cond {
  const [prefix, rest] = parsePrefix(raw);
  let [slo, shi] = dateRange(rest);
  switch (prefix) {
    case 'eq':
      return { sql: `${c} >= ? AND ${c} < ?`, params: [slo, shi] };
    case 'ne':
      return { sql: `(${c} < ? OR ${c} >= ?)`, params: [slo, shi] };
    case 'gt':
    case 'sa':
      return { sql: `${c} >= ?`, params: [shi] };
    case 'lt':
    case 'eb':
      return { sql: `${c} < ?`, params: [slo] };
    case 'ge':
      return { sql: `${c} >= ?`, params: [slo] };
    case 'le':
      return { sql: `${c} < ?`, params: [shi] };
    case 'ap': {
      const gap = Math.max(Math.abs(now.getTime() - Date.parse(slo)) * 0.1, 86_400_000);
      slo = new Date(Date.parse(slo) - gap).toISOString();
      shi = new Date(Date.parse(shi) + gap).toISOString();
      return { sql: `${c} >= ? AND ${c} < ?`, params: [slo, shi] };
    }
  }
}
