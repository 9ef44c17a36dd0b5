// Antipsychotic metabolic monitoring from the start date: baseline, 4/8/12 weeks, then quarterly / annually
// (psych-monitoring.json "antipsychotic-metabolic": ADA/APA/AACE/NAASO consensus, Diabetes Care 2004;27:596-601).
import type { KnowledgeBase, MonitoringItem } from '../kb-types.ts';
import { makeFinding } from '../finding.ts';
import { DAY_MS, latestOf, type ObservationIndex } from '../observations.ts';
import type { Finding, NormalizedMedication } from '../types.ts';

const WEEK_MS = 7 * DAY_MS;
/** A result this long before a milestone still counts for it (baseline: before the first dose). */
const WINDOW_WEEKS = { baseline: 4, later: 2 };

interface Schedule {
  fixedWeeks: number[];
  repeatWeeks?: number;
}

/** "baseline", "4 weeks", "quarterly", "annually", "every 5 years" → fixed milestones + a repeat interval. */
export function parseSchedule(schedule: string[] = []): Schedule {
  const fixedWeeks: number[] = [];
  let repeatWeeks: number | undefined;
  for (const s of schedule) {
    if (/baseline/i.test(s)) fixedWeeks.push(0);
    const weeks = /^(\d+)\s*weeks?/i.exec(s.trim());
    if (weeks) fixedWeeks.push(Number(weeks[1]));
    if (/quarterly/i.test(s)) repeatWeeks = 13;
    else if (/annual/i.test(s)) repeatWeeks = 52;
    const years = /every\s+(\d+)\s*years?/i.exec(s);
    if (years) repeatWeeks = Number(years[1]) * 52;
  }
  return { fixedWeeks: fixedWeeks.sort((a, b) => a - b), repeatWeeks };
}

/** The most recent milestone (in weeks from start) that has passed. */
export function lastMilestone(s: Schedule, weeksOnTherapy: number): number | undefined {
  let last: number | undefined;
  for (const w of s.fixedWeeks) if (w <= weeksOnTherapy) last = w;
  const tail = s.fixedWeeks[s.fixedWeeks.length - 1] ?? 0;
  if (s.repeatWeeks && weeksOnTherapy >= tail + s.repeatWeeks) last = tail + Math.floor((weeksOnTherapy - tail) / s.repeatWeeks) * s.repeatWeeks;
  return last;
}

function milestoneName(weeks: number, fixed: number[]): string {
  if (weeks === 0) return 'baseline';
  return fixed.includes(weeks) ? `${weeks}-week` : `routine (week ${weeks})`;
}

export function isAntipsychotic(rxcui: string, kb: KnowledgeBase): boolean {
  return !!(kb.classes.get('antipsychotic')?.has(rxcui) || kb.classes.get('ANTIPSYCHOTIC')?.has(rxcui));
}

export function findMetabolic(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase, now: Date): Finding[] {
  const on = meds.filter((m) => m.ingredients.some((i) => isAntipsychotic(i.rxcui, kb)));
  const p = kb.protocols.get('antipsychotic-metabolic');
  if (!on.length || !p) return [];
  // The most recent start drives the schedule: a newly added antipsychotic restarts the baseline.
  const starts = on.map((m) => m.start).filter((d): d is Date => !!d).sort((a, b) => b.getTime() - a.getTime());
  const start = starts[0];
  const findings: Finding[] = [];
  for (const item of p.items as MonitoringItem[]) {
    if (!item.loinc.length) continue;
    const schedule = parseSchedule(item.schedule);
    const codes = item.loinc.map((l) => l.code);
    const weeksOn = start ? (now.getTime() - start.getTime()) / WEEK_MS : undefined;
    const milestone = weeksOn === undefined ? undefined : lastMilestone(schedule, weeksOn);
    let dueDate: Date;
    let label: string;
    if (start && milestone !== undefined) {
      dueDate = new Date(start.getTime() + milestone * WEEK_MS);
      label = milestoneName(milestone, schedule.fixedWeeks);
    } else if (!start && schedule.repeatWeeks) {
      dueDate = new Date(now.getTime() - schedule.repeatWeeks * WEEK_MS);
      label = `routine (every ${schedule.repeatWeeks} weeks; start date unknown)`;
    } else continue;
    const window = (milestone === 0 ? WINDOW_WEEKS.baseline : WINDOW_WEEKS.later) * WEEK_MS;
    const latest = latestOf(obs, codes);
    if (latest && latest.date.getTime() >= dueDate.getTime() - window) continue;
    findings.push(makeFinding({
      kind: 'monitoring-overdue', severity: 'moderate', ruleId: `MON-metabolic-${item.test}`, verified: p.verified, source: p.source,
      medications: on, observations: latest ? [latest.observation] : [],
      summary: `Antipsychotic metabolic monitoring overdue: ${item.test} (${label} check)`,
      detail: `${on.map((m) => m.ingredients.map((i) => i.name).join('/')).join(', ')}${start ? ` started ${start.toISOString().slice(0, 10)}` : ''}; the ${label} ${item.test} check (schedule: ${item.schedule?.join(', ')}) was due ${dueDate.toISOString().slice(0, 10)}. ${latest ? `Last result ${latest.date.toISOString().slice(0, 10)}.` : `No result (LOINC ${codes.join(', ')}) on record.`}`,
    }));
  }
  return findings;
}
