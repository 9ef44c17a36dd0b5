// Daily dose in mg from Dosage[]: doseQuantity / doseRange, Epic's three typed doseAndRate entries, timing.
// https://hl7.org/fhir/R4/dosage.html ; Epic types: calculated, admin-amount, ordered (reference/smart-and-ehrs.md §2.4).
import type { Ingredient, Product } from './kb-types.ts';

export interface DailyDose {
  dailyMg: Map<string, number>;
  frequencyPerDay?: number;
  asNeeded: boolean;
  notes: string[];
}

const MASS: Record<string, number> = { mg: 1, g: 1000, ug: 0.001, mcg: 0.001, 'µg': 0.001, ng: 0.000001 };
const PERIOD_DAYS: Record<string, number> = { s: 1 / 86400, min: 1 / 1440, h: 1 / 24, d: 1, wk: 7, mo: 30, a: 365 };
/** HL7 v3 GTSAbbreviation codes Epic/Cerner put in timing.code. */
const TIMING_CODES: Record<string, number> = {
  QD: 1, BID: 2, TID: 3, QID: 4, QOD: 0.5, AM: 1, PM: 1, HS: 1, QHS: 1, Q4H: 6, Q6H: 4, Q8H: 3, Q12H: 2, WK: 1 / 7, QAM: 1,
};
const TEXT_TIMING: [RegExp, number][] = [
  [/\b(four times (a |per )?day|qid)\b/i, 4], [/\b(three times (a |per )?day|tid)\b/i, 3],
  [/\b(twice (a |per )?day|two times (a |per )?day|2 times daily|bid)\b/i, 2],
  [/\b(every other day|qod)\b/i, 0.5], [/\b(once (a |per )?day|daily|nightly|at bedtime|every morning|qd|qhs)\b/i, 1],
];

function unitOf(q: fhir4.Quantity): string {
  return String(q.code ?? q.unit ?? '').trim().toLowerCase();
}

function isMass(q: fhir4.Quantity): boolean {
  return unitOf(q) in MASS;
}

function typeOf(d: fhir4.DosageDoseAndRate): string {
  return d.type?.coding?.[0]?.code ?? d.type?.text?.toLowerCase() ?? '';
}

function usable(q: fhir4.Quantity | undefined): q is fhir4.Quantity {
  return typeof q?.value === 'number' && Number.isFinite(q.value) && q.value >= 0;
}

function quantityOf(d: fhir4.DosageDoseAndRate): fhir4.Quantity | undefined {
  if (usable(d.doseQuantity)) return d.doseQuantity;
  const range = d.doseRange;
  return usable(range?.high) ? range.high : usable(range?.low) ? range.low : undefined;
}

/** Picks the dose to use: a mass amount (ordered, then calculated, then any) before a count of units. */
export function pickDose(entries: fhir4.DosageDoseAndRate[]): fhir4.Quantity | undefined {
  const withQty = entries.map((e) => ({ type: typeOf(e), q: quantityOf(e) })).filter((e): e is { type: string; q: fhir4.Quantity } => !!e.q);
  const rank = (e: { type: string; q: fhir4.Quantity }) =>
    (isMass(e.q) ? 0 : 10) + (e.type === 'ordered' ? 0 : e.type === 'calculated' ? 1 : e.type === 'admin-amount' ? 3 : 2);
  return withQty.sort((a, b) => rank(a) - rank(b))[0]?.q;
}

/** Administrations per day from timing; undefined when the timing does not say. */
export function frequencyPerDay(timing: fhir4.Timing | undefined, text?: string): number | undefined {
  const r = timing?.repeat;
  if (r && (r.frequency !== undefined || r.frequencyMax !== undefined || r.period !== undefined)) {
    const freq = r.frequencyMax ?? r.frequency ?? 1;
    const period = r.period ?? 1;
    const days = PERIOD_DAYS[r.periodUnit ?? 'd'];
    const perDay = freq / (period * days);
    return Number.isFinite(perDay) && perDay > 0 ? perDay : undefined;
  }
  if (r?.timeOfDay?.length) return r.timeOfDay.length;
  if (r?.when?.length) return r.when.length;
  for (const c of timing?.code?.coding ?? []) if (c.code && TIMING_CODES[c.code.toUpperCase()]) return TIMING_CODES[c.code.toUpperCase()];
  const every = /every\s+(\d+)\s*(hours|hrs|h)\b/i.exec(`${timing?.code?.text ?? ''} ${text ?? ''}`);
  if (every) return 24 / Number(every[1]);
  for (const [re, n] of TEXT_TIMING) if (re.test(`${timing?.code?.text ?? ''} ${text ?? ''}`)) return n;
  return undefined;
}

function volumeOf(product?: Product): number {
  const m = /^(\d+(?:\.\d+)?)\s*ML$/i.exec(product?.prefix ?? '');
  return m ? Number(m[1]) : 1;
}

/** mg per administration for each ingredient, from a dose quantity and the product strength. */
function perAdministration(q: fhir4.Quantity, ingredients: Ingredient[], product?: Product, strength?: { value: number; unit: string }): Map<string, number> {
  const out = new Map<string, number>();
  const value = q.value ?? 0;
  const unit = unitOf(q);
  if (ingredients.length === 0) return out;
  if (unit in MASS) {
    if (ingredients.length === 1) out.set(ingredients[0].rxcui, value * MASS[unit]);
    return out;
  }
  const isVolume = unit === 'ml';
  const strengths = product?.strength.length ? product.strength : strength ? [{ ...strength, ingredient: ingredients[0]?.rxcui }] : [];
  for (const s of strengths) {
    if (typeof s.value !== 'number') continue;
    const target = s.ingredient ?? (ingredients.length === 1 ? ingredients[0].rxcui : undefined);
    if (!target) continue;
    const su = s.unit.toUpperCase();
    if (isVolume && su === 'MG/ML') out.set(target, (out.get(target) ?? 0) + value * s.value);
    else if (!isVolume && su === 'MG') out.set(target, (out.get(target) ?? 0) + value * s.value);
    else if (!isVolume && su === 'MG/ML') out.set(target, (out.get(target) ?? 0) + value * s.value * volumeOf(product));
  }
  return out;
}

/** Sums concurrent dosage lines (same or no `sequence`); for sequential lines the first sequence is current. */
export function computeDailyDose(dosages: fhir4.Dosage[], ingredients: Ingredient[], product?: Product, strength?: { value: number; unit: string }): DailyDose {
  const notes: string[] = [];
  if (!Array.isArray(dosages)) return { dailyMg: new Map(), asNeeded: false, notes: ['dosage is not a list'] };
  const sequences = dosages.map((d) => d?.sequence).filter((s): s is number => typeof s === 'number');
  const current = sequences.length ? dosages.filter((d) => d.sequence === Math.min(...sequences)) : dosages;
  const dailyMg = new Map<string, number>();
  let perDay: number | undefined;
  let asNeeded = false;
  for (const d of current) {
    if (!d || typeof d !== 'object') continue;
    if (d.asNeededBoolean || d.asNeededCodeableConcept) asNeeded = true;
    const q = pickDose(Array.isArray(d.doseAndRate) ? d.doseAndRate : []);
    const f = frequencyPerDay(d.timing, d.text);
    if (f !== undefined) perDay = (perDay ?? 0) + f;
    if (!q) continue;
    if (f === undefined) {
      notes.push('dose frequency not stated; daily dose unknown');
      continue;
    }
    const each = perAdministration(q, ingredients, product, strength);
    if (each.size === 0) notes.push(`dose unit "${q.code ?? q.unit ?? ''}" could not be converted to mg`);
    for (const [rxcui, mg] of each) dailyMg.set(rxcui, round((dailyMg.get(rxcui) ?? 0) + mg * f));
  }
  if (asNeeded && dailyMg.size) notes.push('as needed: daily dose assumes the most frequent allowed use');
  return { dailyMg, frequencyPerDay: perDay, asNeeded, notes };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
