// FHIR element values → index entries per search parameter type (https://hl7.org/fhir/R4/search.html#ptypes).
import { MAX_INSTANT, MIN_INSTANT, tryDateRange } from './dates.ts';
import { normaliseUcum, UCUM } from './ucum.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

const ASCII = /^[\x00-\x7f]*$/;

/** Case- and accent-insensitive form used by string search (and :text), capped for the index. */
export function normaliseString(s: string): string {
  const plain = ASCII.test(s) ? s : s.normalize('NFD').replace(/\p{M}/gu, '');
  return plain.toLowerCase().slice(0, 200);
}

export interface TokenEntry {
  system: string;
  code: string | null;
  text: string | null;
  /** Identifier.type as `system|code` for :of-type. */
  ofType?: string[];
}

const CONTACT_SYSTEMS = new Set(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']);

export function toTokens(v: unknown, out: TokenEntry[]): void {
  if (typeof v === 'string') return void out.push({ system: '', code: v, text: null });
  if (typeof v === 'boolean' || typeof v === 'number') return void out.push({ system: '', code: String(v), text: null });
  if (!isObj(v)) return;
  if (Array.isArray(v.coding) || typeof v.text === 'string') {
    const text = str(v.text);
    const codings = Array.isArray(v.coding) ? (v.coding as Obj[]) : [];
    for (const c of codings) {
      if (!isObj(c) || (!str(c.code) && !str(c.display))) continue;
      const label = [text, str(c.display)].filter(Boolean).join(' ');
      out.push({ system: str(c.system) ?? '', code: str(c.code) ?? null, text: label ? normaliseString(label) : null });
    }
    if (codings.length === 0 && text) out.push({ system: '', code: null, text: normaliseString(text) });
    return;
  }
  if ('code' in v) {
    // Coding, Quantity
    const display = str(v.display) ?? str(v.unit);
    return void out.push({ system: str(v.system) ?? '', code: str(v.code) ?? null, text: display ? normaliseString(display) : null });
  }
  if ('value' in v) {
    const value = typeof v.value === 'string' ? v.value : v.value === undefined ? undefined : String(v.value);
    if (value === undefined) return;
    const system = str(v.system) ?? '';
    if (CONTACT_SYSTEMS.has(system)) return void out.push({ system: '', code: value, text: null });
    // Identifier
    const type = isObj(v.type) ? v.type : undefined;
    const typeText = type ? str(type.text) : undefined;
    const ofType = type && Array.isArray(type.coding) ? (type.coding as Obj[]).filter(isObj).map((c) => `${str(c.system) ?? ''}|${str(c.code) ?? ''}`) : undefined;
    out.push({ system, code: value, text: typeText ? normaliseString(typeText) : null, ofType });
  }
}

const NAME_PARTS = ['family', 'given', 'prefix', 'suffix', 'text'];
const ADDRESS_PARTS = ['line', 'city', 'district', 'state', 'postalCode', 'country', 'text'];

/** String values of a string-typed element: HumanName and Address parts, else every string leaf (two levels). */
export function toStrings(v: unknown, out: string[], depth = 0): void {
  if (typeof v === 'string') return void out.push(v);
  if (!isObj(v) || depth > 2) return;
  const keys = 'family' in v || 'given' in v ? NAME_PARTS : 'line' in v || 'city' in v || 'postalCode' in v ? ADDRESS_PARTS : Object.keys(v);
  for (const k of keys) {
    if (k.startsWith('_') || k === 'id' || k === 'extension' || k === 'system' || k === 'use') continue;
    const x = v[k];
    if (Array.isArray(x)) for (const e of x) toStrings(e, out, depth + 1);
    else toStrings(x, out, depth + 1);
  }
}

/** Date ranges of date, dateTime, instant, Period and Timing values. */
export function toDates(v: unknown, out: [string, string][]): void {
  if (typeof v === 'string') {
    const r = tryDateRange(v);
    if (r) out.push(r);
    return;
  }
  if (!isObj(v)) return;
  if ('start' in v || 'end' in v) {
    const lo = typeof v.start === 'string' ? tryDateRange(v.start)?.[0] : MIN_INSTANT;
    const hi = typeof v.end === 'string' ? tryDateRange(v.end)?.[1] : MAX_INSTANT;
    if (lo && hi) out.push([lo, hi]);
    return;
  }
  if (Array.isArray(v.event) || isObj(v.repeat)) {
    for (const e of (v.event as unknown[]) ?? []) toDates(e, out);
    const repeat = v.repeat as Obj | undefined;
    if (repeat && isObj(repeat.boundsPeriod)) toDates(repeat.boundsPeriod, out);
  }
}

export interface QuantityEntry {
  value: number;
  system: string;
  code: string;
  nvalue: number;
  ncode: string;
}

export function toQuantities(v: unknown, out: QuantityEntry[]): void {
  if (!isObj(v)) return;
  if (typeof v.value === 'number') {
    const system = str(v.system) ?? (str(v.currency) ? 'urn:iso:std:iso:4217' : '');
    const code = str(v.code) ?? str(v.currency) ?? str(v.unit) ?? '';
    const n = system === UCUM ? normaliseUcum(v.value, code) : undefined;
    out.push({ value: v.value, system, code, nvalue: n?.value ?? v.value, ncode: n?.code ?? code });
    return;
  }
  // Range: both bounds are indexed as values.
  if (isObj(v.low)) toQuantities(v.low, out);
  if (isObj(v.high)) toQuantities(v.high, out);
}

export function toNumbers(v: unknown, out: number[]): void {
  if (typeof v === 'number') out.push(v);
  else if (isObj(v) && typeof v.value === 'number') out.push(v.value);
}

export interface RefEntry {
  type: string | null;
  id: string | null;
  url: string | null;
}

/**
 * A reference as (type, id) when it points into this server (relative, or absolute under `base`),
 * else its URL; contained (#id) references are not indexed.
 */
export function parseReference(ref: string, base: string, isType: (t: string) => boolean): RefEntry | undefined {
  if (ref.startsWith('#') || ref.length === 0) return undefined;
  let rel = ref;
  if (base && ref.startsWith(base + '/')) rel = ref.slice(base.length + 1);
  else if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) return { type: null, id: null, url: ref };
  const parts = rel.split('/');
  if (parts.length === 4 && parts[2] === '_history') parts.length = 2;
  if (parts.length === 2 && isType(parts[0]) && parts[1]) return { type: parts[0], id: parts[1], url: null };
  return { type: null, id: null, url: ref };
}
