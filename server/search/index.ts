// The search engine: official R4 SearchParameters, index tables filled at write time, FHIR search over them.
import { FhirError } from '../fhir/errors.ts';
import type { ResourceStore } from '../store/resource-store.ts';
import type { SearchEngine, SearchRequest, SearchResult } from './engine.ts';
import { checkIncludes, resolveIncludes } from './include.ts';
import { Indexer, type BatchIndexHook } from './indexer.ts';
import { loadParamTable } from './params.ts';
import { parseQuery, show, type IncludeSpec } from './parse.ts';
import { Planner, type IdSet } from './plan.ts';
import { countCandidates, countMatches, decodeCursor, ESTIMATE_CAP, sortExprs, whereClause } from './query.ts';
import { Estimator, SMALL, type DriverChoice } from './estimate.ts';
import { decodeScanCursor, SCAN_BUDGET, scanPage, sortedPage } from './page.ts';
import { SEARCH_MIGRATIONS } from './schema.ts';

export interface SearchEngineOptions {
  /** The server's FHIR base URL: absolute references under it are indexed and searched as local ones. */
  baseUrl?: string;
  now?: () => Date;
  /** Sorted searches over more matches than this are refused as too costly (default 10,000). */
  maxSortMatches?: number;
  /** Plan tuning, for tests: a set with fewer index rows is read whole (default SMALL); rows read per unsorted page. */
  smallSet?: number;
  scanBudget?: number;
}

export interface TitrateSearchEngine extends SearchEngine {
  readonly indexer: Indexer;
  /** The hook, plus writeMany(tx, items) for batch ingest (one INSERT per table per batch). */
  readonly indexHook: BatchIndexHook;
}

/** Runs fn; an unknown parameter or modifier (not-supported) becomes a 400 in strict mode, a warning otherwise. */
async function lenient<T>(strict: boolean, warnings: string[], fn: () => Promise<T> | T): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof FhirError) || err.kind !== 'not-supported') throw err;
    if (strict) throw new FhirError('invalid', err.message);
    warnings.push(`${err.message}; ignored`);
    return undefined;
  }
}

export function createSearchEngine(opts: SearchEngineOptions = {}): TitrateSearchEngine {
  const baseUrl = (opts.baseUrl ?? '').replace(/\/$/, '');
  const now = opts.now ?? (() => new Date());
  const sortCap = opts.maxSortMatches ?? ESTIMATE_CAP;
  const indexer = new Indexer(loadParamTable(), baseUrl);
  const indexHook = indexer.hook();
  const estimator = new Estimator(opts.smallSet ?? SMALL);
  const scanBudget = opts.scanBudget ?? SCAN_BUDGET;

  async function search(store: ResourceStore, req: SearchRequest): Promise<SearchResult> {
    const type = req.type;
    if (!type) throw new FhirError('not-supported', 'System-level search is not supported; search a resource type');
    if (!indexer.table.types[type]) throw new FhirError('not-supported', `Unknown resource type ${show(type)}`);
    const q = parseQuery(req.params);
    const warnings: string[] = [];
    const planner = new Planner(indexer, store, baseUrl, now());
    const sets: IdSet[] = [];
    const self: [string, string][] = [];
    for (const p of q.params) {
      const set = await lenient(req.strict, warnings, () => planner.idSet(type, p));
      if (set) (sets.push(set), self.push(p.raw));
    }
    if (req.compartment) sets.push(compartmentSet(type, req.compartment));
    const keys = sortExprs(indexer, type, q.sort, store.dialect, 'cand.id');
    const includes: IncludeSpec[] = [];
    for (const spec of q.includes) {
      if (await lenient(req.strict, warnings, () => (checkIncludes(indexer, type, [spec]), true))) (includes.push(spec), self.push(spec.raw));
    }
    self.push(...q.controlSelf);
    if (q.countGiven) self.push(['_count', String(q.count)]);
    const countOnly = q.summary === 'count';
    // A later unsorted page keeps the order its first page was cut in (value order names its driver in the cursor).
    const scanCursor = q.cursor && !keys.length ? decodeScanCursor(q.cursor, sets) : undefined;
    const choice: DriverChoice = scanCursor?.set !== undefined
      ? { set: sets[scanCursor.set], rows: Infinity, byValue: true }
      : await estimator.choose(store, sets, !keys.length && !q.cursor);
    const where = () => whereClause(type, sets, choice, store.dialect);
    // Estimates and sorts read every candidate: past a bound on those, an estimate is left out and a sort refused.
    const candidatesWithin = async (cap: number) => choice.rows <= cap || (await countCandidates(store, type, choice, cap)) <= cap;
    let total: number | undefined;
    if (countOnly || q.total === 'accurate') total = await countMatches(store, where(), true);
    else if (q.total === 'estimate') {
      const n = (await candidatesWithin(scanBudget)) ? await countMatches(store, where(), false) : undefined;
      // An estimate stops counting at ESTIMATE_CAP (and reads at most SCAN_BUDGET candidates): past it, no total rather than a wrong one.
      if (n !== undefined && n <= ESTIMATE_CAP) total = n;
      else warnings.push(`${n === undefined ? 'Too many candidates to estimate the number of matches' : `More than ${ESTIMATE_CAP} matches`}; use _total=accurate for the exact number`);
    }
    // Sorting reads a sort key for every match: refuse to do that for more than sortCap matches.
    const resourceKeysOnly = q.sort.every((k) => k.name === '_id' || k.name === '_lastUpdated');
    if (keys.length && !(resourceKeysOnly && sets.length === 0) && !countOnly && choice.rows > sortCap) {
      const n = total !== undefined && q.total === 'accurate' ? total
        : (await candidatesWithin(2 * Math.max(sortCap, estimator.small))) ? await countMatches(store, where(), false) : Infinity;
      if (n > sortCap) throw new FhirError('too-costly', `_sort over more than ${sortCap} matches; narrow the search first`);
    }
    let result: Awaited<ReturnType<typeof scanPage>> = { matches: [] };
    if (!countOnly && q.count > 0) {
      result = keys.length
        ? await sortedPage(store, type, sets, choice, keys, q.count, q.cursor ? decodeCursor(q.cursor, keys) : undefined, store.dialect)
        : await scanPage(store, type, sets, choice, q.count, scanCursor, store.dialect, scanBudget);
    }
    const included = await resolveIncludes(store, indexer, type, result.matches, includes, warnings);
    return {
      matches: result.matches,
      includes: included,
      total,
      self,
      next: result.nextCursor ? [...self.filter(([k]) => k !== '_count'), ['_count', String(q.count)], ['_cursor', result.nextCursor]] : undefined,
      warnings,
      countOnly,
      elements: q.elements,
      summary: q.summary === 'count' ? undefined : q.summary,
    };
  }

  /** /Patient/{id}/{type}: resources whose compartment parameters refer to the patient (CompartmentDefinition-patient). */
  function compartmentSet(type: string, c: { type: string; id: string }): IdSet {
    if (c.type !== 'Patient') throw new FhirError('not-supported', `Only the Patient compartment is supported, not ${show(c.type)}`);
    if (!/^[A-Za-z0-9\-.]{1,64}$/.test(c.id)) throw new FhirError('invalid', 'Malformed compartment id');
    const params = [...new Set((indexer.table.compartment[type] ?? []).flatMap((n) => indexer.params(type).get(n)?.stored ?? []))];
    if (params.length === 0 && type !== 'Patient') return { from: 'resources x', idCol: 'x.id', where: '1 = 0', params: [], negate: false, rank: 0 };
    if (type !== 'Patient') {
      return {
        from: 'sp_ref c', idCol: 'c.res_id',
        where: `c.res_type = ? AND c.param IN (${params.map(() => '?').join(', ')}) AND c.target_type = 'Patient' AND c.target_id = ?`,
        params: [type, ...params, c.id], negate: false, rank: 1, ordered: params.length === 1,
      };
    }
    const refs = params.length
      ? `r2.id IN (SELECT c.res_id FROM sp_ref c WHERE c.res_type = ? AND c.param IN (${params.map(() => '?').join(', ')}) AND c.target_type = 'Patient' AND c.target_id = ?)`
      : '1 = 0';
    const self = type === 'Patient' ? ' OR r2.id = ?' : '';
    return {
      from: 'resources r2', idCol: 'r2.id',
      where: `r2.type = ? AND r2.deleted = 0 AND (${refs}${self})`,
      params: [type, ...(params.length ? [type, ...params, c.id] : []), ...(self ? [c.id] : [])],
      negate: false, rank: 1,
    };
  }

  return {
    indexer,
    indexHook,
    migrations: SEARCH_MIGRATIONS,
    search,
    supportedParams(type: string) {
      const own = Object.entries(indexer.table.types[type] ?? {})
        .filter(([, d]) => d.type !== 'special')
        .map(([name, d]) => ({ name, type: d.type, definition: d.url }));
      return [...own, { name: '_list', type: 'special' }, { name: '_has', type: 'special' }];
    },
  };
}

export { reindex } from './reindex.ts';
