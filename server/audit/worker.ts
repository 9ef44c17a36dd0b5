// The audit writer's thread: its own connection to the server's database. It makes each batch durable in the audit
// queue (one insert), then stores and indexes the queued batches as AuditEvents (about 0.1 ms each) beside the
// request thread: at once while the request thread is idle, deferred while it is busy, and never later than the lag
// bound. Loaded through boot-worker.cjs.
// In: batches, { busy } from the request thread's load sampler, { drain } requests, { close }.
// Out: { seq, queued, error? } per batch, { queued } after each materialised chunk, { drained, queued }, { closed }.
import { parentPort, workerData } from 'node:worker_threads';
import type { DbLocation } from '../store/driver.ts';
import { openAt } from '../store/open.ts';
import { createSearch } from '../search/select.ts';
import { enqueue, materializeNext, oldestQueued, queuedItems } from './queue.ts';

export interface WorkerInit {
  readonly location: DbLocation;
  readonly baseUrl: string;
  /** Longest a queued batch waits for materialisation while the request thread is busy; 0 materialises at once. */
  readonly maxLagMs: number;
  /** Whether the request thread was busy when the worker started; then { busy } messages on each change. */
  readonly busy: boolean;
}

/** `items`: a JSON batch from items.ts encodeItems, holding `n` items. `drain`: materialise everything queued. */
export type ToWorker =
  | { seq: number; items: string; n: number }
  | { busy: boolean }
  | { drain: number; deadlineMs?: number }
  | { close: true; deadlineMs: number };
export type FromWorker =
  | { seq: number; queued: number; error?: string }
  | { queued: number; error?: string; setAside?: number }
  | { drained: number; queued: number; error?: string }
  | { closed: true };

const port = parentPort!;
const init = (workerData as { init: WorkerInit }).init;

async function main(): Promise<void> {
  const driver = openAt(init.location, { poolSize: 2 });
  const search = await createSearch({ baseUrl: init.baseUrl });

  let busy = init.busy;
  let closing = false;
  /** Items this process knows to be queued (its own batches plus any found at start); refreshed after each chunk. */
  let queued = await queuedItems(driver);

  /** Materialises queued batches while the rules allow, or (forced) regardless of load until the queue is empty or `until` passes. */
  async function materialize(force?: { until: number }): Promise<void> {
    for (;;) {
      const oldest = await oldestQueued(driver);
      if (oldest === undefined) {
        queued = 0;
        return;
      }
      const now = Date.now();
      if (force) {
        if (now >= force.until) return;
      } else if (closing || (busy && now - oldest < init.maxLagMs)) return;
      const done = await materializeNext(driver, search.indexHook, new Date(now).toISOString(), init.baseUrl);
      queued = await queuedItems(driver);
      port.postMessage({ queued, ...(done.setAside > 0 && { setAside: done.setAside }) } satisfies FromWorker);
      // Let batches, load changes and drain requests in between chunks.
      await new Promise((r) => setImmediate(r));
    }
  }

  // One materialising pass at a time, in order; an unforced pass already waiting covers later unforced calls.
  let passes: Promise<void> = Promise.resolve();
  let unforcedWaiting = false;
  function pump(force?: { until: number }): Promise<void> {
    if (!force && unforcedWaiting) return passes;
    if (!force) unforcedWaiting = true;
    const pass = passes.then(() => {
      if (!force) unforcedWaiting = false;
      return materialize(force);
    });
    passes = pass.catch(() => undefined);
    return pass;
  }

  // While busy, the lag bound is checked at least once a second even when no batch arrives.
  const report = (err: unknown) => port.postMessage({ queued, error: (err as Error).message } satisfies FromWorker);
  const timer = setInterval(() => void pump().catch(report), Math.max(250, Math.min(1000, init.maxLagMs || 1000)));
  // Batches left queued by an earlier run (a crash, or a close that hit its deadline).
  if (queued > 0) void pump().catch(report);

  // Batches are made durable in arrival order: the parent's AuditSink sends them one after another.
  let intake: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    if ('busy' in msg) {
      busy = msg.busy;
      if (!busy) void pump().catch(report);
      return;
    }
    if ('drain' in msg) {
      const id = msg.drain;
      intake
        .then(() => pump({ until: Date.now() + (msg.deadlineMs ?? Number.MAX_SAFE_INTEGER) }))
        .then(
          () => port.postMessage({ drained: id, queued } satisfies FromWorker),
          (err) => port.postMessage({ drained: id, queued, error: (err as Error).message } satisfies FromWorker),
        );
      return;
    }
    if ('close' in msg) {
      intake = intake.then(async () => {
        // What is left after the deadline stays queued (durable) and is materialised after the next start.
        await pump({ until: Date.now() + msg.deadlineMs }).catch(report);
        closing = true;
        clearInterval(timer);
        await passes;
        await driver.close();
        port.postMessage({ closed: true } satisfies FromWorker);
        port.close();
      });
      return;
    }
    intake = intake.then(async () => {
      try {
        await enqueue(driver, msg.items, msg.n, Date.now());
        queued += msg.n;
        port.postMessage({ seq: msg.seq, queued } satisfies FromWorker);
      } catch (err) {
        port.postMessage({ seq: msg.seq, queued, error: (err as Error).message } satisfies FromWorker);
        return;
      }
      if (!busy || init.maxLagMs === 0) void pump().catch(report);
    });
  });
}

// Loaded through boot-worker.cjs (no top-level await there); a failure to start ends the thread with the error.
main().catch((err: unknown) => {
  setImmediate(() => {
    throw err;
  });
});
