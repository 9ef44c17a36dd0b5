// Conditional interactions: resolve "Type?query" criteria to the matching current resources (0, 1 or many).
import { FhirError } from './errors.ts';
import type { FhirContext } from './context.ts';
import type { StoredResource } from '../store/resource-store.ts';

export function parseCriteria(raw: string): [string, string][] {
  const query = raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : raw;
  const pairs = [...new URLSearchParams(query)];
  if (pairs.length === 0) throw new FhirError('invalid', 'Conditional criteria must name at least one search parameter');
  return pairs;
}

/** Up to two matches: enough to tell none, one and many apart. Criteria use strict handling. */
export async function findMatches(ctx: FhirContext, type: string, criteria: [string, string][]): Promise<StoredResource[]> {
  const params = criteria.filter(([k]) => k !== '_count' && k !== '_cursor');
  const result = await ctx.search.search(ctx.store, { type, params: [...params, ['_count', '2']], strict: true });
  return result.matches;
}
