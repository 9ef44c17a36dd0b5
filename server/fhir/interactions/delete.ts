// delete: DELETE [type]/[id] and conditional delete DELETE [type]?criteria (R4 http.html#delete).
import { FhirError } from '../errors.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import { etagOf, parseVersionTag } from '../representation.ts';
import { findMatches } from '../conditional.ts';
import { StoreConflict } from '../../store/resource-store.ts';
import { requireAccess } from '../access.ts';

async function deleteOne(ctx: FhirContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  const expectVersion = req.headers.ifMatch ? parseVersionTag(req.headers.ifMatch, 'If-Match') : undefined;
  if (!ctx.principal.unrestricted) {
    const existing = await ctx.store.read(type, id);
    requireAccess(ctx, { interaction: 'delete', type, id, ...(existing?.json ? { resource: JSON.parse(existing.json) } : {}) });
  }
  try {
    const deleted = await ctx.store.delete(type, id, ctx.now().toISOString(), { expectVersion });
    return { status: 204, headers: deleted ? { ETag: etagOf(deleted.version) } : {} };
  } catch (err) {
    if (err instanceof StoreConflict) throw new FhirError('precondition-failed', `If-Match names version ${expectVersion}, which is not current`);
    throw err;
  }
}

export async function deleteResource(ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  return deleteOne(ctx, req, p.type!, p.id!);
}

export async function conditionalDelete(ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  if (req.query.length === 0) throw new FhirError('invalid', 'A conditional delete needs search criteria');
  const matches = await findMatches(ctx, p.type!, req.query);
  if (matches.length > 1) throw new FhirError('multiple-matches', `The criteria matched more than one ${p.type}`);
  if (matches.length === 0) return { status: 204 };
  return deleteOne(ctx, req, p.type!, matches[0].id);
}
