// Where AuditEvent batches go: a worker thread with its own database connection when the database is a file or a
// PostgreSQL server, or the request thread's store when it is an in-memory SQLite database (nothing else can open
// it). The worker starts on the first batch (or the first drain), so servers that never audit never start it.
//
// The worker queues each batch durably (one insert) and materialises AuditEvents from the queue when the request
// thread has time: this thread samples its own event-loop utilisation and tells the worker when it is busy, and the
// worker defers materialising then, up to `maxLagMs`. If the worker fails, the writer falls back to the request
// thread; a failed batch is reported to the caller (AuditSink keeps it for retry).
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { DbLocation } from '../store/driver.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker.ts';
import { encodeItems, type AuditItem } from './items.ts';

export interface AuditWriter {
  /** Resolves once the batch is durable (queued), or stored when written on the request thread. */
  write(items: AuditItem[]): Promise<void>;
  /** Materialises everything queued, whatever the load; resolves when the queue is empty or `deadlineMs` passed. */
  drain(deadlineMs?: number): Promise<void>;
  /** Writes nothing more; materialises what it can within `deadlineMs` (default 5 s), closes the worker's connection. */
  close(deadlineMs?: number): Promise<void>;
  /** Starts the worker, if it has not started, so it materialises batches an earlier run left queued. */
  resume(): void;
  /** True while batches go to the worker thread. */
  readonly threaded: boolean;
  /** Audit items queued and not yet stored as AuditEvents, as last reported by the worker. */
  readonly queued: number;
}

export interface AuditWriterOptions {
  readonly location: DbLocation;
  readonly baseUrl: string;
  /** The request thread's own write, used for in-memory databases and after a worker failure. */
  readonly inline: (items: AuditItem[]) => Promise<void>;
  readonly log: Logger;
  /** Longest a queued batch waits while the request thread is busy (AUDIT_MAX_LAG_MS); 0 materialises at once. */
  readonly maxLagMs?: number;
  /**
   * Whether the request thread is busy now, asked every 250 ms. Default: its event-loop utilisation over the last
   * interval is above one half.
   */
  readonly isBusy?: () => boolean;
}

/** Whether this thread's event loop was busy more than `above` of the time since the last call. */
export function eventLoopBusy(above: number): () => boolean {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    return utilization > above;
  };
}

const BOOT = new URL('../boot-worker.cjs', import.meta.url);
const ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
const SAMPLE_MS = 250;

export function createAuditWriter(opts: AuditWriterOptions): AuditWriter {
  const memory = opts.location.kind === 'sqlite' && opts.location.file === ':memory:';
  const maxLagMs = opts.maxLagMs ?? 30_000;
  const isBusy = opts.isBusy ?? eventLoopBusy(0.5);
  let threaded = !memory;
  let worker: Worker | undefined;
  let seq = 0;
  let queued = 0;
  const pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  const drains = new Map<number, () => void>();
  let closed: (() => void) | undefined;
  let sampler: NodeJS.Timeout | undefined;

  const failAll = (reason: string) => {
    for (const p of pending.values()) p.reject(new Error(reason));
    pending.clear();
    for (const d of drains.values()) d();
    drains.clear();
  };

  let busy = false;
  function sample(): void {
    sampler = setInterval(() => {
      const now = isBusy();
      if (now !== busy) {
        busy = now;
        worker?.postMessage({ busy } satisfies ToWorker);
      }
    }, SAMPLE_MS);
    sampler.unref();
  }

  function start(): Worker {
    if (!sampler) sample();
    const init: WorkerInit = { location: opts.location, baseUrl: opts.baseUrl, maxLagMs, busy: (busy = isBusy()) };
    const w = new Worker(BOOT, { workerData: { entry: ENTRY, init } });
    w.on('message', (msg: FromWorker) => {
      if ('closed' in msg) return closed?.();
      queued = msg.queued;
      if ('seq' in msg) {
        const p = pending.get(msg.seq);
        pending.delete(msg.seq);
        if (msg.error === undefined) p?.resolve();
        else p?.reject(new Error(msg.error));
        return;
      }
      if ('setAside' in msg && msg.setAside) {
        opts.log.error({ event: 'audit.batch-set-aside', batches: msg.setAside }, 'audit batches that cannot be built into AuditEvents were moved to audit_failed');
      }
      if (msg.error !== undefined) opts.log.error({ event: 'audit.materialize-failed', queued, err: msg.error }, 'storing queued audit events failed; they stay queued');
      if ('drained' in msg) {
        drains.get(msg.drained)?.();
        drains.delete(msg.drained);
      }
    });
    w.on('error', (err) => {
      opts.log.error({ event: 'audit.worker-failed', err: err.message }, 'audit writer thread failed; writing audit events on the request thread');
      threaded = false;
      worker = undefined;
      failAll('audit writer thread failed');
    });
    w.on('exit', () => {
      worker = undefined;
      failAll('audit writer thread exited');
      closed?.();
    });
    return w;
  }

  return {
    get threaded() {
      return threaded;
    },
    get queued() {
      return queued;
    },
    write(items) {
      if (!threaded) return opts.inline(items);
      worker ??= start();
      const n = ++seq;
      return new Promise<void>((resolve, reject) => {
        pending.set(n, { resolve, reject });
        worker!.postMessage({ seq: n, items: encodeItems(items), n: items.length } satisfies ToWorker);
      });
    },
    resume() {
      if (threaded) worker ??= start();
    },
    drain(deadlineMs) {
      if (!threaded) return Promise.resolve();
      worker ??= start();
      const id = ++seq;
      return new Promise<void>((resolve) => {
        drains.set(id, resolve);
        worker!.postMessage({ drain: id, ...(deadlineMs !== undefined && { deadlineMs }) } satisfies ToWorker);
      });
    },
    async close(deadlineMs = 5000) {
      threaded = false;
      if (sampler) clearInterval(sampler);
      const w = worker;
      if (!w) return;
      await new Promise<void>((resolve) => {
        closed = resolve;
        w.postMessage({ close: true, deadlineMs } satisfies ToWorker);
      });
      await w.terminate();
    },
  };
}
