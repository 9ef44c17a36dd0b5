// _include / _revinclude (with :iterate and *) over the reference index (https://hl7.org/fhir/R4/search.html#include).
import { FhirError } from '../fhir/errors.ts';
import type { SqlValue } from '../store/driver.ts';
import type { ResourceStore, StoredResource } from '../store/resource-store.ts';
import type { Indexer } from './indexer.ts';
import { show, type IncludeSpec } from './parse.ts';

export const MAX_INCLUDED = 1000;
const MAX_ROUNDS = 4;
const CHUNK = 500;

/** Stored reference parameters read by an include (aliases resolved; `*` = every reference parameter). */
function refParams(indexer: Indexer, type: string, param: string): { names: string[]; targetType?: string } {
  if (param === '*') return { names: [...indexer.params(type).values()].filter((p) => p.type === 'reference' && p.stored[0] === p.name).map((p) => p.name) };
  const def = indexer.params(type).get(param);
  return def ? { names: def.stored, targetType: def.targetType } : { names: [] };
}

/** Checks the include parameters against the table; unknown ones are reported as not-supported. */
export function checkIncludes(indexer: Indexer, type: string, specs: IncludeSpec[]): void {
  for (const s of specs) {
    if (s.param === '*') continue;
    const def = indexer.params(s.source).get(s.param);
    if (!def || def.type !== 'reference') throw new FhirError('not-supported', `${s.raw[0]}: ${show(`${s.source}:${s.param}`)} is not a reference parameter`);
    if (s.target && def.def.targets && !def.def.targets.includes(s.target)) throw new FhirError('not-supported', `${s.raw[0]}: ${show(s.raw[1])} names a type the parameter cannot refer to`);
    if (s.reverse && def.def.targets && !s.iterate && !def.def.targets.includes(type)) {
      throw new FhirError('not-supported', `_revinclude: ${show(s.raw[1])} cannot refer to ${type}`);
    }
  }
}

async function forward(store: ResourceStore, indexer: Indexer, spec: IncludeSpec, type: string, ids: string[]): Promise<[string, string][]> {
  const { names: params, targetType } = refParams(indexer, type, spec.param);
  if (params.length === 0) return [];
  const target = spec.target ?? targetType;
  if (spec.target && targetType && spec.target !== targetType) return [];
  const out: [string, string][] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const sqlParams: SqlValue[] = [type, ...params, ...chunk];
    // SQLite without statistics would walk every row of the parameter (res_type, param …) instead of these resources' rows.
    const hint = store.dialect.name === 'sqlite' ? ' INDEXED BY sp_ref_res' : '';
    let sql = `SELECT DISTINCT target_type, target_id FROM sp_ref${hint} WHERE res_type = ? AND param IN (${params.map(() => '?').join(', ')})
      AND res_id IN (${chunk.map(() => '?').join(', ')}) AND target_type IS NOT NULL`;
    if (target) (sql += ' AND target_type = ?'), sqlParams.push(target);
    for (const r of await store.sql.query<{ target_type: string; target_id: string }>(sql, sqlParams)) out.push([r.target_type, r.target_id]);
  }
  return out;
}

async function reverse(store: ResourceStore, indexer: Indexer, spec: IncludeSpec, type: string, ids: string[]): Promise<[string, string][]> {
  const pairs: [string, string][] = [];
  if (spec.source === '*' || spec.param === '*') {
    for (const [source, params] of Object.entries(indexer.table.types)) {
      if (spec.source !== '*' && spec.source !== source) continue;
      for (const [name, def] of Object.entries(params)) if (def.type === 'reference' && def.targets?.includes(type)) pairs.push([source, name]);
    }
  } else pairs.push([spec.source, spec.param]);
  const out: [string, string][] = [];
  const done = new Set<string>();
  for (const [source, param] of pairs) {
    const { names, targetType } = refParams(indexer, source, param);
    if (names.length === 0 || (targetType && targetType !== type)) continue;
    const key = `${source}\u0000${names.join(',')}`;
    if (done.has(key)) continue;
    done.add(key);
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const rows = await store.sql.query<{ res_id: string }>(
        `SELECT DISTINCT res_id FROM sp_ref WHERE res_type = ? AND param IN (${names.map(() => '?').join(', ')}) AND target_type = ? AND target_id IN (${chunk.map(() => '?').join(', ')})`,
        [source, ...names, type, ...chunk],
      );
      for (const r of rows) out.push([source, r.res_id]);
      if (out.length > MAX_INCLUDED) return out;
    }
  }
  return out;
}

/** The included resources for a page of matches; iterating specs run again on what was included, a few rounds at most. */
export async function resolveIncludes(
  store: ResourceStore, indexer: Indexer, searchType: string, matches: StoredResource[], specs: IncludeSpec[], warnings: string[],
): Promise<StoredResource[]> {
  if (specs.length === 0 || matches.length === 0) return [];
  const seen = new Set(matches.map((m) => `${m.type}/${m.id}`));
  const included: StoredResource[] = [];
  let frontier = matches;
  for (let round = 0; round < MAX_ROUNDS && frontier.length; round++) {
    const byType = new Map<string, string[]>();
    for (const r of frontier) byType.set(r.type, [...(byType.get(r.type) ?? []), r.id]);
    const wanted = new Map<string, Set<string>>();
    for (const spec of specs) {
      if (round > 0 && !spec.iterate) continue;
      for (const [type, ids] of byType) {
        if (!spec.reverse && spec.source !== '*' && spec.source !== type) continue;
        if (round === 0 && !spec.iterate && type !== searchType) continue;
        const found = spec.reverse ? await reverse(store, indexer, spec, type, ids) : await forward(store, indexer, spec, type, ids);
        for (const [t, id] of found) if (!seen.has(`${t}/${id}`)) wanted.set(t, (wanted.get(t) ?? new Set()).add(id));
      }
    }
    const next: StoredResource[] = [];
    for (const [t, ids] of wanted) {
      for (const r of await store.readMany(t, [...ids])) {
        if (seen.has(`${r.type}/${r.id}`)) continue;
        seen.add(`${r.type}/${r.id}`);
        next.push(r);
      }
    }
    if (included.length + next.length > MAX_INCLUDED) {
      included.push(...next.slice(0, MAX_INCLUDED - included.length));
      warnings.push(`Included resources were capped at ${MAX_INCLUDED}`);
      break;
    }
    included.push(...next);
    frontier = next;
  }
  return included;
}
