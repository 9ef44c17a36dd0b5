// Building blocks for Findings: severity mapping, codings, the "unverified" wording and ordering.
import type { InteractionRule } from './kb-types.ts';
import { ACT_CODE, FINDING_CODE } from './types.ts';
import type { Finding, FindingKind, NormalizedMedication, Severity } from './types.ts';

/** SPEC §4: high for contraindicated/critical, moderate for major/overdue, low otherwise. */
export function severityOfRule(severity: InteractionRule['severity']): Severity {
  return severity === 'contraindicated' ? 'high' : severity === 'major' ? 'moderate' : 'low';
}

const CODES: Record<FindingKind, fhir4.Coding> = {
  interaction: { system: ACT_CODE, code: 'DRG', display: 'Drug Interaction Alert' },
  duplicate: { system: ACT_CODE, code: 'DUPTHPY', display: 'Duplicate Therapy Alert' },
  'dose-max': { system: ACT_CODE, code: 'DOSEH', display: 'High Dose Alert' },
  'dose-max-age': { system: ACT_CODE, code: 'DOSEHINDA', display: 'High Dose for Age Alert' },
  'monitoring-overdue': { system: FINDING_CODE, code: 'monitoring-overdue', display: 'Monitoring overdue' },
  'monitoring-out-of-range': { system: FINDING_CODE, code: 'monitoring-out-of-range', display: 'Monitoring value out of range' },
  'mbc-response': { system: FINDING_CODE, code: 'mbc-response', display: 'Measurement-based care: response' },
  'mbc-remission': { system: FINDING_CODE, code: 'mbc-remission', display: 'Measurement-based care: remission' },
  'mbc-worsening': { system: FINDING_CODE, code: 'mbc-worsening', display: 'Measurement-based care: worsening' },
};

export function codingFor(kind: FindingKind): fhir4.Coding {
  return { ...CODES[kind] };
}

export const UNVERIFIED_NOTE = 'Note: this finding rests on a knowledge-base entry marked unverified (verified: false); confirm against current labeling before acting.';

/** Appends the unverified wording and normalisation caveats to a detail text. */
export function composeDetail(text: string, verified: boolean, meds: NormalizedMedication[], extra: string[] = []): string {
  const parts = [text, ...extra];
  const caveats = meds.flatMap((m) => m.notes.filter((n) => /low confidence|supplement|not in the/.test(n)).map((n) => `${m.text}: ${n}`));
  if (caveats.length) parts.push(`Normalisation: ${caveats.join('; ')}.`);
  if (!verified) parts.push(UNVERIFIED_NOTE);
  return parts.join(' ');
}

export interface FindingInit {
  kind: FindingKind;
  severity: Severity;
  summary: string;
  detail: string;
  source: string;
  verified: boolean;
  ruleId: string;
  medications: NormalizedMedication[];
  observations?: fhir4.Observation[];
  suggestedDailyMg?: number;
}

/** A Finding with its coding, the detail completed and the summary kept under 140 characters. */
export function makeFinding(init: FindingInit): Finding {
  const summary = init.summary.length > 139 ? `${init.summary.slice(0, 136)}...` : init.summary;
  const url = /https?:\/\/[^\s;,)]+/.exec(init.source)?.[0];
  return {
    kind: init.kind, code: codingFor(init.kind), severity: init.severity, summary,
    detail: composeDetail(init.detail, init.verified, init.medications), source: init.source,
    sourceUrl: url, verified: init.verified, ruleId: init.ruleId, medications: init.medications,
    observations: init.observations ?? [], suggestedDailyMg: init.suggestedDailyMg,
  };
}

const RANK: Record<Severity, number> = { high: 0, moderate: 1, low: 2 };

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.ruleId.localeCompare(b.ruleId));
}

export function medLabel(m: NormalizedMedication): string {
  return m.ingredients.length ? m.ingredients.map((i) => i.name).join(' / ') : m.text || 'unidentified medication';
}
