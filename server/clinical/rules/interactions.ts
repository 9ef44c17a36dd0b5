// Drug–drug interaction and class-duplication rules from psych-interactions.json, evaluated per pair of entries.
import type { InteractionRule, KnowledgeBase } from '../kb-types.ts';
import { makeFinding, medLabel, severityOfRule } from '../finding.ts';
import type { Finding, NormalizedMedication } from '../types.ts';

function matches(rule: InteractionRule, a: string, b: string): boolean {
  return (rule.object.members.has(a) && rule.precipitant.members.has(b))
    || (rule.object.members.has(b) && rule.precipitant.members.has(a));
}

/** Rules that fire between two different entries; ingredients inside one product never interact with each other. */
function firingRules(x: NormalizedMedication, y: NormalizedMedication, kb: KnowledgeBase): { rule: InteractionRule; a: string; b: string }[] {
  const out = new Map<string, { rule: InteractionRule; a: string; b: string }>();
  for (const ia of x.ingredients) {
    for (const rule of kb.rulesByIngredient.get(ia.rxcui) ?? []) {
      if (out.has(rule.id)) continue;
      for (const ib of y.ingredients) {
        if (ia.rxcui !== ib.rxcui && matches(rule, ia.rxcui, ib.rxcui)) {
          out.set(rule.id, { rule, a: ia.rxcui, b: ib.rxcui });
          break;
        }
      }
    }
  }
  return [...out.values()];
}

function ruleFinding(rule: InteractionRule, x: NormalizedMedication, y: NormalizedMedication, a: string, b: string, kb: KnowledgeBase): Finding {
  const [na, nb] = [kb.ingredientNames.get(a) ?? a, kb.ingredientNames.get(b) ?? b];
  const unverifiedMember = [a, b].filter((c) => rule.unverifiedMembers.has(c));
  const verified = rule.verified && unverifiedMember.length === 0;
  const memberNote = unverifiedMember.length ? ` The RxNorm code of ${unverifiedMember.map((c) => kb.ingredientNames.get(c)).join(', ')} is marked unverified in the rule.` : '';
  if (rule.duplicate) {
    return makeFinding({
      kind: 'duplicate', severity: severityOfRule(rule.severity), ruleId: rule.id, verified, source: rule.source,
      medications: [x, y],
      summary: `Duplicate therapy: ${na} + ${nb} (${rule.object.classId ?? 'same class'})`,
      detail: `${medLabel(x)} and ${medLabel(y)} are both ${rule.object.classId ?? 'in the same class'} (rule ${rule.id}, severity ${rule.severity}). ${rule.effect}. ${rule.management}.${memberNote}`,
    });
  }
  return makeFinding({
    kind: 'interaction', severity: severityOfRule(rule.severity), ruleId: rule.id, verified, source: rule.source,
    medications: [x, y],
    summary: `${rule.severity === 'contraindicated' ? 'Contraindicated' : 'Interaction'}: ${na} + ${nb} — ${rule.effect.split(/[;(]/)[0].trim()}`,
    detail: `${na} + ${nb} (rule ${rule.id}, severity ${rule.severity}). Mechanism: ${rule.mechanism}. Effect: ${rule.effect}. Management: ${rule.management}.${rule.notes ? ` ${rule.notes}.` : ''}${memberNote}`,
  });
}

/** DRG and class DUPTHPY findings for every pair of current entries. */
export function findInteractions(meds: NormalizedMedication[], kb: KnowledgeBase): Finding[] {
  const findings: Finding[] = [];
  for (let i = 0; i < meds.length; i++) {
    for (let j = i + 1; j < meds.length; j++) {
      const shared = meds[i].ingredients.some((a) => meds[j].ingredients.some((b) => a.rxcui === b.rxcui));
      for (const { rule, a, b } of firingRules(meds[i], meds[j], kb)) {
        if (rule.duplicate && shared) continue;
        findings.push(ruleFinding(rule, meds[i], meds[j], a, b, kb));
      }
    }
  }
  return findings;
}

/**
 * Same ingredient in two current entries (brand + generic, two strengths): a duplication per
 * psychiatry-knowledge.md §6 ("duplication: same ingredient twice, e.g. brand + generic").
 */
export function findSameIngredient(meds: NormalizedMedication[], kb: KnowledgeBase): Finding[] {
  const findings: Finding[] = [];
  for (let i = 0; i < meds.length; i++) {
    for (let j = i + 1; j < meds.length; j++) {
      const shared = meds[i].ingredients.find((a) => meds[j].ingredients.some((b) => a.rxcui === b.rxcui));
      if (!shared || !kb.meds.has(shared.rxcui)) continue;
      findings.push(makeFinding({
        kind: 'duplicate', severity: 'moderate', ruleId: 'DUP-same-ingredient', verified: false,
        source: 'psychiatry-knowledge.md §6 medication reconciliation: duplication (same ingredient twice, e.g. brand + generic) — a suggested Titrate definition',
        medications: [meds[i], meds[j]],
        summary: `Duplicate therapy: ${shared.name} ordered twice`,
        detail: `${meds[i].text} and ${meds[j].text} both contain ${shared.name} (RxNorm ${shared.rxcui}); check for a duplicate or overlapping order.`,
      }));
    }
  }
  return findings;
}
