// Findings → CDS Hooks 2.0 cards (https://cds-hooks.hl7.org/2.0/#cds-service-response): indicator by severity,
// source with label/url, suggestions where a safer action exists (lower dose, remove the draft).
import { findingKey, stableUuid, type Finding, type KnowledgeBase, type MedicationEntry, type NormalizedMedication } from '../clinical/index.ts';

export interface CdsAction {
  type: 'create' | 'update' | 'delete';
  description: string;
  resource?: fhir4.FhirResource;
  resourceId?: string;
}

export interface CdsSuggestion {
  label: string;
  uuid: string;
  isRecommended?: boolean;
  actions: CdsAction[];
}

export interface CdsCard {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; url?: string; topic?: fhir4.Coding };
  suggestions?: CdsSuggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
}

const INDICATOR = { high: 'critical', moderate: 'warning', low: 'info' } as const;

function sourceLabel(source: string): string {
  const first = source.split(/\s*[;|]\s*/)[0];
  return `Titrate knowledge base: ${first.length > 100 ? `${first.slice(0, 97)}...` : first}`;
}

/** A copy of the draft whose first dosage gives `dailyMg` per day, in mg, at the same frequency. */
export function withDailyDose(draft: fhir4.MedicationRequest, med: NormalizedMedication, dailyMg: number): fhir4.MedicationRequest {
  const perDay = med.frequencyPerDay && med.frequencyPerDay > 0 ? med.frequencyPerDay : 1;
  const each = Math.round((dailyMg / perDay) * 1000) / 1000;
  const [first = {}, ...rest] = draft.dosageInstruction ?? [];
  const ordered = first.doseAndRate?.find((d) => d.type?.coding?.some((c) => c.code === 'ordered'))?.type;
  return {
    ...draft,
    dosageInstruction: [{
      ...first,
      text: `${each} mg ${perDay === 1 ? 'once daily' : `${perDay} times daily`} (${dailyMg} mg/day)`,
      doseAndRate: [{ ...(ordered ? { type: ordered } : {}), doseQuantity: { value: each, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
    }, ...rest],
  };
}

function suggestionsFor(f: Finding, uuid: string): CdsSuggestion[] {
  const drafts = f.medications.filter((m) => m.isDraft && m.resource.resourceType === 'MedicationRequest');
  const out: CdsSuggestion[] = [];
  for (const m of drafts) {
    const draft = m.resource as fhir4.MedicationRequest;
    const name = m.ingredients[0]?.name ?? m.text;
    if (f.suggestedDailyMg !== undefined && (f.kind === 'dose-max' || f.kind === 'dose-max-age')) {
      out.push({
        label: `Change ${name} to ${f.suggestedDailyMg} mg/day`, uuid: stableUuid(`${uuid}|dose|${draft.id}`), isRecommended: true,
        actions: [{ type: 'update', description: `Set the ${name} order to ${f.suggestedDailyMg} mg/day`, resource: withDailyDose(draft, m, f.suggestedDailyMg) }],
      });
    }
    if (f.severity === 'high' && (f.kind === 'interaction' || f.kind === 'duplicate') && draft.id) {
      out.push({
        label: `Remove the ${name} order`, uuid: stableUuid(`${uuid}|delete|${draft.id}`),
        actions: [{ type: 'delete', description: `Remove the draft ${name} order`, resourceId: `MedicationRequest/${draft.id}` }],
      });
    }
  }
  return out;
}

export interface CardOptions {
  /** Only findings that implicate one of these entries (the drafts / selections of the hook). */
  implicating?: MedicationEntry[];
}

export function buildCards(findings: Finding[], _kb: KnowledgeBase, options: CardOptions = {}): CdsCard[] {
  const only = options.implicating ? new Set(options.implicating) : undefined;
  return findings
    .filter((f) => !only || f.medications.some((m) => only.has(m.resource)))
    .map((f) => {
      const uuid = stableUuid(`card|${findingKey(f)}`);
      const suggestions = suggestionsFor(f, uuid);
      return {
        uuid,
        summary: f.summary.length < 140 ? f.summary : `${f.summary.slice(0, 136)}...`,
        detail: `${f.detail}\n\n*Source:* ${f.source}`,
        indicator: INDICATOR[f.severity],
        source: { label: sourceLabel(f.source), ...(f.sourceUrl ? { url: f.sourceUrl } : {}), topic: f.code },
        ...(suggestions.length ? { suggestions, selectionBehavior: 'at-most-one' as const } : {}),
      };
    });
}
