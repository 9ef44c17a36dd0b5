// Lithium, valproate and carbamazepine: serum levels out of range and overdue level/lab checks
// (psych-monitoring.json protocols "lithium", "valproate", "carbamazepine").
import type { KnowledgeBase, MonitoringItem, MonitoringProtocol } from '../kb-types.ts';
import { makeFinding } from '../finding.ts';
import { daysBetween, latestOf, type ObservationIndex, type ObservedValue } from '../observations.ts';
import type { Finding, NormalizedMedication, Severity } from '../types.ts';
import {
  firstCheckDays, itemSource, itemVerified, levelAlerts, MONTH_DAYS, overdueAlertMonths, routineIntervalMonths,
} from './protocol-text.ts';

interface LevelSpec {
  protocol: string;
  ingredient: string;
  /** Index of the level item, and of periodic lab items checked for overdue only. */
  levelItem: number;
  labItems: number[];
  /** Units accepted for the level (no conversion is attempted between unit families). */
  units: string[];
  therapeutic?: string;
  toxic?: string;
}

const SPECS: LevelSpec[] = [
  { protocol: 'lithium', ingredient: '42351', levelItem: 0, labItems: [1, 2], units: ['mmol/l', 'meq/l'] },
  { protocol: 'valproate', ingredient: '40254', levelItem: 0, labItems: [2], units: ['ug/ml', 'mcg/ml', 'mg/l', 'µg/ml', '[ug]/ml'], therapeutic: 'mania', toxic: 'toxic' },
  { protocol: 'carbamazepine', ingredient: '2002', levelItem: 0, labItems: [], units: ['ug/ml', 'mcg/ml', 'mg/l', 'µg/ml', '[ug]/ml'], therapeutic: 'usual therapeutic' },
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

function overdue(p: MonitoringProtocol, item: MonitoringItem, meds: NormalizedMedication[], latest: ObservedValue | undefined, now: Date, isLevel: boolean): Finding | undefined {
  const alert = isLevel ? overdueAlertMonths(item) : undefined;
  const months = alert?.months ?? routineIntervalMonths(item.timing);
  if (months === undefined) return undefined;
  const start = meds.map((m) => m.start).filter((d): d is Date => !!d).sort((a, b) => a.getTime() - b.getTime())[0];
  const verified = alert ? alert.verified : itemVerified(p, item);
  const name = meds[0].ingredients[0]?.name ?? p.id;
  if (latest) {
    const age = daysBetween(latest.date, now);
    if (age <= months * MONTH_DAYS) return undefined;
    return makeFinding({
      kind: 'monitoring-overdue', severity: 'moderate', ruleId: `MON-${p.id}-${item.test}`, verified, source: itemSource(p, item),
      medications: meds, observations: [latest.observation],
      summary: `${item.test} overdue on ${name}: last ${Math.floor(age / MONTH_DAYS)} months ago`,
      detail: `Last ${item.test} result was ${latest.date.toISOString().slice(0, 10)} (${Math.round(age)} days ago); protocol "${p.id}" expects one at least every ${months} months while on ${name}.`,
    });
  }
  const firstDays = isLevel ? firstCheckDays(item.timing) : 0;
  if (start && daysBetween(start, now) <= (firstDays ?? 0)) return undefined;
  return makeFinding({
    kind: 'monitoring-overdue', severity: 'moderate', ruleId: `MON-${p.id}-${item.test}`, verified, source: itemSource(p, item),
    medications: meds,
    summary: `${item.test} overdue on ${name}: no result on record`,
    detail: `No ${item.test} result (LOINC ${codes(item).join(', ')}) is on record for a patient on ${name}${start ? ` since ${start.toISOString().slice(0, 10)}` : ''}; protocol "${p.id}" expects ${item.timing?.join('; ') ?? 'periodic checks'}.`,
  });
}

export function findDrugLevels(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase, now: Date): Finding[] {
  const findings: Finding[] = [];
  for (const spec of SPECS) {
    const on = meds.filter((m) => m.ingredients.some((i) => i.rxcui === spec.ingredient));
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
    const levelOverdue = overdue(p, item, on, latestOf(obs, codes(item)), now, true);
    if (levelOverdue) findings.push(levelOverdue);
    for (const i of spec.labItems) {
      const lab = p.items[i];
      if (!lab?.loinc.length) continue;
      const f = overdue(p, lab, on, latestOf(obs, codes(lab)), now, false);
      if (f) findings.push(f);
    }
  }
  return findings;
}
