// Query parameters → SearchQuery (https://hl7.org/fhir/R4/search.html): names, modifiers, chains, prefixes, control params.
import { FhirError } from '../fhir/errors.ts';

export const MAX_VALUE_LENGTH = 1000;
export const MAX_OR_VALUES = 100;
export const MAX_PARAMS = 100;
export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** Parameters about the result, not the match. */
export const CONTROL = new Set(['_count', '_sort', '_include', '_revinclude', '_total', '_summary', '_elements', '_cursor', '_format', '_pretty', '_contained']);

export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

export interface SearchParam {
  /** The pair as given, for `self`. */
  raw: [string, string];
  name: string;
  modifier?: string;
  /** `subject:Patient.name` → chain [{param: subject, type: Patient}], name = name. */
  chain: { param: string; type?: string }[];
  /** OR-ed values (comma-separated, `\,` escapes). */
  values: string[];
}

export interface SortKey {
  name: string;
  desc: boolean;
}

export interface IncludeSpec {
  raw: [string, string];
  reverse: boolean;
  iterate: boolean;
  source: string;
  param: string;
  target?: string;
}

export interface SearchQuery {
  params: SearchParam[];
  sort: SortKey[];
  includes: IncludeSpec[];
  count: number;
  countGiven: boolean;
  total?: 'none' | 'estimate' | 'accurate';
  summary?: 'true' | 'text' | 'data' | 'count' | 'false';
  elements?: string[];
  cursor?: string;
  /** Control pairs kept for `self` (_sort, _total, _summary, _elements, _include …). */
  controlSelf: [string, string][];
}

export function invalid(message: string): FhirError {
  return new FhirError('invalid', message);
}

/** Truncated, printable form of client input for messages. */
export function show(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/** Splits on an unescaped separator and unescapes `\,` `\|` `\$` `\\`. */
export function splitEscaped(value: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length) {
      cur += value[++i];
    } else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Splits on the separator only where it is not escaped, keeping escapes for a later split. */
export function splitKeepEscapes(value: string, sep: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') i++;
    else if (value[i] === sep) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out;
}

export function parsePrefix(value: string): [Prefix, string] {
  const p = value.slice(0, 2);
  if ((PREFIXES as readonly string[]).includes(p) && value.length > 2) return [p as Prefix, value.slice(2)];
  return ['eq', value];
}

export function parseCount(raw: string): number {
  if (!/^\d{1,7}$/.test(raw)) throw invalid(`_count must be a non-negative integer, got ${show(raw)}`);
  return Math.min(Number(raw), MAX_COUNT);
}

function parseInclude(name: string, value: string): IncludeSpec {
  const reverse = name.startsWith('_revinclude');
  const mod = name.slice(reverse ? 11 : 8);
  if (mod !== '' && mod !== ':iterate' && mod !== ':recurse') throw invalid(`${name} is not a valid include parameter`);
  if (value === '*') return { raw: [name, value], reverse, iterate: mod !== '', source: '*', param: '*' };
  const parts = value.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => /^[A-Za-z*][A-Za-z0-9_-]*$/.test(p))) {
    throw invalid(`${name} value ${show(value)} is not Type:parameter[:TargetType]`);
  }
  return { raw: [name, value], reverse, iterate: mod !== '', source: parts[0], param: parts[1], target: parts[2] };
}

/** A parameter name: `name[:modifier]`, `ref[:Type].next…`, or `_has:Type:ref:…`. */
export function parseName(name: string): Pick<SearchParam, 'name' | 'modifier' | 'chain'> {
  if (name.startsWith('_has:')) return { name, chain: [] };
  const links = name.split('.');
  const chain = links.slice(0, -1).map((l) => {
    const [param, type, extra] = l.split(':');
    if (extra !== undefined || !param) throw invalid(`Malformed chained parameter ${show(name)}`);
    return { param, type };
  });
  const last = links[links.length - 1];
  const colon = last.indexOf(':');
  return colon < 0 ? { name: last, chain } : { name: last.slice(0, colon), modifier: last.slice(colon + 1), chain };
}

export function parseQuery(pairs: [string, string][]): SearchQuery {
  if (pairs.length > MAX_PARAMS) throw invalid(`Too many search parameters (${pairs.length}; at most ${MAX_PARAMS})`);
  const q: SearchQuery = { params: [], sort: [], includes: [], count: DEFAULT_COUNT, countGiven: false, controlSelf: [] };
  for (const [name, value] of pairs) {
    if (name.length > 200) throw invalid(`Search parameter name is too long (${name.length} characters)`);
    if (name.includes('\u0000') || value.includes('\u0000')) throw invalid('Search parameters must not contain NUL characters');
    if (value.length > MAX_VALUE_LENGTH) throw invalid(`Value of ${show(name)} is too long (${value.length} characters; at most ${MAX_VALUE_LENGTH})`);
    if (name === '_count') {
      q.count = parseCount(value);
      q.countGiven = true;
    } else if (name === '_sort') {
      for (const key of value.split(',')) {
        if (!/^-?[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) throw invalid(`_sort key ${show(key)} is malformed`);
        q.sort.push({ name: key.replace(/^-/, ''), desc: key.startsWith('-') });
      }
      if (q.sort.length > 5) throw invalid('_sort accepts at most 5 keys');
      q.controlSelf.push([name, value]);
    } else if (name.startsWith('_include') || name.startsWith('_revinclude')) {
      q.includes.push(parseInclude(name, value));
      if (q.includes.length > 20) throw invalid('At most 20 _include/_revinclude parameters');
    } else if (name === '_total') {
      if (value !== 'none' && value !== 'estimate' && value !== 'accurate') throw invalid('_total must be none, estimate or accurate');
      q.total = value;
      q.controlSelf.push([name, value]);
    } else if (name === '_summary') {
      if (!['true', 'text', 'data', 'count', 'false'].includes(value)) throw invalid('_summary must be true, text, data, count or false');
      q.summary = value as SearchQuery['summary'];
      q.controlSelf.push([name, value]);
    } else if (name === '_elements') {
      q.elements = value.split(',').map((e) => e.trim()).filter(Boolean);
      if (q.elements.some((e) => !/^[A-Za-z][A-Za-z0-9_.]*$/.test(e))) throw invalid('_elements must list element names');
      q.controlSelf.push([name, value]);
    } else if (name === '_cursor') {
      q.cursor = value;
    } else if (CONTROL.has(name)) {
      continue;
    } else {
      const values = splitKeepEscapes(value, ',');
      if (values.length > MAX_OR_VALUES) throw invalid(`Too many values for ${show(name)} (at most ${MAX_OR_VALUES})`);
      q.params.push({ raw: [name, value], ...parseName(name), values });
    }
  }
  return q;
}
