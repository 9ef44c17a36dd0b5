// Reference search values: `Type/id`, `id`, absolute URLs under the server base, other URLs and canonicals
// (https://hl7.org/fhir/R4/search.html#reference).
import { isResourceType } from '../fhir/resource-types.ts';
import type { Cond } from './conditions.ts';
import { unescape } from './conditions.ts';
import { invalid, show } from './parse.ts';

const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

export function referenceCond(a: string, raw: string, baseUrl: string, targets: readonly string[] | undefined, typeModifier: string | undefined): Cond {
  let value = unescape(raw);
  if (!value) throw invalid('An empty reference matches nothing');
  if (baseUrl && value.startsWith(`${baseUrl}/`)) value = value.slice(baseUrl.length + 1);
  else if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return { sql: `${a}.url = ?`, params: [value] };
  const parts = value.split('/');
  if (parts.length === 4 && parts[2] === '_history') parts.length = 2;
  if (parts.length === 2) {
    const [type, id] = parts;
    if (!isResourceType(type) || !ID_RE.test(id)) throw invalid(`${show(value)} is not a reference Type/id`);
    if (typeModifier && typeModifier !== type) throw invalid(`${show(value)} contradicts the :${typeModifier} modifier`);
    return { sql: `${a}.target_id = ? AND ${a}.target_type = ?`, params: [id, type], ordered: true };
  }
  if (parts.length !== 1 || !ID_RE.test(value)) throw invalid(`${show(value)} is not a resource id or reference`);
  if (typeModifier) return { sql: `${a}.target_id = ? AND ${a}.target_type = ?`, params: [value, typeModifier], ordered: true };
  if (targets && targets.length === 1) return { sql: `${a}.target_id = ? AND ${a}.target_type = ?`, params: [value, targets[0]], ordered: true };
  return { sql: `${a}.target_id = ?`, params: [value] };
}
