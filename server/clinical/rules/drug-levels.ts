// Lithium, valproate and carbamazepine: serum levels out of range and overdue level/lab checks
// (psych-monitoring.json protocols "lithium", "valproate", "carbamazepine").
import type { KnowledgeBase, MonitoringItem, MonitoringProtocol } from '../kb-types.ts';
import { makeFinding } from '../finding.ts';
import { DAY_MS, daysBetween, latestOf, type ObservationIndex, type ObservedValue } from '../observations.ts';
import type { Finding, MonitoringDue, NormalizedMedication, Severity } from '../types.ts';
import { day, dueStatus, overdueFinding } from './due.ts';
import {
  firstCheckDays, itemSource, itemVerified, levelAlerts, MONTH_DAYS, overdueAlertMonths, routineIntervalMonths,
} from './protocol-text.ts';

interface LevelSpec {
  protocol: string;
  /** Index of the level item, and of periodic lab items checked for overdue only. */
  levelItem: number;
  labItems: number[];
  /** Units accepted for the level (no conversion is attempted between unit families). */
  units: string[];
  therapeutic?: string;
  toxic?: string;
}

const SPECS: LevelSpec[] = [
  { protocol: 'lithium', levelItem: 0, labItems: [1, 2], units: ['mmol/l', 'meq/l'] },
  { protocol: 'valproate', levelItem: 0, labItems: [2], units: ['ug/ml', 'mcg/ml', 'mg/l', 'µg/ml', '[ug]/ml'], therapeutic: 'mania', toxic: 'toxic' },
  { protocol: 'carbamazepine', levelItem: 0, labItems: [], units: ['ug/ml', 'mcg/ml', 'mg/l', 'µg/ml', '[ug]/ml'], therapeutic: 'usual therapeutic' },
];

function codes(item: MonitoringItem): string[] {
  return item.loinc.map((l) => l.code);
}

function outOfRange(spec: LevelSpec, p: MonitoringProtocol, item: MonitoringItem, v: ObservedValue): { severity: Severity; text: string; verified: boolean; source: string } | undefined {
  const value = v.value as number;
  const alerts = levelAlerts(item);
  const crossed = alerts.find((a) => (a.op === '>=' ? value >= a.value : value > a.value));
  if (crossed) {
    const severe = /toxic|emergency|urgent/i.test(crossed.action);
    return {
      severity: severe ? 'high' : 'moderate', verified: crossed.verified,
      source: crossed.source ?? itemSource(p, item),
      text: `level ${value} ${v.unit} is ${crossed.op} ${crossed.value}: ${crossed.action}`,
    };
  }
  const toxic = item.targets?.find((t) => t.context === spec.toxic);
  if (toxic?.low !== null && toxic?.low !== undefined && value >= toxic.low) {
    return { severity: 'high', verified: toxic.verified, source: toxic.source ?? itemSource(p, item), text: `level ${value} ${v.unit} is in the toxic range (>= ${toxic.low} ${toxic.unit})` };
  }
  const target = item.targets?.find((t) => t.context === spec.therapeutic);
  if (target && target.high !== null && value > target.high) {
    return { severity: 'moderate', verified: target.verified, source: target.source ?? itemSource(p, item), text: `level ${value} ${v.unit} is above the ${target.context} range ${target.low}-${target.high} ${target.unit}` };
  }
  if (target && target.low !== null && value < target.low) {
    return { severity: 'low', verified: target.verified, source: target.source ?? itemSource(p, item), text: `level ${value} ${v.unit} is below the ${target.context} range ${target.low}-${target.high} ${target.unit}` };
  }
  return undefined;
}

/** When the next level / lab is due: the interval after the last result, or the first check after the start. */
export function levelDue(p: MonitoringProtocol, item: MonitoringItem, meds: NormalizedMedication[], latest: ObservedValue | undefined, now: Date, isLevel: boolean): MonitoringDue | undefined {
  const alert = isLevel ? overdueAlertMonths(item) : undefined;
  const months = alert?.months ?? routineIntervalMonths(item.timing);
  if (months === undefined) return undefined;
  const start = meds.map((m) => m.start).filter((d): d is Date => !!d).sort((a, b) => a.getTime() - b.getTime())[0];
  const firstDays = (isLevel ? firstCheckDays(item.timing) : 0) ?? 0;
  const dueDate = latest ? new Date(latest.date.getTime() + months * MONTH_DAYS * DAY_MS) : start ? new Date(start.getTime() + firstDays * DAY_MS) : now;
  return {
    ruleId: `MON-${p.id}-${item.test}`, protocol: p.id, test: item.test, loinc: codes(item), medications: meds,
    last: latest?.observation, lastDate: latest?.date, dueDate, status: dueStatus(dueDate, now, !latest && !start),
    basis: latest ? `at least every ${months} months` : isLevel && firstDays ? `first level ${firstDays} days after start` : 'baseline',
    verified: alert ? alert.verified : itemVerified(p, item), source: itemSource(p, item),
  };
}

function overdue(p: MonitoringProtocol, item: MonitoringItem, due: MonitoringDue, now: Date): Finding {
  const name = due.medications[0].ingredients[0]?.name ?? p.id;
  const start = due.medications.map((m) => m.start).filter((d): d is Date => !!d).sort((a, b) => a.getTime() - b.getTime())[0];
  if (due.lastDate) {
    const age = daysBetween(due.lastDate, now);
    return overdueFinding(due, `${item.test} overdue on ${name}: last ${Math.round(age / MONTH_DAYS)} months ago`,
      `Last ${item.test} result was ${day(due.lastDate)} (${Math.round(age)} days ago); protocol "${p.id}" expects one ${due.basis} while on ${name}.`);
  }
  return overdueFinding(due, `${item.test} overdue on ${name}: no result on record`,
    `No ${item.test} result (LOINC ${due.loinc.join(', ')}) is on record for a patient on ${name}${start ? ` since ${day(start)}` : ''}; protocol "${p.id}" expects ${item.timing?.join('; ') ?? 'periodic checks'}.`);
}

/** Level and lab checks for lithium, valproate and carbamazepine (due, overdue or ok). */
export function drugLevelSchedule(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase, now: Date): MonitoringDue[] {
  const out: MonitoringDue[] = [];
  for (const spec of SPECS) {
    const applies = kb.protocolIngredients.get(spec.protocol) ?? new Set<string>();
    const on = meds.filter((m) => m.ingredients.some((i) => applies.has(i.rxcui)));
    const p = kb.protocols.get(spec.protocol);
    if (!on.length || !p) continue;
    for (const [index, isLevel] of [[spec.levelItem, true], ...spec.labItems.map((i) => [i, false])] as [number, boolean][]) {
      const item = p.items[index];
      if (!item?.loinc.length) continue;
      const due = levelDue(p, item, on, latestOf(obs, codes(item)), now, isLevel);
      if (due) out.push(due);
    }
  }
  return out;
}

export function findDrugLevels(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase, now: Date): Finding[] {
  const findings: Finding[] = [];
  for (const spec of SPECS) {
    const applies = kb.protocolIngredients.get(spec.protocol) ?? new Set<string>();
    const on = meds.filter((m) => m.ingredients.some((i) => applies.has(i.rxcui)));
    const p = kb.protocols.get(spec.protocol);
    if (!on.length || !p) continue;
    const item = p.items[spec.levelItem];
    const latest = latestOf(obs, codes(item), (v) => v.value !== undefined && spec.units.includes(v.unit.toLowerCase()));
    if (latest) {
      const hit = outOfRange(spec, p, item, latest);
      if (hit) {
        findings.push(makeFinding({
          kind: 'monitoring-out-of-range', severity: hit.severity, ruleId: `MON-${p.id}-level`, verified: hit.verified, source: hit.source,
          medications: on, observations: [latest.observation],
          summary: `${item.test.split('(')[0].trim()}: ${hit.text.split(':')[0]}`,
          detail: `${latest.date.toISOString().slice(0, 10)}: ${hit.text}.`,
        }));
      }
    }
  }
  for (const due of drugLevelSchedule(meds, obs, kb, now)) {
    if (due.status !== 'overdue') continue;
    const p = kb.protocols.get(due.protocol) as MonitoringProtocol;
    findings.push(overdue(p, p.items.find((i) => i.test === due.test) as MonitoringItem, due, now));
  }
  return findings;
}
