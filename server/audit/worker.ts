// The audit writer's thread: its own connection to the server's database, so storing and indexing AuditEvents
// (about 0.1 ms each) happens beside the request thread instead of on it. Loaded through boot.mjs.
// In: { seq, items, at } batches and { close: true }. Out: { seq, error? } per batch, { closed: true } at the end.
import { parentPort, workerData } from 'node:worker_threads';
import type { DbLocation } from '../store/driver.ts';
import { openAt } from '../store/open.ts';
import { createSearch } from '../search/select.ts';
import { AUDIT_CHUNK, decodeEvents, prepareAuditInserts } from './items.ts';

export interface WorkerInit {
  readonly location: DbLocation;
  readonly baseUrl: string;
}

/** `items`: a JSON batch from items.ts encodeItems. */
export type ToWorker = { seq: number; items: string; at: string } | { close: true };
export type FromWorker = { seq: number; error?: string } | { closed: true };

const port = parentPort!;
const init = (workerData as { init: WorkerInit }).init;

const driver = openAt(init.location, { poolSize: 2 });
const search = await createSearch({ baseUrl: init.baseUrl });

// One batch at a time, in arrival order: the parent's AuditSink already sends them one after another.
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  queue = queue.then(async () => {
    if ('close' in msg) {
      await driver.close();
      port.postMessage({ closed: true } satisfies FromWorker);
      port.close();
      return;
    }
    try {
      // Events, JSON and index rows are built before the transaction: on SQLite the file is locked for the inserts
      // only, so a request-thread write waiting for the lock (blocking its event loop) waits for less.
      const events = decodeEvents(msg.items);
      for (let i = 0; i < events.length; i += AUDIT_CHUNK) {
        const parts = await prepareAuditInserts(driver, search.indexHook, events.slice(i, i + AUDIT_CHUNK), msg.at);
        await driver.transaction(async (tx) => {
          for (const p of parts) await tx.insertMany(p.table, p.columns, p.rows);
        });
      }
      port.postMessage({ seq: msg.seq } satisfies FromWorker);
    } catch (err) {
      port.postMessage({ seq: msg.seq, error: (err as Error).message } satisfies FromWorker);
    }
  });
});
