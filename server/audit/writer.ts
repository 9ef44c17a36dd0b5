// Where AuditEvent batches go: a worker thread with its own database connection when the database is a file or a
// PostgreSQL server, or the request thread's store when it is an in-memory SQLite database (nothing else can open
// it). The worker starts on the first batch, so servers that never audit never start it. If the worker fails, the
// writer falls back to the request thread; a failed batch is reported to the caller (AuditSink keeps it for retry).
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DbLocation } from '../store/driver.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker.ts';
import { encodeItems, toEvents, type AuditItem } from './items.ts';

export interface AuditWriter {
  write(items: AuditItem[], at: string): Promise<void>;
  /** Writes nothing more; waits for the worker to finish its batches and close its connection. */
  close(): Promise<void>;
  /** True while batches go to the worker thread. */
  readonly threaded: boolean;
}

export interface AuditWriterOptions {
  readonly location: DbLocation;
  readonly baseUrl: string;
  /** The request thread's own write, used for in-memory databases and after a worker failure. */
  readonly inline: (events: fhir4.AuditEvent[], at: string) => Promise<void>;
  readonly log: Logger;
}

const BOOT = new URL('./boot.mjs', import.meta.url);
const ENTRY = new URL('./worker.ts', import.meta.url).href;

export function createAuditWriter(opts: AuditWriterOptions): AuditWriter {
  const memory = opts.location.kind === 'sqlite' && opts.location.file === ':memory:';
  let threaded = !memory;
  let worker: Worker | undefined;
  let seq = 0;
  const pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let closed: (() => void) | undefined;

  const failAll = (reason: string) => {
    for (const p of pending.values()) p.reject(new Error(reason));
    pending.clear();
  };

  function start(): Worker {
    const init: WorkerInit = { location: opts.location, baseUrl: opts.baseUrl };
    const w = new Worker(BOOT, { workerData: { entry: ENTRY, init } });
    w.on('message', (msg: FromWorker) => {
      if ('closed' in msg) return closed?.();
      const p = pending.get(msg.seq);
      pending.delete(msg.seq);
      if (msg.error === undefined) p?.resolve();
      else p?.reject(new Error(msg.error));
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
    write(items, at) {
      if (!threaded) return opts.inline(toEvents(items), at);
      worker ??= start();
      const n = ++seq;
      return new Promise<void>((resolve, reject) => {
        pending.set(n, { resolve, reject });
        worker!.postMessage({ seq: n, items: encodeItems(items), at } satisfies ToWorker);
      });
    },
    async close() {
      threaded = false;
      const w = worker;
      if (!w) return;
      await new Promise<void>((resolve) => {
        closed = resolve;
        w.postMessage({ close: true } satisfies ToWorker);
      });
      await w.terminate();
    },
  };
}
