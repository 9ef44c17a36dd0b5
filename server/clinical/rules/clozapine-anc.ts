// Clozapine ANC monitoring: interval by months on therapy vs the last ANC, and ANC bands
// (psych-monitoring.json "clozapine-ANC-general": Clozaril PI tables via PMC9243911).
import type { KnowledgeBase } from '../kb-types.ts';
import { makeFinding } from '../finding.ts';
import { DAY_MS, daysBetween, latestOf, type ObservationIndex, type ObservedValue } from '../observations.ts';
import type { Finding, MonitoringDue, NormalizedMedication, Severity } from '../types.ts';
import { dueStatus, overdueFinding } from './due.ts';
import { bandBounds, MONTH_DAYS } from './protocol-text.ts';

/** Required ANC interval in days from the normal band's frequency text for the months on therapy. */
export function ancIntervalDays(frequency: string, monthsOnTherapy: number): number | undefined {
  const weekly = /weekly months (\d+)-(\d+)/i.exec(frequency);
  const biweekly = /every 2 weeks months (\d+)-(\d+)/i.exec(frequency);
  const monthly = /monthly after (\d+) months/i.exec(frequency);
  if (weekly && monthsOnTherapy < Number(weekly[2])) return 7;
  if (biweekly && monthsOnTherapy < Number(biweekly[2])) return 14;
  if (monthly && monthsOnTherapy >= Number(monthly[1])) return 31;
  return undefined;
}

/** ANC in cells/uL: values reported in 10*3/uL (or 10*9/L) are scaled. */
export function ancPerMicroliter(v: ObservedValue): number | undefined {
  if (v.value === undefined) return undefined;
  return /10\*3|10\^3|10\*9|10\^9|k\/ul/i.test(v.unit) || v.value < 50 ? v.value * 1000 : v.value;
}

function clozapineContext(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase, now: Date) {
  const applies = kb.protocolIngredients.get('clozapine-ANC-general') ?? new Set<string>();
  const on = meds.filter((m) => m.ingredients.some((i) => applies.has(i.rxcui)));
  const p = kb.protocols.get('clozapine-ANC-general');
  if (!on.length || !p) return undefined;
  const item = p.items[0];
  const codes = item.loinc.map((l) => l.code);
  const start = on.map((m) => m.start).filter((d): d is Date => !!d).sort((a, b) => a.getTime() - b.getTime())[0];
  const months = start ? daysBetween(start, now) / MONTH_DAYS : undefined;
  const interval = months === undefined ? 7 : ancIntervalDays(item.bands?.[0]?.frequency ?? '', months) ?? 7;
  return { on, p, item, codes, start, months, interval, latest: latestOf(obs, codes) };
}

/** The next ANC: `interval` days after the last one (weekly / every 2 weeks / monthly by months on therapy). */
export function clozapineSchedule(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase, now: Date): MonitoringDue[] {
  const c = clozapineContext(meds, obs, kb, now);
  if (!c) return [];
  const dueDate = c.latest ? new Date(c.latest.date.getTime() + c.interval * DAY_MS) : c.start ?? now;
  return [{
    ruleId: 'MON-clozapine-ANC', protocol: c.p.id, test: c.item.test, loinc: c.codes, medications: c.on,
    last: c.latest?.observation, lastDate: c.latest?.date, dueDate, status: dueStatus(dueDate, now, !c.latest),
    basis: `every ${c.interval} days${c.months === undefined ? ' (start date unknown)' : ` (month ${Math.floor(c.months) + 1} of therapy)`}`,
    verified: c.p.verified, source: c.p.source,
  }];
}

export function findClozapineAnc(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase, now: Date): Finding[] {
  const c = clozapineContext(meds, obs, kb, now);
  if (!c) return [];
  const { on, p, item, codes, start, months, interval, latest } = c;
  const bands = item.bands ?? [];
  const findings: Finding[] = [];
  const population = 'General-population thresholds; patients with benign ethnic neutropenia follow protocol clozapine-ANC-BEN.';
  for (const due of clozapineSchedule(meds, obs, kb, now)) {
    if (due.status !== 'overdue') continue;
    const ageDays = latest ? daysBetween(latest.date, now) : undefined;
    findings.push(overdueFinding(due,
      latest ? `Clozapine ANC overdue: last ${Math.floor(ageDays as number)} days ago, due every ${interval} days` : 'Clozapine ANC overdue: no ANC on record',
      `${months === undefined ? 'Start date unknown (weekly schedule assumed)' : `Month ${Math.floor(months) + 1} of clozapine therapy (started ${start?.toISOString().slice(0, 10)})`}; schedule "${bands[0]?.frequency}" requires an ANC every ${interval} days. ${latest ? `Last ANC ${latest.date.toISOString().slice(0, 10)}.` : 'No ANC (LOINC ' + codes.join(', ') + ') on record.'} ${population}`));
  }
  const anc = latest ? ancPerMicroliter(latest) : undefined;
  if (latest && anc !== undefined) {
    const band = bands.map((b) => ({ b, r: bandBounds(b.range) })).find((x) => x.r && anc >= x.r.low && anc <= x.r.high);
    if (band && !/normal/i.test(band.b.range)) {
      const severity: Severity = /interrupt/i.test(band.b.action) ? 'high' : 'moderate';
      findings.push(makeFinding({
        kind: 'monitoring-out-of-range', severity, ruleId: 'MON-clozapine-ANC-band', verified: p.verified, source: p.source,
        medications: on, observations: [latest.observation],
        summary: `Clozapine ANC ${anc}/uL: ${band.b.range}`,
        detail: `ANC ${anc}/uL on ${latest.date.toISOString().slice(0, 10)} falls in band "${band.b.range}". Action: ${band.b.action}. Monitoring: ${band.b.frequency}. ${population}`,
      }));
    }
  }
  return findings;
}
