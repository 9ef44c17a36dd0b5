// update: PUT [type]/[id] (also update-as-create) and conditional update PUT [type]?criteria (R4 http.html#update).
import { FhirError } from '../errors.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import { bodyResource, parseVersionTag, writeResponse } from '../representation.ts';
import { findMatches } from '../conditional.ts';
import { assertValidId, newId } from '../ids.ts';
import { assertValid } from '../validate.ts';
import { StoreConflict } from '../../store/resource-store.ts';
import { requireAccess } from '../access.ts';

export async function putResource(
  ctx: FhirContext,
  req: FhirRequest,
  type: string,
  id: string,
  resource: Record<string, unknown>,
): Promise<FhirResponse> {
  const expectVersion = req.headers.ifMatch ? parseVersionTag(req.headers.ifMatch, 'If-Match') : undefined;
  if (!ctx.principal.unrestricted) {
    const existing = await ctx.store.read(type, id);
    const interaction = req.method === 'PATCH' ? 'patch' : 'update';
    if (existing && !existing.deleted) requireAccess(ctx, { interaction, type, id, resource: JSON.parse(existing.json!) });
    requireAccess(ctx, { interaction: existing && !existing.deleted ? interaction : 'create', type, id, resource });
  }
  try {
    const { stored, created } = await ctx.store.put(type, id, resource, ctx.now().toISOString(), { expectVersion });
    return writeResponse(ctx, req, stored, created ? 201 : 200, `${created ? 'Created' : 'Updated'} ${type}/${id}`);
  } catch (err) {
    if (err instanceof StoreConflict) {
      const have = err.current ? `version ${err.current.version}` : 'no resource';
      throw new FhirError('precondition-failed', `If-Match names version ${expectVersion} but the server has ${have}`);
    }
    throw err;
  }
}

export async function updateResource(ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  const type = p.type!;
  const id = p.id!;
  const resource = bodyResource(req, type);
  if (resource.id === undefined) throw new FhirError('invalid', 'An update must carry the resource id in the body');
  if (resource.id !== id) throw new FhirError('invalid', `The body id "${String(resource.id).slice(0, 64)}" does not match the URL id "${id}"`);
  assertValid(ctx, resource, 'update');
  return putResource(ctx, req, type, id, resource);
}

export async function conditionalUpdate(ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  const type = p.type!;
  const resource = bodyResource(req, type);
  if (req.query.length === 0) throw new FhirError('invalid', 'A conditional update needs search criteria');
  const matches = await findMatches(ctx, type, req.query);
  if (matches.length > 1) throw new FhirError('multiple-matches', `The criteria matched more than one ${type}`);
  if (matches.length === 1) {
    if (resource.id !== undefined && resource.id !== matches[0].id) {
      throw new FhirError('invalid', `The body id does not match the ${type} the criteria found`);
    }
    const updated = { ...resource, id: matches[0].id };
    assertValid(ctx, updated, 'update');
    return putResource(ctx, req, type, matches[0].id, updated);
  }
  const id = typeof resource.id === 'string' ? resource.id : newId();
  assertValidId(id);
  const created = { ...resource, id };
  assertValid(ctx, created, 'update');
  return putResource(ctx, req, type, id, created);
}
