// Search readers: with a SQLite file, searches on the server's own store run on reader threads (pool-worker.ts), each
// with its own connection, so the request thread serves other requests while SQLite reads. Searches inside a
// transaction (another store: they must see its uncommitted writes) and every other engine call stay here.
//
// A search on a reader sees what is committed when it runs, as one on the request thread does: the request thread
// commits a write before it answers, so a search sent after that answer finds it. If a reader thread fails, its
// searches and all later ones run on the request thread.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { DbLocation } from '../store/driver.ts';
import type { ResourceStore } from '../store/resource-store.ts';
import { FhirError } from '../fhir/errors.ts';
import type { SearchEngine, SearchRequest, SearchResult } from './engine.ts';
import type { FromPoolWorker, PoolWorkerInit, ToPoolWorker } from './pool-worker.ts';

const BOOT = new URL('../boot-worker.cjs', import.meta.url);
const ENTRY = fileURLToPath(new URL('./pool-worker.ts', import.meta.url));

export interface PooledSearch extends SearchEngine {
  /** Reader threads running now (started or still starting). */
  readonly readers: number;
  /** Reader threads ready to take searches. */
  readonly readyReaders: number;
  /** Searches answered by reader threads since start. */
  readonly searchedOnReaders: number;
  /** Times a reader reloaded planner statistics another connection refreshed (pool-worker.ts). */
  readonly statisticsReloads: number;
  close(): Promise<void>;
}

interface Reader {
  worker: Worker;
  /** Set once the thread has opened its connection and loaded the engine; until then searches run here. */
  ready: boolean;
  pending: Map<number, { resolve: (r: SearchResult) => void; reject: (e: Error) => void; req: SearchRequest }>;
  closed?: () => void;
}

/**
 * `engine` with searches on `root` sent to `size` reader threads over `location` (a SQLite file). Size 0, or an
 * in-memory database, returns the engine's own search (no threads).
 */
export function poolSearches(
  engine: SearchEngine,
  opts: {
    root: ResourceStore; location: DbLocation; baseUrl: string; size: number; log: Logger;
    /** The module a reader thread runs (a file path); pool-worker.ts unless a test stands in a failing one. */
    entry?: string;
  },
): PooledSearch {
  const usable = opts.size > 0 && opts.location.kind === 'sqlite' && opts.location.file !== ':memory:';
  const readers: Reader[] = [];
  let seq = 0;
  let next = 0;
  let closing = false;
  let searchedOnReaders = 0;
  let statisticsReloads = 0;

  const start = (): Reader => {
    const init: PoolWorkerInit = { location: opts.location, baseUrl: opts.baseUrl };
    const r: Reader = { worker: new Worker(BOOT, { workerData: { entry: opts.entry ?? ENTRY, init } }), ready: false, pending: new Map() };
    r.worker.on('message', (msg: FromPoolWorker) => {
      if ('closed' in msg) return r.closed?.();
      if ('ready' in msg) return void (r.ready = true);
      if ('statisticsReloaded' in msg) return void statisticsReloads++;
      const p = r.pending.get(msg.id);
      if (!p) return;
      r.pending.delete(msg.id);
      searchedOnReaders++;
      if ('result' in msg) return p.resolve(msg.result);
      const e = msg.error;
      p.reject(e.fhir ? new FhirError(e.kind, e.message, e.issues) : new Error(e.message));
    });
    const fail = (why: string) => {
      const i = readers.indexOf(r);
      if (i < 0) return;
      readers.splice(i, 1);
      if (!closing) opts.log.error({ event: 'search.reader-failed', err: why }, 'search reader thread failed; searching on the request thread');
      // Searches it had not answered run here instead.
      for (const p of r.pending.values()) engine.search(opts.root, p.req).then(p.resolve, p.reject);
      r.pending.clear();
      r.closed?.();
    };
    r.worker.on('error', (err) => fail(err.message));
    r.worker.on('exit', () => fail('exited'));
    return r;
  };
  if (usable) for (let i = 0; i < opts.size; i++) readers.push(start());

  return {
    indexHook: engine.indexHook,
    migrations: engine.migrations,
    supportedParams: (type) => engine.supportedParams(type),
    get readers() {
      return readers.length;
    },
    get readyReaders() {
      return readers.filter((x) => x.ready).length;
    },
    get searchedOnReaders() {
      return searchedOnReaders;
    },
    get statisticsReloads() {
      return statisticsReloads;
    },
    search(store: ResourceStore, req: SearchRequest): Promise<SearchResult> {
      if (store !== opts.root || closing) return engine.search(store, req);
      // The ready reader with the fewest searches waiting, round robin among equals.
      let r: Reader | undefined;
      const start = next++;
      for (let i = 0; i < readers.length; i++) {
        const other = readers[(start + i) % readers.length];
        if (other.ready && (!r || other.pending.size < r.pending.size)) r = other;
      }
      if (!r) return engine.search(store, req);
      const reader = r;
      const id = ++seq;
      return new Promise<SearchResult>((resolve, reject) => {
        reader.pending.set(id, { resolve, reject, req });
        reader.worker.postMessage({ id, req } satisfies ToPoolWorker);
      });
    },
    async close() {
      closing = true;
      await Promise.all(
        [...readers].map(async (r) => {
          // Let the searches it has started finish, then close its connection.
          while (r.pending.size > 0) await new Promise((res) => setTimeout(res, 10));
          await new Promise<void>((res) => {
            r.closed = res;
            r.worker.postMessage({ close: true } satisfies ToPoolWorker);
          });
          await r.worker.terminate();
        }),
      );
      readers.length = 0;
    },
  };
}
