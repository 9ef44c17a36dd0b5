// Indexes Observations by LOINC code (components included) with their date and numeric value, newest first.
import { LOINC } from './kb-types.ts';

export interface ObservedValue {
  observation: fhir4.Observation;
  code: string;
  date: Date;
  value?: number;
  unit: string;
}

export type ObservationIndex = Map<string, ObservedValue[]>;

const EXCLUDED = new Set(['entered-in-error', 'cancelled', 'registered']);

export function observationDate(o: fhir4.Observation): Date | undefined {
  const raw = o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.effectiveInstant ?? o.issued;
  const d = raw ? new Date(raw) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
}

function numeric(x: { valueQuantity?: fhir4.Quantity; valueInteger?: number }): { value?: number; unit: string } {
  if (typeof x.valueQuantity?.value === 'number' && Number.isFinite(x.valueQuantity.value)) return { value: x.valueQuantity.value, unit: String(x.valueQuantity.code ?? x.valueQuantity.unit ?? '') };
  if (typeof x.valueInteger === 'number') return { value: x.valueInteger, unit: '' };
  return { unit: '' };
}

function loincCodes(cc: fhir4.CodeableConcept | undefined): string[] {
  return (Array.isArray(cc?.coding) ? cc.coding : []).filter((c) => c?.system === LOINC && typeof c.code === 'string').map((c) => c.code as string);
}

export function indexObservations(observations: fhir4.Observation[]): ObservationIndex {
  const index: ObservationIndex = new Map();
  const add = (v: ObservedValue) => {
    const list = index.get(v.code) ?? [];
    list.push(v);
    index.set(v.code, list);
  };
  for (const o of observations) {
    if (!o || EXCLUDED.has(o.status)) continue;
    const date = observationDate(o);
    if (!date) continue;
    for (const code of loincCodes(o.code)) add({ observation: o, code, date, ...numeric(o) });
    for (const c of Array.isArray(o.component) ? o.component : []) for (const code of loincCodes(c.code)) add({ observation: o, code, date, ...numeric(c) });
  }
  for (const list of index.values()) list.sort((a, b) => b.date.getTime() - a.date.getTime());
  return index;
}

/** Newest value among several codes (e.g. lithium 14334-7 or trough 74806-1). */
export function latestOf(index: ObservationIndex, codes: string[], predicate?: (v: ObservedValue) => boolean): ObservedValue | undefined {
  let best: ObservedValue | undefined;
  for (const code of codes) {
    for (const v of index.get(code) ?? []) {
      if (predicate && !predicate(v)) continue;
      if (!best || v.date > best.date) best = v;
      break;
    }
  }
  return best;
}

/** All values for the codes, oldest first. */
export function seriesOf(index: ObservationIndex, codes: string[]): ObservedValue[] {
  return codes.flatMap((c) => index.get(c) ?? []).sort((a, b) => a.date.getTime() - b.date.getTime());
}

export const DAY_MS = 86_400_000;

export function daysBetween(a: Date, b: Date): number {
  return (b.getTime() - a.getTime()) / DAY_MS;
}
