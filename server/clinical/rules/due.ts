// Due / overdue status of a monitoring check and the monitoring-overdue Finding built from it.
import { makeFinding } from '../finding.ts';
import { DAY_MS } from '../observations.ts';
import type { DueStatus, Finding, MonitoringDue } from '../types.ts';

/** A check due within this many days is listed as "due" (Titrate display choice, not a guideline value). */
export const DUE_SOON_DAYS = 14;

export function dueStatus(dueDate: Date, now: Date, missing = false): DueStatus {
  if (missing || dueDate.getTime() < now.getTime()) return 'overdue';
  return dueDate.getTime() - now.getTime() <= DUE_SOON_DAYS * DAY_MS ? 'due' : 'ok';
}

export function day(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** monitoring-overdue (SPEC §4: moderate for overdue). */
export function overdueFinding(due: MonitoringDue, summary: string, detail: string): Finding {
  return makeFinding({
    kind: 'monitoring-overdue', severity: 'moderate', ruleId: due.ruleId, verified: due.verified, source: due.source,
    medications: due.medications, observations: due.last ? [due.last] : [], summary, detail,
  });
}
