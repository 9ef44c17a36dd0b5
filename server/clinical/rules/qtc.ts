// QTc out of range for patients on QT-prolonging psychotropics (psych-monitoring.json "QTc-monitoring", verified: false).
import type { KnowledgeBase } from '../kb-types.ts';
import { makeFinding } from '../finding.ts';
import { seriesOf, type ObservationIndex } from '../observations.ts';
import type { Finding, NormalizedMedication } from '../types.ts';

/** The corrected QT interval code of the protocol's ECG item ("Q-T interval corrected" in the LOINC registry). */
function qtcCode(kb: KnowledgeBase): string | undefined {
  return kb.protocols.get('QTc-monitoring')?.items[0]?.loinc.find((l) => /^Q-T interval corrected$/i.test(l.display))?.code;
}

export function findQtc(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase): Finding[] {
  const p = kb.protocols.get('QTc-monitoring');
  const qt = kb.protocolIngredients.get('QTc-monitoring') ?? new Set<string>();
  const QTC = qtcCode(kb);
  const on = meds.filter((m) => m.ingredients.some((i) => qt.has(i.rxcui)));
  if (!p || !on.length || !QTC) return [];
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
