// A search reader thread: its own connection to the server's SQLite file, running searches the request thread hands
// over (pool.ts), so the SQLite work of a search runs beside the request thread instead of on it. Loaded through
// boot-worker.cjs. In: { id, req } and { close }. Out: { ready } once, { id, result } or { id, error }, { statisticsReloaded }
// and { closed }.
import { parentPort, workerData } from 'node:worker_threads';
import type { DbLocation, SqlDriver } from '../store/driver.ts';
import { openAt } from '../store/open.ts';
import { ResourceStore } from '../store/resource-store.ts';
import { FhirError, type FhirErrorKind, type OutcomeIssue } from '../fhir/errors.ts';
import { createSearch } from './select.ts';
import type { SearchRequest, SearchResult } from './engine.ts';

export interface PoolWorkerInit {
  readonly location: DbLocation;
  readonly baseUrl: string;
}

export type WireError = { fhir: true; kind: FhirErrorKind; message: string; issues: OutcomeIssue[] } | { fhir: false; message: string };
export type ToPoolWorker = { id: number; req: SearchRequest } | { close: true };
export type FromPoolWorker =
  | { ready: true } | { id: number; result: SearchResult } | { id: number; error: WireError } | { closed: true } | { statisticsReloaded: true };

const port = parentPort!;
const init = (workerData as { init: PoolWorkerInit }).init;

/** How often the reader looks for planner statistics refreshed by the writing connection. */
const STATISTICS_CHECK_MS = 2000;

/**
 * A mark of the planner statistics in the file: the row count ANALYZE last recorded for the resources table.
 * SQLite loads statistics when a connection reads the schema; an ANALYZE on another connection (the server's own,
 * store/sqlite.ts StatisticsRefresh) changes neither the schema nor this connection's plans, so they go stale as
 * the data grow (measured: $medication-review p50 14 → 20 ms on the reader after a 70 k-resource ingest).
 */
async function statisticsMark(driver: SqlDriver): Promise<string | undefined> {
  try {
    const rows = await driver.query<{ stat: string }>("SELECT stat FROM sqlite_stat1 WHERE tbl = 'resources' AND idx = 'sqlite_autoindex_resources_1'");
    return rows[0]?.stat;
  } catch {
    return undefined; // no statistics table yet: its creation changes the schema, which every connection reloads
  }
}

async function main(): Promise<void> {
  const driver = openAt(init.location);
  const engine = await createSearch({ baseUrl: init.baseUrl });
  // Reads only: the index hook is never called (no writes go through this store).
  const store = ResourceStore.open(driver, engine.indexHook);
  // null: look again next time (a check failed).
  let mark: string | undefined | null = await statisticsMark(driver);
  const statistics = setInterval(() => {
    void statisticsMark(driver)
      .then(async (now) => {
        if (now === mark) return;
        // Reloads the statistics tables into this connection; its cached statements are planned again.
        await driver.exec('ANALYZE sqlite_schema');
        mark = now;
        port.postMessage({ statisticsReloaded: true } satisfies FromPoolWorker);
      })
      .catch(() => {
        mark = null;
      });
  }, STATISTICS_CHECK_MS);
  statistics.unref();
  port.on('message', (msg: ToPoolWorker) => {
    if ('close' in msg) {
      clearInterval(statistics);
      void driver.close().then(() => {
        port.postMessage({ closed: true } satisfies FromPoolWorker);
        port.close();
      });
      return;
    }
    engine.search(store, msg.req).then(
      (result) => port.postMessage({ id: msg.id, result } satisfies FromPoolWorker),
      (err: unknown) => {
        const error: WireError = err instanceof FhirError
          ? { fhir: true, kind: err.kind, message: err.message, issues: err.issues }
          : { fhir: false, message: err instanceof Error ? err.message : String(err) };
        port.postMessage({ id: msg.id, error } satisfies FromPoolWorker);
      },
    );
  });
  port.postMessage({ ready: true } satisfies FromPoolWorker);
}

// Loaded through boot-worker.cjs (no top-level await there); a failure to start ends the thread with the error.
main().catch((err: unknown) => {
  setImmediate(() => {
    throw err;
  });
});
