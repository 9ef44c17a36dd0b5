// $reconcile: groups entries of ≥ 2 source lists by RxNorm ingredient set, classifies match and discrepancies
// (SPEC §4; psychiatry-knowledge.md §6 matching tiers and discrepancy categories).
import type { Ingredient, KnowledgeBase } from './kb-types.ts';
import { RXNORM } from './kb-types.ts';
import { createMedicationResolver } from './medication-resolver.ts';
import { normalizeMedication } from './normalize.ts';
import type { MedicationEntry, NormalizedMedication } from './types.ts';

export interface ReconcileSource {
  label: string;
  date?: string;
  entries: MedicationEntry[];
  medications?: fhir4.Medication[];
  bundle?: fhir4.Bundle;
}

export type MatchKind = 'identical' | 'similar' | 'unique';
export type Discrepancy = 'omission' | 'commission' | 'dose' | 'frequency' | 'route' | 'form' | 'duplication';

export interface ReconcileRow {
  source: string;
  resource: MedicationEntry;
  normalized: NormalizedMedication;
}

export interface ReconcileGroup {
  ingredient: fhir4.Coding;
  ingredients: Ingredient[];
  match: MatchKind;
  discrepancy: Discrepancy[];
  entries: ReconcileRow[];
}

const GONE = new Set(['entered-in-error', 'cancelled', 'stopped', 'completed', 'not-taken', 'revoked']);

/** Dose-form group: tablet vs capsule is the same group; IR vs ER, ODT, liquid and injectables differ. */
export function formGroup(doseForm?: string): string | undefined {
  if (!doseForm) return undefined;
  const f = doseForm.toLowerCase();
  if (/extended release|24 hr|12 hr/.test(f)) return 'extended-release';
  if (/delayed release/.test(f)) return 'delayed-release';
  if (/disintegrating/.test(f)) return 'orally-disintegrating';
  if (/inject|syringe|cartridge|auto-injector/.test(f)) return 'injection';
  if (/solution|suspension|syrup|elixir|concentrate/.test(f)) return 'liquid';
  if (/transdermal|patch/.test(f)) return 'transdermal';
  if (/sublingual|buccal/.test(f)) return 'transmucosal';
  return /tablet|capsule/.test(f) ? 'oral-solid' : f;
}

function keyOf(n: NormalizedMedication): string {
  return n.ingredients.length ? n.ingredients.map((i) => i.rxcui).sort().join('+') : `text:${n.text.toLowerCase().trim()}`;
}

function differs<T>(values: (T | undefined)[], same: (a: T, b: T) => boolean): boolean {
  const known = values.filter((v): v is T => v !== undefined);
  return known.some((v) => !same(v, known[0]));
}

function sameDose(a: Map<string, number>, b: Map<string, number>): boolean {
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w !== undefined && Math.abs(v - w) > Math.max(0.01, v * 0.01)) return false;
  }
  return true;
}

function attributeDiscrepancies(rows: ReconcileRow[]): Discrepancy[] {
  const out: Discrepancy[] = [];
  const ns = rows.map((r) => r.normalized);
  const doses = ns.map((n) => (n.dailyMg.size ? n.dailyMg : undefined));
  const strengths = ns.map((n) => (n.strength ? `${n.strength.value} ${n.strength.unit}` : undefined));
  if (doses.filter(Boolean).length >= 2 ? differs(doses, sameDose) : differs(strengths, (a, b) => a === b)) out.push('dose');
  if (differs(ns.map((n) => n.frequencyPerDay), (a, b) => Math.abs(a - b) < 1e-6)) out.push('frequency');
  if (differs(ns.map((n) => n.route?.toLowerCase()), (a, b) => a === b)) out.push('route');
  if (differs(ns.map((n) => formGroup(n.doseForm)), (a, b) => a === b)) out.push('form');
  return out;
}

/** Sources ordered oldest → newest by date (undated sources keep their given order, after dated ones). */
function ordered(sources: ReconcileSource[]): ReconcileSource[] {
  const dated = sources.filter((s) => s.date).sort((a, b) => Date.parse(a.date as string) - Date.parse(b.date as string));
  return [...dated, ...sources.filter((s) => !s.date)];
}

/**
 * Groups entries per medication concept. The newest source is the list being reconciled to: a concept missing
 * from it is an omission; a concept only in it (missing from an older source) is a commission.
 */
export function reconcile(sources: ReconcileSource[], kb: KnowledgeBase): ReconcileGroup[] {
  const groups = new Map<string, ReconcileRow[]>();
  for (const s of sources) {
    const resolve = createMedicationResolver(s.medications ?? [], s.bundle);
    for (const e of s.entries) {
      if (GONE.has(e.status)) continue;
      const normalized = normalizeMedication(e, kb, resolve);
      const key = keyOf(normalized);
      groups.set(key, [...(groups.get(key) ?? []), { source: s.label, resource: e, normalized }]);
    }
  }
  const order = ordered(sources);
  const target = order[order.length - 1]?.label;
  const result: ReconcileGroup[] = [];
  for (const rows of groups.values()) {
    const present = new Set(rows.map((r) => r.source));
    const discrepancy: Discrepancy[] = [];
    const all = sources.every((s) => present.has(s.label));
    if (!all && sources.length > 1) discrepancy.push(present.has(target) ? 'commission' : 'omission');
    if (present.size < rows.length) discrepancy.push('duplication');
    discrepancy.push(...attributeDiscrepancies(rows));
    const first = rows[0].normalized;
    // Identical needs the same product too (an SBD counts as its generic SCD); a salt or ingredient-level entry is similar.
    const products = new Set(rows.map((r) => r.normalized.product?.scd ?? r.normalized.product?.rxcui ?? ''));
    const ing = first.ingredients[0];
    result.push({
      ingredient: ing ? { system: RXNORM, code: ing.rxcui, display: first.ingredients.map((i) => i.name).join(' / ') } : { display: first.text },
      ingredients: first.ingredients,
      match: present.size === 1 && sources.length > 1 ? 'unique' : all && discrepancy.length === 0 && products.size === 1 ? 'identical' : 'similar',
      discrepancy, entries: rows,
    });
  }
  markClassDuplicates(result, kb);
  return result;
}

/** Two groups in one source list that a DUP-* rule names (two SSRIs, two antipsychotics …) are both duplications. */
function markClassDuplicates(groups: ReconcileGroup[], kb: KnowledgeBase): void {
  const dupRules = kb.rules.filter((r) => r.duplicate);
  for (let i = 0; i < groups.length; i++) {
    for (let j = i + 1; j < groups.length; j++) {
      const [a, b] = [groups[i], groups[j]];
      const sameList = a.entries.some((x) => b.entries.some((y) => x.source === y.source));
      if (!sameList) continue;
      const hit = dupRules.some((r) => a.ingredients.some((x) => b.ingredients.some((y) => x.rxcui !== y.rxcui
        && ((r.object.members.has(x.rxcui) && r.precipitant.members.has(y.rxcui)) || (r.object.members.has(y.rxcui) && r.precipitant.members.has(x.rxcui))))));
      if (!hit) continue;
      for (const g of [a, b]) {
        if (!g.discrepancy.includes('duplication')) g.discrepancy.push('duplication');
        if (g.match === 'identical') g.match = 'similar';
      }
    }
  }
}

/** The SPEC §4 `$reconcile` output: one `group` part per concept. */
export function reconcileToParameters(groups: ReconcileGroup[]): fhir4.Parameters {
  return {
    resourceType: 'Parameters',
    parameter: groups.map((g) => ({
      name: 'group',
      part: [
        { name: 'match', valueCode: g.match },
        ...g.discrepancy.map((d) => ({ name: 'discrepancy', valueCode: d })),
        { name: 'ingredient', valueCoding: g.ingredient },
        ...g.entries.map((e) => ({
          name: 'entry',
          part: [{ name: 'source', valueString: e.source }, { name: 'resource', resource: e.resource }],
        })),
      ],
    })),
  };
}
