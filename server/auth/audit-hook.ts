// The authorization server's own audit trail (sign-ins, replays) handed to the lead's AuditSink.
import type { Logger } from 'pino';
import { buildAuditEvent, type AuditInput } from './audit-event.ts';

export type AuditHook = (input: Omit<AuditInput, 'recorded'>) => void;

export function createAuditHook(onAudit: ((event: fhir4.AuditEvent) => void) | undefined, now: () => Date, log: Logger): AuditHook {
  if (!onAudit) return () => undefined;
  return (input) => {
    try {
      onAudit(buildAuditEvent({ observer: 'Titrate authorization server', ...input, recorded: now() }));
    } catch (err) {
      log.error({ event: 'audit.hook-failed', err: (err as Error).message }, 'audit hook failed');
    }
  };
}

/** Runs `task` at most once per `intervalMs`, in the background; failures are logged. */
export function createThrottledTask(task: () => Promise<void>, intervalMs: number, log: Logger): () => void {
  let next = 0;
  return () => {
    const t = Date.now();
    if (t < next) return;
    next = t + intervalMs;
    task().catch((err: Error) => log.warn({ event: 'auth.housekeeping-failed', err: err.message }, 'auth housekeeping failed'));
  };
}
