// vread: GET [type]/[id]/_history/[vid] (R4 http.html#vread).
import { FhirError } from '../errors.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import { resourceHeaders } from '../representation.ts';
import { requireAccess, withStoredResource } from '../access.ts';

export async function vreadResource(ctx: FhirContext, _req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  if (!/^\d{1,12}$/.test(p.vid!)) throw new FhirError('not-found', `Version "${p.vid!.slice(0, 40)}" is not a version id`);
  const stored = await ctx.store.vread(p.type!, p.id!, Number(p.vid));
  if (!stored) throw new FhirError('not-found', `${p.type}/${p.id}/_history/${p.vid} is not known`);
  if (stored.deleted) throw new FhirError('gone', `${p.type}/${p.id} version ${p.vid} is a deletion`);
  if (!ctx.principal.unrestricted) requireAccess(ctx, withStoredResource({ interaction: 'vread', type: p.type!, id: p.id }, stored.json!));
  return { status: 200, headers: resourceHeaders(ctx, stored, false), body: stored.json! };
}
