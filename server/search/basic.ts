// The REST core's search: _id, _lastUpdated, _count, _total, _summary, _elements and keyset paging over resources.
import { FhirError } from '../fhir/errors.ts';
import type { SqlValue } from '../store/driver.ts';
import type { ResourceStore, StoredResource } from '../store/resource-store.ts';
import type { SearchEngine, SearchRequest, SearchResult } from './engine.ts';

const DEFAULT_COUNT = 20;
const MAX_COUNT = 1000;
const CONTROL = new Set(['_count', '_total', '_summary', '_elements', '_cursor', '_format', '_pretty']);
const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb'] as const;
const DATE_RE = /^(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))?)?)?)?$/;

interface Clause {
  sql: string;
  params: SqlValue[];
}

/** A FHIR date/dateTime value as the [lo, hi) range of instants it covers. */
export function dateRange(value: string): [string, string] {
  const m = DATE_RE.exec(value);
  if (!m) throw new FhirError('invalid', `"${value.slice(0, 60)}" is not a valid FHIR date`);
  const year = Number(m[1]);
  if (!m[2]) return [`${m[1]}-01-01T00:00:00.000Z`, `${year + 1}-01-01T00:00:00.000Z`];
  const month = Number(m[3]);
  if (!m[4]) {
    const next = month === 12 ? `${year + 1}-01` : `${m[1]}-${String(month + 1).padStart(2, '0')}`;
    return [`${m[1]}-${m[3]}-01T00:00:00.000Z`, `${next}-01T00:00:00.000Z`];
  }
  if (!m[6]) {
    const start = new Date(`${m[1]}-${m[3]}-${m[5]}T00:00:00.000Z`);
    if (Number.isNaN(start.getTime()) || start.getUTCDate() !== Number(m[5])) throw new FhirError('invalid', `"${value}" is not a valid date`);
    return [start.toISOString(), new Date(start.getTime() + 86_400_000).toISOString()];
  }
  const hasSeconds = m[8] !== undefined;
  const withZone = m[10] ? value : `${value}Z`;
  const instant = new Date(hasSeconds ? withZone : withZone.replace(/(T\d\d:\d\d)/, '$1:00'));
  if (Number.isNaN(instant.getTime())) throw new FhirError('invalid', `"${value}" is not a valid dateTime`);
  const width = m[9] ? 1 : hasSeconds ? 1000 : 60_000;
  return [instant.toISOString(), new Date(instant.getTime() + width).toISOString()];
}

function lastUpdatedClause(raw: string): Clause {
  const prefix = PREFIXES.find((p) => raw.startsWith(p)) ?? 'eq';
  const value = PREFIXES.some((p) => raw.startsWith(p)) ? raw.slice(2) : raw;
  const [lo, hi] = dateRange(value);
  switch (prefix) {
    case 'eq':
      return { sql: 'last_updated >= ? AND last_updated < ?', params: [lo, hi] };
    case 'ne':
      return { sql: '(last_updated < ? OR last_updated >= ?)', params: [lo, hi] };
    case 'gt':
    case 'sa':
      return { sql: 'last_updated >= ?', params: [hi] };
    case 'lt':
    case 'eb':
      return { sql: 'last_updated < ?', params: [lo] };
    case 'ge':
      return { sql: 'last_updated >= ?', params: [lo] };
    case 'le':
      return { sql: 'last_updated < ?', params: [hi] };
  }
}

export function parseCount(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_COUNT;
  if (!/^\d{1,7}$/.test(raw)) throw new FhirError('invalid', `_count must be a non-negative integer, got "${raw.slice(0, 40)}"`);
  return Math.min(Number(raw), MAX_COUNT);
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeCursor(raw: string): string {
  const id = Buffer.from(raw, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw new FhirError('invalid', '_cursor is not a cursor this server issued');
  return id;
}

export function createBasicSearch(): SearchEngine {
  return {
    indexHook: { write: async () => undefined, remove: async () => undefined },
    migrations: [],
    supportedParams: () => [
      { name: '_id', type: 'token' },
      { name: '_lastUpdated', type: 'date' },
    ],
    async search(store: ResourceStore, req: SearchRequest): Promise<SearchResult> {
      if (!req.type) throw new FhirError('not-supported', 'System-level search is not supported');
      if (req.compartment) throw new FhirError('not-supported', 'Compartment search is not supported yet');
      const clauses: Clause[] = [];
      const self: [string, string][] = [];
      const warnings: string[] = [];
      const get = (name: string) => req.params.find(([k]) => k === name)?.[1];
      for (const [name, value] of req.params) {
        if (name === '_id') {
          const ids = value.split(',');
          clauses.push({ sql: `id IN (${ids.map(() => '?').join(', ')})`, params: ids });
          self.push([name, value]);
        } else if (name === '_lastUpdated') {
          clauses.push(lastUpdatedClause(value));
          self.push([name, value]);
        } else if (!CONTROL.has(name)) {
          if (req.strict) throw new FhirError('invalid', `Unknown search parameter "${name.slice(0, 80)}" for ${req.type}`);
          warnings.push(`Search parameter "${name.slice(0, 80)}" is not supported and was ignored`);
        }
      }
      const count = parseCount(get('_count'));
      const summary = get('_summary');
      const total = get('_total');
      if (total && !['none', 'estimate', 'accurate'].includes(total)) throw new FhirError('invalid', '_total must be none, estimate or accurate');
      if (summary && !['true', 'text', 'data', 'count', 'false'].includes(summary)) throw new FhirError('invalid', '_summary must be true, text, data, count or false');
      const cursorRaw = get('_cursor');
      const where = ['type = ?', 'deleted = 0', ...clauses.map((c) => c.sql)];
      const params: SqlValue[] = [req.type, ...clauses.flatMap((c) => c.params)];
      const countOnly = summary === 'count';
      let totalValue: number | undefined;
      if (countOnly || total === 'accurate' || total === 'estimate') {
        const rows = await store.sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM resources WHERE ${where.join(' AND ')}`, params);
        totalValue = Number(rows[0].n);
      }
      let matches: StoredResource[] = [];
      let next: [string, string][] | undefined;
      if (!countOnly && count > 0) {
        const pageWhere = cursorRaw ? [...where, 'id > ?'] : where;
        const pageParams = cursorRaw ? [...params, decodeCursor(cursorRaw)] : params;
        const rows = await store.sql.query<Record<string, unknown>>(
          `SELECT type, id, version, last_updated, deleted, content FROM resources WHERE ${pageWhere.join(' AND ')} ORDER BY id LIMIT ?`,
          [...pageParams, count + 1],
        );
        matches = rows.slice(0, count).map((r) => ({
          type: String(r.type),
          id: String(r.id),
          version: Number(r.version),
          lastUpdated: String(r.last_updated),
          deleted: false,
          json: r.content as string,
        }));
        if (rows.length > count) next = [...self, ['_count', String(count)], ['_cursor', encodeCursor(matches[matches.length - 1].id)]];
      }
      if (get('_count') !== undefined) self.push(['_count', String(count)]);
      const elements = get('_elements')?.split(',').map((e) => e.trim()).filter(Boolean);
      return {
        matches,
        includes: [],
        total: totalValue,
        self,
        next,
        warnings,
        countOnly,
        elements,
        summary: summary as SearchResult['summary'],
      };
    },
  };
}
