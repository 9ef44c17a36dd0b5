// Measurement-based care: PHQ-9 / GAD-7 (and PHQ-9 Teen) baseline vs latest — response, remission, worsening
// (psych-scales.json scoring; psych-monitoring.json "measurement-based-care-depression").
import type { KnowledgeBase, Scale } from '../kb-types.ts';
import { makeFinding } from '../finding.ts';
import { seriesOf, type ObservationIndex } from '../observations.ts';
import type { Finding, NormalizedMedication } from '../types.ts';

const SCALES = ['PHQ-9', 'GAD-7', 'PHQ-9-Teen (PHQ-A / PHQ-9M)'];
const PHQ9 = 'PHQ-9';

function band(scale: Scale, score: number): number {
  return scale.bands.findIndex((b) => score >= b.min && score <= b.max);
}

export function findMbc(meds: NormalizedMedication[], obs: ObservationIndex, kb: KnowledgeBase): Finding[] {
  const findings: Finding[] = [];
  const phq9 = kb.scales.get(PHQ9);
  const responseRule = phq9?.response ?? '';
  const responsePct = Number(/(\d+)%/.exec(responseRule)?.[1] ?? NaN);
  const responseVerified = !/not re-verified/i.test(responseRule);
  const treated = meds.filter((m) => m.ingredients.some((i) => ['antidepressant', 'anxiolytic', 'anxiolytic/sedative'].includes(kb.meds.get(i.rxcui)?.className ?? '')));
  for (const id of SCALES) {
    const scale = kb.scales.get(id);
    if (!scale?.total) continue;
    const series = seriesOf(obs, [scale.total.code]).filter((v) => v.value !== undefined);
    if (series.length < 2) continue;
    const [first, last] = [series[0], series[series.length - 1]];
    const [b, l] = [first.value as number, last.value as number];
    const name = id.split(' ')[0];
    const bands = scale.bands.length ? scale : phq9;
    const observations = [last.observation, first.observation];
    const trend = `${name} ${b} on ${first.date.toISOString().slice(0, 10)} → ${l} on ${last.date.toISOString().slice(0, 10)}`;
    const remissionBelow = Number(/<\s*(\d+)/.exec(scale.remission ?? '')?.[1] ?? NaN);
    const drop = b > 0 ? ((b - l) / b) * 100 : 0;
    if (!Number.isNaN(remissionBelow) && l < remissionBelow && b >= remissionBelow) {
      findings.push(makeFinding({
        kind: 'mbc-remission', severity: 'low', ruleId: `MBC-${name}-remission`, verified: scale.verified, source: `${scale.source}; remission: ${scale.remission}`,
        medications: treated, observations, summary: `${name} remission: ${b} → ${l}`,
        detail: `${trend}: remission (total < ${remissionBelow}).`,
      }));
    } else if (!Number.isNaN(responsePct) && drop >= responsePct) {
      const borrowed = id !== PHQ9 && !scale.response;
      findings.push(makeFinding({
        kind: 'mbc-response', severity: 'low', ruleId: `MBC-${name}-response`, verified: responseVerified && !borrowed,
        source: `${phq9?.source}; response: ${responseRule}`, medications: treated, observations,
        summary: `${name} response: ${b} → ${l} (${Math.round(drop)}% drop)`,
        detail: `${trend}: ${Math.round(drop)}% reduction from baseline (response ≥ ${responsePct}%).${borrowed ? ` The response definition is the PHQ-9 one; ${name} has none of its own in the knowledge base.` : ''}`,
      }));
    } else if (bands && l > b && band(bands, l) > band(bands, b)) {
      findings.push(makeFinding({
        kind: 'mbc-worsening', severity: 'moderate', ruleId: `MBC-${name}-worsening`, verified: false, source: scale.source,
        medications: treated, observations,
        summary: `${name} worsening: ${b} → ${l} (${bands.bands[band(bands, b)].label} → ${bands.bands[band(bands, l)].label})`,
        detail: `${trend}: score rose into a higher severity band. Worsening (a rise into a higher band) is a Titrate convention; the knowledge base defines bands but no worsening rule.`,
      }));
    }
  }
  return findings;
}
