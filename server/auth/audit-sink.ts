// AuditSink: buffers AuditEvents and hands them in batches to a writer the caller supplies, every
// `intervalMs` or whenever `maxEvents` are waiting. A failed batch is retried; the buffer is bounded.
import type { Logger } from 'pino';

export interface AuditSinkOptions<T = fhir4.AuditEvent> {
  readonly write: (events: T[]) => Promise<void>;
  readonly maxEvents?: number;
  readonly intervalMs?: number;
  /** Oldest events are dropped (and counted) beyond this many. */
  readonly maxBuffer?: number;
  readonly log?: Logger;
}

export class AuditSink<T = fhir4.AuditEvent> {
  private buffer: T[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly maxEvents: number;
  private readonly maxBuffer: number;
  private closed = false;
  dropped = 0;
  written = 0;

  constructor(private readonly opts: AuditSinkOptions<T>) {
    this.maxEvents = opts.maxEvents ?? 100;
    this.maxBuffer = opts.maxBuffer ?? 10_000;
    this.timer = setInterval(() => void this.flush(), opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  get pending(): number {
    return this.buffer.length;
  }

  add(event: T): void {
    if (this.closed) throw new Error('AuditSink is closed');
    this.buffer.push(event);
    this.trim();
    if (this.buffer.length >= this.maxEvents) void this.flush();
  }

  /** Writes everything buffered so far; resolves when done (errors are logged, events kept for retry). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.maxEvents);
        try {
          await this.opts.write(batch);
          this.written += batch.length;
        } catch (err) {
          this.buffer.unshift(...batch);
          this.trim();
          this.opts.log?.error({ event: 'audit.write-failed', pending: this.buffer.length, err: (err as Error).message }, 'audit batch write failed');
          return;
        }
      }
    });
    return this.flushing;
  }

  /** Stops the timer and writes what is left (call on SIGTERM after the server drains). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flush();
  }

  private trim(): void {
    const excess = this.buffer.length - this.maxBuffer;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.dropped += excess;
    }
  }
}
