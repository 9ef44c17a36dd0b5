// Which condition drives a search: capped match counts per IdSet, cached briefly. They choose the plan, never the result.
import type { SqlTx } from '../store/driver.ts';
import type { ResourceStore } from '../store/resource-store.ts';
import type { IdSet } from './plan.ts';

/** Fewer index rows than this and a set is small: reading all of it and sorting the ids is cheap at any store size. */
export const SMALL = 1000;
/** Sets ranked here or above (LIKE, system-only tokens) are not served by an index: never counted, never driving. */
export const UNINDEXED_RANK = 8;
const TTL_MS = 30_000;
const MAX_CACHED = 1000;

export interface DriverChoice {
  /** The set whose rows are read first; undefined: the resources of the type, in id order. */
  set?: IdSet;
  /** Rows of the driver (exact below SMALL), or Infinity when it is large or was not counted. */
  rows: number;
  /** A large range set read in its index order (value…, id): a page is then cut in that order, not by id. */
  byValue?: boolean;
}

export class Estimator {
  // Keyed by connection so two stores (or a test's fixtures) never share counts.
  private readonly caches = new WeakMap<SqlTx, Map<string, { n: number; at: number }>>();
  constructor(readonly small = SMALL) {}

  /** Index rows of `s`, counted up to `small` (an index range read of at most that many entries). */
  async rows(store: ResourceStore, s: IdSet): Promise<number> {
    let cache = this.caches.get(store.sql);
    if (!cache) this.caches.set(store.sql, (cache = new Map()));
    const key = `${s.from}\u0000${s.where}\u0000${s.params.join('\u0000')}`;
    const hit = cache.get(key);
    const now = performance.now();
    if (hit && now - hit.at < TTL_MS) return hit.n;
    const rows = await store.sql.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${s.from} WHERE ${s.where} LIMIT ${this.small}) x`, s.params);
    const n = Number(rows[0].n);
    // Only large counts are kept: they are the costly ones (SMALL index rows read), and few values are large.
    if (n < this.small) return n;
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, { n, at: now });
    return n;
  }

  /**
   * The first small set in rank order drives; with none, a large set whose index yields ids in order (a LIMIT then
   * stops early), else, where a page may follow value order, a large range set read in its index order (denser than
   * all resources of the type, whatever the data); with neither, the resources themselves in id order.
   */
  async choose(store: ResourceStore, sets: readonly IdSet[], valueOrder: boolean): Promise<DriverChoice> {
    const positive = sets.filter((s) => !s.negate && s.rank < UNINDEXED_RANK).sort((a, b) => a.rank - b.rank);
    for (const s of positive) {
      const n = await this.rows(store, s);
      if (n < this.small) return { set: s, rows: n };
    }
    const ordered = positive.find((s) => s.ordered);
    if (ordered) return { set: ordered, rows: Infinity };
    const ranged = valueOrder ? positive.find((s) => s.byValue) : undefined;
    return ranged ? { set: ranged, rows: Infinity, byValue: true } : { rows: Infinity };
  }
}
