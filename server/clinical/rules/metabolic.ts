// Antipsychotic metabolic monitoring from the start date: baseline, 4/8/12 weeks, then quarterly / annually
// (psych-monitoring.json "antipsychotic-metabolic": ADA/APA/AACE/NAASO consensus, Diabetes Care 2004;27:596-601).
import type { KnowledgeBase, MonitoringItem } from '../kb-types.ts';
import { DAY_MS, latestOf, type ObservationIndex } from '../observations.ts';
import type { Finding, MonitoringDue, NormalizedMedication } from '../types.ts';
import { day, dueStatus, overdueFinding } from './due.ts';

const WEEK_MS = 7 * DAY_MS;
/** A result this long before a milestone still counts for it (baseline: before the first dose). */
const WINDOW_WEEKS = { baseline: 4, later: 2 };

export interface Schedule {
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

/** The first milestone (in weeks from start) after `weeksOnTherapy`. */
export function nextMilestone(s: Schedule, weeksOnTherapy: number): number | undefined {
  const fixed = s.fixedWeeks.find((w) => w > weeksOnTherapy);
  if (fixed !== undefined) return fixed;
  if (!s.repeatWeeks) return undefined;
  const tail = s.fixedWeeks[s.fixedWeeks.length - 1] ?? 0;
  return tail + (Math.floor((weeksOnTherapy - tail) / s.repeatWeeks) + 1) * s.repeatWeeks;
}

/** Per metabolic item: the milestone due now (overdue when unmet) or the next one. */
export function metabolicSchedule(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase, now: Date): MonitoringDue[] {
  const on = meds.filter((m) => m.ingredients.some((i) => isAntipsychotic(i.rxcui, kb)));
  const p = kb.protocols.get('antipsychotic-metabolic');
  if (!on.length || !p) return [];
  // The most recent start drives the schedule: a newly added antipsychotic restarts the baseline.
  const start = on.map((m) => m.start).filter((d): d is Date => !!d).sort((a, b) => b.getTime() - a.getTime())[0];
  const out: MonitoringDue[] = [];
  for (const item of p.items as MonitoringItem[]) {
    if (!item.loinc.length) continue;
    const schedule = parseSchedule(item.schedule);
    const codes = item.loinc.map((l) => l.code);
    const latest = latestOf(obs, codes);
    const base = { ruleId: `MON-metabolic-${item.test}`, protocol: p.id, test: item.test, loinc: codes, medications: on, last: latest?.observation, lastDate: latest?.date, verified: p.verified, source: p.source };
    if (!start) {
      if (!schedule.repeatWeeks) continue;
      const dueDate = latest ? new Date(latest.date.getTime() + schedule.repeatWeeks * WEEK_MS) : now;
      out.push({ ...base, dueDate, status: dueStatus(dueDate, now, !latest), basis: `routine (every ${schedule.repeatWeeks} weeks; start date unknown)` });
      continue;
    }
    const weeksOn = (now.getTime() - start.getTime()) / WEEK_MS;
    const milestone = lastMilestone(schedule, weeksOn);
    if (milestone !== undefined) {
      const dueDate = new Date(start.getTime() + milestone * WEEK_MS);
      const window = (milestone === 0 ? WINDOW_WEEKS.baseline : WINDOW_WEEKS.later) * WEEK_MS;
      if (!latest || latest.date.getTime() < dueDate.getTime() - window) {
        out.push({ ...base, dueDate, status: 'overdue', basis: `${milestoneName(milestone, schedule.fixedWeeks)} check` });
        continue;
      }
    }
    const next = nextMilestone(schedule, weeksOn);
    if (next === undefined) continue;
    const dueDate = new Date(start.getTime() + next * WEEK_MS);
    out.push({ ...base, dueDate, status: dueStatus(dueDate, now), basis: `${milestoneName(next, schedule.fixedWeeks)} check` });
  }
  return out;
}

export function findMetabolic(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase, now: Date): Finding[] {
  const p = kb.protocols.get('antipsychotic-metabolic');
  return metabolicSchedule(meds, obs, kb, now).filter((d) => d.status === 'overdue').map((d) => {
    const item = p?.items.find((i) => i.test === d.test);
    const start = d.medications.map((m) => m.start).filter((x): x is Date => !!x).sort((a, b) => b.getTime() - a.getTime())[0];
    return overdueFinding(d, `Antipsychotic metabolic monitoring overdue: ${d.test} (${d.basis})`,
      `${d.medications.map((m) => m.ingredients.map((i) => i.name).join('/')).join(', ')}${start ? ` started ${day(start)}` : ''}; the ${d.basis} of ${d.test} (schedule: ${item?.schedule?.join(', ')}) was due ${day(d.dueDate)}. ${d.lastDate ? `Last result ${day(d.lastDate)}.` : `No result (LOINC ${d.loinc.join(', ')}) on record.`}`);
  });
}
