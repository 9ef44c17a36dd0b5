// Reads the numbers Titrate needs out of psych-monitoring.json's free-text timing, alert and band strings.
import type { MonitoringItem, MonitoringProtocol } from '../kb-types.ts';

/** Longest routine interval in months named by a timing text ("q3-6 months", "every 6-12 months", "annually"). */
export function routineIntervalMonths(timing: string[] = []): number | undefined {
  let best: number | undefined;
  for (const t of timing) {
    for (const m of t.matchAll(/(?:q|every\s+)(\d+)(?:\s*-\s*(\d+))?\s*months/gi)) best = Math.max(best ?? 0, Number(m[2] ?? m[1]));
    if (/annual/i.test(t)) best = Math.max(best ?? 0, 12);
    const monthly = /(\d+)-monthly/i.exec(t);
    if (monthly) best = Math.max(best ?? 0, Number(monthly[1]));
  }
  return best;
}

/** Days after start by which the first level is due ("5-7 days after start" → 7). */
export function firstCheckDays(timing: string[] = []): number | undefined {
  for (const t of timing) {
    const m = /(\d+)(?:\s*-\s*(\d+))?\s*days after start/i.exec(t);
    if (m) return Number(m[2] ?? m[1]);
  }
  return undefined;
}

export interface LevelAlert {
  op: '>' | '>=';
  value: number;
  action: string;
  verified: boolean;
  source?: string;
}

/** "level >= 1.5 mEq/L" style alerts. */
export function levelAlerts(item: MonitoringItem): LevelAlert[] {
  const out: LevelAlert[] = [];
  for (const a of item.alerts ?? []) {
    const m = /(?:level|QTc)\s*(>=|>)\s*(\d+(?:\.\d+)?)/i.exec(a.rule);
    if (m) out.push({ op: m[1] as '>' | '>=', value: Number(m[2]), action: a.action, verified: a.verified, source: a.source });
  }
  return out.sort((a, b) => b.value - a.value);
}

/** "no level in > 6 months" → 6. */
export function overdueAlertMonths(item: MonitoringItem): { months: number; verified: boolean } | undefined {
  for (const a of item.alerts ?? []) {
    const m = /no level in\s*>\s*(\d+)\s*months/i.exec(a.rule);
    if (m) return { months: Number(m[1]), verified: a.verified };
  }
  return undefined;
}

/** A band string such as ">= 1500/uL (normal)", "1000-1499/uL", "< 500/uL" → numeric bounds. */
export function bandBounds(range: string): { low: number; high: number } | undefined {
  let m = /(\d+)\s*-\s*(\d+)\s*\/uL/i.exec(range);
  if (m) return { low: Number(m[1]), high: Number(m[2]) };
  m = />=\s*(\d+)\s*\/uL/i.exec(range);
  if (m) return { low: Number(m[1]), high: Infinity };
  m = /<\s*(\d+)\s*\/uL/i.exec(range);
  if (m) return { low: 0, high: Number(m[1]) - 1e-9 };
  return undefined;
}

export function itemVerified(protocol: MonitoringProtocol, item: MonitoringItem): boolean {
  return protocol.verified && item.verified !== false;
}

export function itemSource(protocol: MonitoringProtocol, item: MonitoringItem): string {
  return item.source && item.source !== 'same' ? item.source : protocol.source;
}

export const MONTH_DAYS = 30.44;
