// :in / :not-in: members of a ValueSet held by this server (enumerated compose.include concepts or an expansion).
import type { ResourceStore } from '../store/resource-store.ts';
import { invalid, show } from './parse.ts';

export const MAX_VALUESET_CODES = 500;

/** `[system, code]` pairs of the ValueSet with this canonical URL (or `ValueSet/id`). */
export async function valueSetMembers(store: ResourceStore, ref: string): Promise<[string, string][]> {
  const byId = /^ValueSet\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
  const rows = byId
    ? await store.sql.query<{ content: string }>(`SELECT content FROM resources WHERE type = 'ValueSet' AND deleted = 0 AND id = ?`, [byId[1]])
    : await store.sql.query<{ content: string }>(
        `SELECT r.content FROM resources r WHERE r.type = 'ValueSet' AND r.deleted = 0 AND r.id IN
           (SELECT a.res_id FROM sp_uri a WHERE a.res_type = 'ValueSet' AND a.param = 'url' AND a.value = ?)`,
        [ref.split('|')[0]],
      );
  if (rows.length === 0) throw invalid(`ValueSet ${show(ref)} is not known to this server`);
  const vs = JSON.parse(rows[0].content) as fhir4.ValueSet;
  const out: [string, string][] = [];
  const walk = (contains: fhir4.ValueSetExpansionContains[] | undefined) => {
    for (const c of contains ?? []) {
      if (c.code && c.system) out.push([c.system, c.code]);
      walk(c.contains);
    }
  };
  if (vs.expansion?.contains) walk(vs.expansion.contains);
  else {
    for (const inc of vs.compose?.include ?? []) {
      if (inc.filter?.length || inc.valueSet?.length || !inc.concept || !inc.system) {
        throw invalid(`ValueSet ${show(ref)} needs a terminology server to expand (filters or imports)`);
      }
      for (const c of inc.concept) out.push([inc.system, c.code]);
    }
  }
  if (out.length > MAX_VALUESET_CODES) throw invalid(`ValueSet ${show(ref)} has more than ${MAX_VALUESET_CODES} codes`);
  return out;
}
