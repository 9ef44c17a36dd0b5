// Matching a resource against v2 scope filters (`?category=system|code`). Only token parameters on plain
// elements are understood; an unknown parameter never matches, so the scope then allows nothing.
const TOKEN_ELEMENTS: Record<string, string> = {
  category: 'category',
  code: 'code',
  status: 'status',
  type: 'type',
  intent: 'intent',
  'clinical-status': 'clinicalStatus',
  'verification-status': 'verificationStatus',
};

interface Coding {
  system?: string;
  code?: string;
}

function codings(value: unknown): (Coding | string)[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(codings);
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object') return [];
  const v = value as { coding?: unknown; system?: string; code?: string };
  if (Array.isArray(v.coding)) return v.coding as Coding[];
  if (typeof v.code === 'string') return [v];
  return [];
}

export function matchesToken(value: unknown, token: string): boolean {
  const bar = token.indexOf('|');
  const system = bar >= 0 ? token.slice(0, bar) : undefined;
  const code = bar >= 0 ? token.slice(bar + 1) : token;
  return codings(value).some((c) => {
    if (typeof c === 'string') return system === undefined || system === '' ? c === code : false;
    if (code !== '' && c.code !== code) return false;
    if (system === undefined) return true;
    return system === '' ? c.system === undefined : c.system === system;
  });
}

export function resourceMatchesFilters(resource: unknown, filters: readonly (readonly [string, string])[]): boolean {
  if (!resource || typeof resource !== 'object') return false;
  return filters.every(([param, value]) => {
    const element = TOKEN_ELEMENTS[param];
    if (!element) return false;
    // A comma is OR within one parameter, as in search.
    return value.split(',').some((token) => matchesToken((resource as Record<string, unknown>)[element], token));
  });
}
