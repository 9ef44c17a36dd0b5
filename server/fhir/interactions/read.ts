// read: GET [type]/[id] with If-None-Match / If-Modified-Since (R4 http.html#read).
import { FhirError } from '../errors.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import { parseVersionTag, resourceHeaders } from '../representation.ts';
import { requireAccess, withStoredResource } from '../access.ts';

export async function readResource(ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  const stored = await ctx.store.read(p.type!, p.id!);
  if (!stored) throw new FhirError('not-found', `${p.type}/${p.id} is not known`);
  if (stored.deleted) throw new FhirError('gone', `${p.type}/${p.id} was deleted`);
  if (!ctx.principal.unrestricted) requireAccess(ctx, withStoredResource({ interaction: 'read', type: p.type!, id: p.id }, stored.json!));
  const headers = resourceHeaders(ctx, stored, false);
  if (req.headers.ifNoneMatch && parseVersionTag(req.headers.ifNoneMatch, 'If-None-Match') === stored.version) {
    return { status: 304, headers };
  }
  if (req.headers.ifModifiedSince) {
    const since = Date.parse(req.headers.ifModifiedSince);
    if (Number.isNaN(since)) throw new FhirError('invalid', 'If-Modified-Since is not an HTTP date');
    // HTTP dates have whole seconds: compare at that precision.
    if (Math.floor(Date.parse(stored.lastUpdated) / 1000) <= Math.floor(since / 1000)) return { status: 304, headers };
  }
  return { status: 200, headers, body: stored.json! };
}
