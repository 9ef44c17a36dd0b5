// _summary and _elements (R4 §3.1.1.5.8 / search.html#elements) applied to one resource.
import summaryTable from './summary-elements.json' with { type: 'json' };

type Table = Record<string, { summary: string[]; mandatory: string[] }>;
const TABLE = summaryTable as Table;
const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' };

function keyMatches(key: string, names: readonly string[]): boolean {
  for (const n of names) {
    if (n === key) return true;
    if (n.endsWith('[x]') && key.startsWith(n.slice(0, -3)) && /^[A-Z]/.test(key.slice(n.length - 3))) return true;
  }
  return false;
}

function markSubsetted(resource: Record<string, unknown>): void {
  const meta = { ...((resource.meta as Record<string, unknown>) ?? {}) };
  meta.tag = [...((meta.tag as unknown[]) ?? []), SUBSETTED];
  resource.meta = meta;
}

export function applySummary(resource: Record<string, unknown>, mode: string): Record<string, unknown> {
  const type = String(resource.resourceType);
  const entry = TABLE[type];
  if (!entry || mode === 'false') return resource;
  let out: Record<string, unknown>;
  if (mode === 'true') {
    out = { resourceType: type };
    for (const [k, v] of Object.entries(resource)) if (keyMatches(k, entry.summary) || keyMatches(k, entry.mandatory)) out[k] = v;
  } else if (mode === 'text') {
    out = { resourceType: type };
    for (const [k, v] of Object.entries(resource)) if (k === 'id' || k === 'meta' || k === 'text' || keyMatches(k, entry.mandatory)) out[k] = v;
  } else if (mode === 'data') {
    const { text: _text, ...rest } = resource;
    out = rest;
  } else return resource;
  markSubsetted(out);
  return out;
}

export function applyElements(resource: Record<string, unknown>, elements: readonly string[]): Record<string, unknown> {
  const type = String(resource.resourceType);
  const mandatory = TABLE[type]?.mandatory ?? [];
  const wanted = elements.map((e) => (e.startsWith(`${type}.`) ? e.slice(type.length + 1) : e).split('.')[0]);
  const out: Record<string, unknown> = { resourceType: type };
  for (const [k, v] of Object.entries(resource)) {
    if (k === 'id' || k === 'meta' || keyMatches(k, wanted) || keyMatches(k, mandatory)) out[k] = v;
  }
  markSubsetted(out);
  return out;
}
