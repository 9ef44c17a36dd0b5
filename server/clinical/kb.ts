// Loads the psychiatric knowledge base (../shared/reference/data/*.json) once and builds the lookup maps.
// The only file in clinical/ that touches the file system; call it at startup and pass the result down.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toMedEntry, toProduct, toRule } from './kb-entries.ts';
import type { Ingredient, InteractionRule, KnowledgeBase, LoincEntry, MedEntry, MonitoringProtocol, Product, Scale } from './kb-types.ts';

export type { KnowledgeBase } from './kb-types.ts';

const DEFAULT_DIR = fileURLToPath(new URL('../../../shared/reference/data/', import.meta.url));

/**
 * Lithium carbonate 42351, lithium citrate 52105 and "lithium" 6448 are separate INs in RxNorm; rxnorm-subset.md
 * ("Using it for normalisation" §3) says to treat them as one moiety. Titrate keys lithium on 42351.
 */
export const LITHIUM_MOIETY: Record<string, string> = { '52105': '42351', '6448': '42351' };

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

function readJson(dir: string, file: string): Json {
  return JSON.parse(readFileSync(join(dir, file), 'utf8'));
}

/** Reads the five data files from `dir` (default: ../shared/reference/data relative to the project root). */
export function loadKnowledgeBase(dir: string = DEFAULT_DIR): KnowledgeBase {
  const medsJson = readJson(dir, 'psych-meds.json') as Json[];
  const rulesJson = readJson(dir, 'psych-interactions.json') as Json[];
  const monJson = readJson(dir, 'psych-monitoring.json');
  const scalesJson = readJson(dir, 'psych-scales.json') as Json[];
  const rx = readJson(dir, 'rxnorm-subset.json');

  const canon = (code: string): string => LITHIUM_MOIETY[code] ?? code;
  const ingredientNames = new Map<string, string>();
  for (const i of rx.ingredients as Json[]) if (i.rxcui) ingredientNames.set(i.rxcui, i.name);

  const meds = new Map<string, MedEntry>();
  for (const m of medsJson) meds.set(m.rxnorm.rxcui, toMedEntry(m));
  for (const m of meds.values()) ingredientNames.set(m.rxcui, m.name);

  const variants = new Map<string, string>(Object.entries(LITHIUM_MOIETY));
  const names = new Map<string, string[]>();
  const addName = (name: string, rxcui: string) => {
    if (!rxcui || !name) return;
    const key = name.toLowerCase();
    const list = names.get(key) ?? [];
    if (!list.includes(rxcui)) list.push(rxcui);
    names.set(key, list);
  };
  for (const v of rx.ingredientVariants as Json[]) {
    const target = v.rollsUpTo?.rxcui ? canon(v.rollsUpTo.rxcui) : canon(v.rxcui ?? '');
    if (v.rxcui && v.rollsUpTo?.rxcui) variants.set(v.rxcui, target);
    if (target) addName(v.name, target);
  }

  const products = new Map<string, Product>();
  const scdc = new Map<string, { ingredient: Ingredient; strength: Product['strength'][number] }>();
  for (const c of rx.concepts as Json[]) {
    const p = toProduct(c, canon);
    products.set(p.rxcui, p);
    if (p.tty === 'BN') for (const i of p.ingredients) addName(p.name, i.rxcui);
    for (const s of (c.strength ?? []) as Json[]) {
      if (s.scdc && s.ingredient && !scdc.has(s.scdc)) {
        const ing = canon(s.ingredient);
        scdc.set(s.scdc, {
          ingredient: { rxcui: ing, name: ingredientNames.get(ing) ?? s.substance },
          strength: { ingredient: ing, substance: s.substance, value: s.value, unit: s.unit },
        });
      }
    }
  }
  for (const [rxcui, name] of ingredientNames) addName(name, canon(rxcui));

  const rules = rulesJson.map((r) => toRule(r, canon));
  for (const r of rulesJson) {
    for (const m of [...r.object.members, ...r.precipitant.members] as Json[]) {
      if (m.rxcui && !ingredientNames.has(m.rxcui)) ingredientNames.set(m.rxcui, m.name);
      if (m.rxcui) addName(m.name, canon(m.rxcui));
    }
  }
  const rulesByIngredient = new Map<string, InteractionRule[]>();
  for (const rule of rules) {
    for (const code of new Set([...rule.object.members, ...rule.precipitant.members])) {
      const list = rulesByIngredient.get(code) ?? [];
      list.push(rule);
      rulesByIngredient.set(code, list);
    }
  }

  const rulesByClass = new Map<string, InteractionRule[]>();
  for (const rule of rules) {
    for (const id of new Set([rule.object.classId, rule.precipitant.classId])) {
      if (id) rulesByClass.set(id, [...(rulesByClass.get(id) ?? []), rule]);
    }
  }

  const classes = new Map<string, Set<string>>();
  const addClass = (id: string, code: string) => {
    const set = classes.get(id) ?? new Set<string>();
    set.add(code);
    classes.set(id, set);
  };
  for (const m of meds.values()) {
    addClass(m.className, canon(m.rxcui));
    addClass(m.subclass, canon(m.rxcui));
  }
  for (const rule of rules) {
    for (const side of [rule.object, rule.precipitant]) {
      if (side.classId) for (const code of side.members) addClass(side.classId, code);
    }
  }

  const strengthsByIngredient = new Map<string, { value: number; unit: string; doseForm: string; rxcui: string }[]>();
  for (const p of products.values()) {
    if (p.tty !== 'SCD' || p.ingredients.length !== 1 || p.strength.length !== 1 || !p.doseForm) continue;
    const ing = p.ingredients[0].rxcui;
    const list = strengthsByIngredient.get(ing) ?? [];
    list.push({ value: p.strength[0].value, unit: p.strength[0].unit, doseForm: p.doseForm, rxcui: p.rxcui });
    strengthsByIngredient.set(ing, list);
  }

  const loinc = new Map<string, LoincEntry>(Object.entries(monJson.loinc_registry as Record<string, LoincEntry>));
  const protocols = new Map<string, MonitoringProtocol>();
  for (const p of monJson.protocols as MonitoringProtocol[]) protocols.set(p.id, p);

  const protocolIngredients = new Map<string, Set<string>>();
  for (const p of protocols.values()) {
    const set = new Set<string>();
    for (const raw of p.applies_to?.ingredients ?? []) {
      const code = /\((\d+)/.exec(raw)?.[1];
      const name = raw.replace(/\(.*\)/, '').trim().toLowerCase();
      if (code) set.add(canon(code));
      else if (name === 'tcas') for (const c of classes.get('TCA') ?? []) set.add(c);
      else for (const c of names.get(name) ?? []) set.add(c);
    }
    protocolIngredients.set(p.id, set);
  }

  const scales = new Map<string, Scale>();
  const scaleByLoinc = new Map<string, Scale>();
  for (const s of scalesJson) {
    const scale: Scale = {
      id: s.id, name: s.name, total: s.total ?? undefined,
      bands: Array.isArray(s.scoring?.bands) ? s.scoring.bands : [],
      response: s.scoring?.response, remission: s.scoring?.remission,
      verified: s.verified === true, source: s.source,
    };
    scales.set(scale.id, scale);
    if (scale.total?.code) scaleByLoinc.set(scale.total.code, scale);
  }

  const observedLoinc = new Set<string>(loinc.keys());
  for (const p of protocols.values()) for (const item of p.items ?? []) for (const l of item.loinc ?? []) observedLoinc.add(l.code);
  for (const s of scales.values()) if (s.total?.code) observedLoinc.add(s.total.code);

  const escaped = [...names.keys()].filter((n) => n.length >= 4)
    .sort((a, b) => b.length - a.length).map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const nameRegex = new RegExp(`(?<![a-z])(${escaped.join('|')})(?![a-z])`, 'g');

  return {
    meds, ingredientNames, products, scdc, variants, names, nameRegex, rules, rulesByIngredient, rulesByClass, classes,
    strengthsByIngredient, loinc, protocols, protocolIngredients, scales, scaleByLoinc,
    observedLoinc: [...observedLoinc].sort(),
    release: String(rx.source?.release ?? 'RxNorm Current Prescribable Content'),
  };
}
