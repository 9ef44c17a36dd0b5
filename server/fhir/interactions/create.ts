// create: POST [type], with conditional create through If-None-Exist (R4 http.html#create, #ccreate).
import { FhirError } from '../errors.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import { bodyResource, resourceHeaders, writeResponse } from '../representation.ts';
import { findMatches, parseCriteria } from '../conditional.ts';
import { newId } from '../ids.ts';
import { assertValid } from '../validate.ts';
import { requireAccess } from '../access.ts';

/** Checks a resource for create and returns it ready to store (the client's id is ignored, as R4 says). */
export function prepareCreate(ctx: FhirContext, req: FhirRequest, type: string): Record<string, unknown> {
  const resource = bodyResource(req, type);
  requireAccess(ctx, { interaction: 'create', type, resource });
  assertValid(ctx, resource, 'create');
  return resource;
}

export async function createResource(ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  const type = p.type!;
  const resource = prepareCreate(ctx, req, type);
  if (req.headers.ifNoneExist) {
    const matches = await findMatches(ctx, type, parseCriteria(req.headers.ifNoneExist));
    if (matches.length > 1) throw new FhirError('multiple-matches', `If-None-Exist matched more than one ${type}`);
    if (matches.length === 1) {
      return { status: 200, headers: resourceHeaders(ctx, matches[0], true), body: matches[0].json! };
    }
  }
  // A fresh server-assigned id cannot exist yet: insert directly, without put()'s read of the current version.
  const [stored] = await ctx.store.insertNew([{ type, id: newId(), resource }], ctx.now().toISOString());
  return writeResponse(ctx, req, stored, 201, `Created ${type}/${stored.id}`);
}
