// Converts one data-file entry (psych-meds, rxnorm-subset concept, psych-interactions rule) to its typed form.
import type { InteractionRule, MedEntry, Product } from './kb-types.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export function toMedEntry(m: Json): MedEntry {
  const ageMaxima: MedEntry['ageMaxima'] = [];
  for (const c of m.caveats as string[]) {
    const hit = /max\s+(\d+(?:\.\d+)?)\s*mg\/day\s+if\s+age\s*>\s*(\d+)/i.exec(c);
    if (hit) ageMaxima.push({ maxDailyMg: Number(hit[1]), olderThan: Number(hit[2]), text: c });
  }
  const unit = String(m.max_daily_dose?.unit ?? '');
  return {
    name: m.name, rxcui: m.rxnorm.rxcui, className: m.class, subclass: m.subclass,
    maxDailyMg: typeof m.max_daily_dose?.value === 'number' && /^mg\/day/.test(unit) ? m.max_daily_dose.value : null,
    maxDailyUnit: unit, ageMaxima,
    typicalLowMg: typeof m.typical_adult_daily_dose?.low === 'number' ? m.typical_adult_daily_dose.low : null,
    codeVerified: m.rxnorm.verified === true, doseVerified: m.dose_verified === true, verified: m.verified === true,
    source: m.source, doseSource: m.dose_source, caveats: m.caveats,
  };
}

export function toProduct(c: Json, canon: (code: string) => string): Product {
  return {
    rxcui: c.rxcui, tty: c.tty, name: c.name,
    ingredients: (c.ingredients as Json[]).filter((i) => i.rxcui).map((i) => ({ rxcui: canon(i.rxcui), name: i.name })),
    strength: ((c.strength ?? []) as Json[]).map((s) => ({
      ingredient: s.ingredient ? canon(s.ingredient) : undefined, substance: s.substance, value: s.value, unit: s.unit,
    })),
    doseForm: c.doseForm, prefix: c.prefix, brandName: c.brandName, scd: c.scd, contains: c.contains,
    supplement: c.src === 'ecqm',
  };
}

export function toRule(r: Json, canon: (code: string) => string): InteractionRule {
  const unverifiedMembers = new Set<string>();
  const side = (s: Json) => {
    const members = new Set<string>();
    for (const m of s.members as Json[]) {
      if (!m.rxcui) continue;
      members.add(canon(m.rxcui));
      if (m.verified === false) unverifiedMembers.add(canon(m.rxcui));
    }
    return { classId: s.class_id, members };
  };
  return {
    id: r.id, object: side(r.object), precipitant: side(r.precipitant), severity: r.severity,
    mechanism: r.mechanism, effect: r.effect, management: r.management, source: r.source,
    verified: r.verified === true, unverifiedMembers, notes: r.notes, duplicate: String(r.id).startsWith('DUP-'),
  };
}
