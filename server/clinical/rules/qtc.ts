// QTc out of range for patients on QT-prolonging psychotropics (psych-monitoring.json "QTc-monitoring", verified: false).
import type { KnowledgeBase } from '../kb-types.ts';
import { makeFinding } from '../finding.ts';
import { seriesOf, type ObservationIndex } from '../observations.ts';
import type { Finding, NormalizedMedication } from '../types.ts';

const QTC = '8636-3';

/** Ingredients named in the protocol's applies_to list ("TCAs" → the TCA class). */
export function qtDrugs(kb: KnowledgeBase): Set<string> {
  const out = new Set<string>();
  const p = kb.protocols.get('QTc-monitoring') as unknown as { applies_to?: { ingredients?: string[] } } | undefined;
  for (const raw of p?.applies_to?.ingredients ?? []) {
    const name = raw.replace(/\(.*\)/, '').trim().toLowerCase();
    if (name === 'tcas') for (const c of kb.classes.get('TCA') ?? []) out.add(c);
    for (const c of kb.names.get(name) ?? []) out.add(c);
  }
  return out;
}

export function findQtc(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase, qt: Set<string>): Finding[] {
  const p = kb.protocols.get('QTc-monitoring');
  const on = meds.filter((m) => m.ingredients.some((i) => qt.has(i.rxcui)));
  if (!p || !on.length) return [];
  const series = seriesOf(obs, [QTC]).filter((v) => v.value !== undefined);
  const latest = series[series.length - 1];
  if (!latest) return [];
  const item = p.items[0];
  const findings: Finding[] = [];
  for (const a of item.alerts ?? []) {
    const abs = /QTc\s*>\s*(\d+)\s*ms/i.exec(a.rule);
    const rise = /increase\s*>\s*(\d+)\s*ms/i.exec(a.rule);
    const value = latest.value as number;
    let text: string | undefined;
    if (abs && value > Number(abs[1])) text = `QTc ${value} ms > ${abs[1]} ms`;
    if (rise && series.length > 1 && value - (series[0].value as number) > Number(rise[1])) {
      text = `QTc rose ${value - (series[0].value as number)} ms from baseline ${series[0].value} ms`;
    }
    if (!text) continue;
    findings.push(makeFinding({
      kind: 'monitoring-out-of-range', severity: abs ? 'high' : 'moderate', ruleId: `MON-QTc-${abs ? 'absolute' : 'increase'}`,
      verified: p.verified && a.verified, source: p.source, medications: on, observations: [latest.observation],
      summary: `${text} on ${on.map((m) => m.ingredients[0]?.name).join(', ')}`,
      detail: `${latest.date.toISOString().slice(0, 10)}: ${text}. Action: ${a.action}.`,
    }));
  }
  return findings;
}
