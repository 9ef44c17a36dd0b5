// Normalises a MedicationRequest / MedicationStatement to RxNorm ingredients, strength, form and daily dose.
// Lookup order follows rxnorm-subset.md "Using it for normalisation": IN → PIN/salt → SCD/SBD/BN/pack → SCDC → text.
import type { Ingredient, KnowledgeBase, Product } from './kb-types.ts';
import { RXNORM } from './kb-types.ts';
import { computeDailyDose } from './dose.ts';
import type { MedicationResolver } from './medication-resolver.ts';
import type { Confidence, MedicationEntry, NormalizedMedication } from './types.ts';

interface CodeResult {
  ingredients: Ingredient[];
  product?: Product;
  strength?: { value: number; unit: string };
  notes: string[];
}

const ACTIVE = new Set(['active', 'intended', 'on-hold']);

/** True when the entry belongs to the current regimen (drafts count only when passed to checkDraftOrders). */
export function isCurrent(entry: MedicationEntry): boolean {
  return ACTIVE.has(entry.status);
}

/** Looks one RxNorm code up in the knowledge base; undefined when the code is unknown. */
export function lookupRxnormCode(code: string, kb: KnowledgeBase): CodeResult | undefined {
  const ing = (rxcui: string): Ingredient => ({ rxcui, name: kb.ingredientNames.get(rxcui) ?? rxcui });
  const variant = kb.variants.get(code);
  if (variant) return { ingredients: [ing(variant)], notes: [] };
  if (kb.ingredientNames.has(code)) return { ingredients: [ing(code)], notes: [] };
  const product = kb.products.get(code);
  if (product) {
    const notes: string[] = [];
    if (product.supplement) notes.push(`RxNorm ${code} comes from the eCQM supplement (not confirmed in ${kb.release})`);
    let strengthSource = product;
    if ((product.tty === 'GPCK' || product.tty === 'BPCK') && product.contains?.length) {
      strengthSource = kb.products.get(product.contains[0]) ?? product;
    }
    const s = strengthSource.strength.length === 1 ? strengthSource.strength[0] : undefined;
    const unresolved = product.ingredients.length === 0;
    if (unresolved) notes.push(`RxNorm ${code} has no ingredient known to the knowledge base`);
    return {
      ingredients: product.ingredients, product, notes,
      strength: s ? { value: s.value, unit: s.unit } : undefined,
    };
  }
  const comp = kb.scdc.get(code);
  if (comp) {
    return { ingredients: [comp.ingredient], strength: { value: comp.strength.value, unit: comp.strength.unit }, notes: [] };
  }
  return undefined;
}

/** Best-effort name match on free text (brand, salt or ingredient names); always low confidence. */
export function matchText(text: string, kb: KnowledgeBase): CodeResult | undefined {
  const lower = text.toLowerCase();
  const found = new Map<string, Ingredient>();
  for (const hit of lower.matchAll(kb.nameRegex)) {
    for (const rxcui of kb.names.get(hit[1]) ?? []) {
      found.set(rxcui, { rxcui, name: kb.ingredientNames.get(rxcui) ?? hit[1] });
    }
  }
  if (found.size === 0) return undefined;
  const mg = /(\d+(?:\.\d+)?)\s*(mg|mcg)\b/i.exec(text);
  return {
    ingredients: [...found.values()],
    strength: mg && found.size === 1 ? { value: Number(mg[1]) / (mg[2].toLowerCase() === 'mcg' ? 1000 : 1), unit: 'MG' } : undefined,
    notes: [`matched by name from text "${text}" (low confidence; confirm the medication)`],
  };
}

function conceptOf(entry: MedicationEntry, resolve?: MedicationResolver): { concept?: fhir4.CodeableConcept; med?: fhir4.Medication } {
  if (entry.medicationCodeableConcept) return { concept: entry.medicationCodeableConcept };
  const ref = entry.medicationReference;
  if (!ref) return {};
  const med = resolve?.(ref, entry);
  if (med?.code) return { concept: { ...med.code, text: med.code.text ?? ref.display }, med };
  return { concept: { text: ref.display }, med };
}

function fromIngredientList(med: fhir4.Medication, kb: KnowledgeBase): CodeResult | undefined {
  const ingredients: Ingredient[] = [];
  for (const i of med.ingredient ?? []) {
    for (const c of i.itemCodeableConcept?.coding ?? []) {
      if (c.system !== RXNORM || !c.code) continue;
      for (const ing of lookupRxnormCode(c.code, kb)?.ingredients ?? []) ingredients.push(ing);
    }
  }
  return ingredients.length ? { ingredients, notes: [] } : undefined;
}

/** Resolves ingredients, product and strength of one entry (no dose arithmetic). */
export function resolveMedication(entry: MedicationEntry, kb: KnowledgeBase, resolve?: MedicationResolver): CodeResult & { confidence: Confidence; text: string; medication?: fhir4.Medication } {
  const { concept, med } = conceptOf(entry, resolve);
  const codings = (concept?.coding ?? []).filter((c) => c.system === RXNORM && c.code);
  const text = concept?.text ?? codings.find((c) => c.display)?.display ?? entry.medicationReference?.display ?? '';
  const results = codings.map((c) => lookupRxnormCode(c.code as string, kb)).filter((r): r is CodeResult => !!r);
  const notes: string[] = [];
  if (codings.length && results.length < codings.length) {
    notes.push(`RxNorm code(s) ${codings.filter((c) => !lookupRxnormCode(c.code as string, kb)).map((c) => c.code).join(', ')} not in the ${kb.release} subset`);
  }
  const fromIngredients = med && !results.some((r) => r.ingredients.length) ? fromIngredientList(med, kb) : undefined;
  if (fromIngredients) results.push(fromIngredients);
  if (results.some((r) => r.ingredients.length)) {
    const ingredients = new Map<string, Ingredient>();
    for (const r of results) for (const i of r.ingredients) ingredients.set(i.rxcui, i);
    const withProduct = results.find((r) => r.product && r.strength) ?? results.find((r) => r.product);
    const strength = withProduct?.strength ?? results.find((r) => r.strength)?.strength;
    return {
      ingredients: [...ingredients.values()], product: withProduct?.product, strength,
      notes: [...notes, ...results.flatMap((r) => r.notes)], confidence: 'code', text, medication: med,
    };
  }
  const byName = text ? matchText(text, kb) : undefined;
  if (byName) return { ...byName, notes: [...notes, ...byName.notes], confidence: 'name', text, medication: med };
  return { ingredients: [], notes: [...notes, 'medication could not be normalised to RxNorm'], confidence: 'none', text, medication: med };
}

function startOf(entry: MedicationEntry): Date | undefined {
  const raw = entry.resourceType === 'MedicationRequest'
    ? entry.dosageInstruction?.[0]?.timing?.repeat?.boundsPeriod?.start ?? entry.dispenseRequest?.validityPeriod?.start ?? entry.authoredOn
    : entry.effectivePeriod?.start ?? entry.effectiveDateTime ?? entry.dateAsserted;
  const d = raw ? new Date(raw) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

const ROUTES: [RegExp, string][] = [
  [/sublingual|\bsl\b/i, 'sublingual'], [/buccal/i, 'buccal'], [/transdermal|patch/i, 'transdermal'],
  [/intramuscular|\bim\b/i, 'intramuscular'], [/intravenous|\biv\b/i, 'intravenous'], [/subcutaneous|\bsc\b|\bsq\b/i, 'subcutaneous'],
  [/rectal|\bpr\b/i, 'rectal'], [/nasal/i, 'nasal'], [/inhal/i, 'inhalation'], [/topical|cutaneous/i, 'topical'],
  [/oral|by mouth|\bpo\b|swallow/i, 'oral'],
];

/** Route as one word so Epic ("Oral", OID codes), Cerner (codeSet + SNOMED) and SNOMED ("Oral route") compare equal. */
export function routeOf(cc: fhir4.CodeableConcept | undefined): string | undefined {
  const texts = [cc?.text, ...(cc?.coding ?? []).map((c) => c.display)].filter((t): t is string => !!t);
  for (const t of texts) for (const [re, name] of ROUTES) if (re.test(t)) return name;
  return texts[0]?.toLowerCase();
}

/** Full normalisation: ingredients + strength + dose form + route + daily mg per ingredient + start date. */
export function normalizeMedication(entry: MedicationEntry, kb: KnowledgeBase, resolve?: MedicationResolver): NormalizedMedication {
  const r = resolveMedication(entry, kb, resolve);
  const dosage = entry.resourceType === 'MedicationRequest' ? entry.dosageInstruction : entry.dosage;
  const doseForm = r.product?.doseForm ?? r.medication?.form?.text ?? r.medication?.form?.coding?.[0]?.display;
  const dose = computeDailyDose(dosage ?? [], r.ingredients, r.product, r.strength);
  const route = routeOf(dosage?.[0]?.route);
  return {
    resource: entry, ingredients: r.ingredients, product: r.product, strength: r.strength, confidence: r.confidence,
    text: r.text || r.ingredients.map((i) => i.name).join(' / '), doseForm, route,
    frequencyPerDay: dose.frequencyPerDay, dailyMg: dose.dailyMg, asNeeded: dose.asNeeded, start: startOf(entry),
    status: entry.status, isDraft: entry.status === 'draft', notes: [...r.notes, ...dose.notes],
  };
}
