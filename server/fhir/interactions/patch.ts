// patch: PATCH [type]/[id] with a JSON Patch document (R4 http.html#patch); If-Match honoured.
import { FhirError } from '../errors.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import { applyJsonPatch } from '../json-patch.ts';
import { findMatches } from '../conditional.ts';
import { putResource } from './update.ts';
import { etagOf } from '../representation.ts';
import { assertValid } from '../validate.ts';

export async function patchResource(ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  const type = p.type!;
  const ct = req.headers.contentType ?? '';
  if (ct && !/json-patch\+json/i.test(ct)) {
    throw new FhirError('unsupported-media-type', 'PATCH takes application/json-patch+json (FHIRPath Patch is not supported)');
  }
  let id = p.id;
  if (!id) {
    const matches = await findMatches(ctx, type, req.query);
    if (matches.length === 0) throw new FhirError('not-found', `No ${type} matches the criteria`);
    if (matches.length > 1) throw new FhirError('multiple-matches', `The criteria matched more than one ${type}`);
    id = matches[0].id;
  }
  return ctx.store.transaction(async (store) => {
    const current = await store.read(type, id);
    if (!current) throw new FhirError('not-found', `${type}/${id} is not known`);
    if (current.deleted) throw new FhirError('gone', `${type}/${id} was deleted`);
    const patched = applyJsonPatch(JSON.parse(current.json!) as Record<string, unknown>, req.body);
    if (patched.resourceType !== type || patched.id !== id) {
      throw new FhirError('unprocessable', 'A patch may not change resourceType or id');
    }
    assertValid(ctx, patched, 'update');
    // Without If-Match the patch still applies to the version it read, so a concurrent write cannot be lost.
    const ifMatch = req.headers.ifMatch ?? etagOf(current.version);
    return putResource({ ...ctx, store }, { ...req, headers: { ...req.headers, ifMatch } }, type, id, patched);
  });
}
