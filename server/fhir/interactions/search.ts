// search: GET [type]?…, POST [type]/_search, compartment search — SearchResult → searchset Bundle.
import { FhirError } from '../errors.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import { fullUrlOf, linkUrl, parseStored } from '../bundle-entry.ts';
import { filterVisible, requireAccess } from '../access.ts';
import type { StoredResource } from '../../store/resource-store.ts';

function isStrict(req: FhirRequest): boolean {
  return /handling=strict/i.test(req.headers.prefer ?? '');
}

function searchParams(req: FhirRequest): [string, string][] {
  const params = [...req.query];
  if (req.method === 'POST') {
    const ct = req.headers.contentType ?? '';
    if (!/application\/x-www-form-urlencoded/i.test(ct)) {
      throw new FhirError('unsupported-media-type', 'POST _search takes application/x-www-form-urlencoded');
    }
    params.push(...[...new URLSearchParams(typeof req.body === 'string' ? req.body : '')]);
  }
  return params.filter(([k]) => k !== '_format' && k !== '_pretty');
}

export async function searchInteraction(ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  let compartment = p.compartmentType ? { type: p.type!, id: p.id! } : undefined;
  const type = p.compartmentType ?? p.type;
  const params = searchParams(req);
  const path = compartment ? `${compartment.type}/${compartment.id}/${type}` : (type ?? '');
  if (!ctx.principal.unrestricted) {
    const decision = requireAccess(ctx, { interaction: 'search', type: type ?? '*', searchParams: params });
    if (decision.patient !== undefined) {
      // A patient-bound token searches inside its own compartment, whatever the query asks for.
      if (compartment && compartment.id !== decision.patient) throw new FhirError('not-found', `Patient/${compartment.id} is not known`);
      if (type === 'Patient') params.push(['_id', decision.patient]);
      else compartment = { type: 'Patient', id: decision.patient };
    }
  }
  const raw = await ctx.search.search(ctx.store, { type, params, compartment, strict: isStrict(req) });
  const result = ctx.principal.unrestricted
    ? raw
    : { ...raw, matches: filterVisible(ctx, raw.matches, 'search'), includes: filterVisible(ctx, raw.includes, 'search') };
  const link = [{ relation: 'self', url: linkUrl(ctx, path, result.self) }];
  if (result.next) link.push({ relation: 'next', url: linkUrl(ctx, path, result.next) });
  const shape = { summary: result.summary, elements: result.elements };
  const reshaped = !!shape.elements?.length || (!!shape.summary && shape.summary !== 'false');
  // The stored JSON is the resource as served: spliced into the Bundle text as is, unless _summary/_elements
  // reshape it (parsing and re-serialising every match cost 10–18 % of search throughput).
  const resourceJson = (stored: StoredResource, withShape: boolean): string => (withShape && reshaped ? JSON.stringify(parseStored(stored, shape)) : stored.json!);
  const entryJson = (stored: StoredResource, mode: 'match' | 'include', withShape: boolean): string =>
    `{"fullUrl":${JSON.stringify(fullUrlOf(ctx, stored.type, stored.id))},"resource":${resourceJson(stored, withShape)},"search":{"mode":"${mode}"}}`;
  const entries = result.matches.map((m) => entryJson(m, 'match', true));
  for (const inc of result.includes) entries.push(entryJson(inc, 'include', false));
  if (result.warnings.length) {
    const outcome = {
      resource: {
        resourceType: 'OperationOutcome',
        issue: result.warnings.map((w) => ({ severity: 'warning', code: 'not-supported', diagnostics: w })),
      },
      search: { mode: 'outcome' },
    };
    entries.push(JSON.stringify(outcome));
  }
  const head = `{"resourceType":"Bundle","type":"searchset"${result.total !== undefined ? `,"total":${result.total}` : ''},"link":${JSON.stringify(link)}`;
  // FHIR JSON has no empty arrays: a search without matches has no entry.
  return { status: 200, body: result.countOnly || entries.length === 0 ? `${head}}` : `${head},"entry":[${entries.join(',')}]}` };
}
