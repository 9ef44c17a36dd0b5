// dispatch: one FhirRequest through the interaction table — used by the HTTP routes and by batch/transaction.
// Each interaction is audited here, so batch and transaction entries are audited one by one.
import type { AuditEntry, FhirContext, FhirRequest, FhirResponse, RouteParams } from './context.ts';
import { ERROR_TABLE, FhirError } from './errors.ts';
import { parseVersionTag } from './representation.ts';
import { matchInteraction, type Interaction, type InteractionCode } from './interaction-table.ts';

const AUDITED: Partial<Record<InteractionCode, AuditEntry['interaction']>> = {
  read: 'read', vread: 'vread', update: 'update', patch: 'patch', delete: 'delete', create: 'create',
  'search-type': 'search', 'search-system': 'search', 'history-instance': 'history', 'history-type': 'history',
  'history-system': 'history', operation: 'operation',
};

function whatOf(p: RouteParams): string | undefined {
  // The common case (read, update, delete) without building and joining an array.
  if (p.type && p.id && !p.vid && !p.compartmentType && !p.operation) return `${p.type}/${p.id}`;
  const parts = [p.type, p.id, p.vid ? `_history/${p.vid}` : undefined, p.compartmentType, p.operation ? `$${p.operation}` : undefined];
  const what = parts.filter(Boolean).join('/');
  return what || undefined;
}

/** The version in a response's ETag (always etagOf's `W/"3"`): what a read, vread, create, update, patch or delete touched. */
function versionOf(res: FhirResponse): number | undefined {
  const tag = res.headers?.ETag;
  return tag === undefined ? undefined : parseVersionTag(tag, 'ETag');
}

/** A create is recorded as the resource it made, `Type/id`, read from its Location header (`…/Type/id/_history/v`). */
function createdWhat(res: FhirResponse): string | undefined {
  const m = /([A-Za-z]+\/[A-Za-z0-9\-.]{1,64})\/_history\/[^/]+$/.exec(res.headers?.Location ?? '');
  return m?.[1];
}

export async function dispatch(ctx: FhirContext, table: readonly Interaction[], req: FhirRequest): Promise<FhirResponse> {
  const { interaction, params } = matchInteraction(table, req.method, req.segments);
  const audited = ctx.audit ? AUDITED[interaction.code] : undefined;
  if (!audited) return interaction.handler(ctx, req, params);
  const entry = {
    interaction: audited,
    what: whatOf(params),
    ...(audited === 'search' && req.query.length > 0 && { query: new URLSearchParams(req.query).toString() }),
    principal: ctx.principal,
    requestId: ctx.requestId,
  };
  try {
    const res = await interaction.handler(ctx, req, params);
    const version = audited !== 'search' && audited !== 'history' && audited !== 'operation' ? versionOf(res) : undefined;
    ctx.audit!({ ...entry, ...(audited === 'create' && { what: createdWhat(res) ?? entry.what }), ...(version !== undefined && { version }), status: res.status });
    return res;
  } catch (err) {
    ctx.audit!({ ...entry, status: err instanceof FhirError ? ERROR_TABLE[err.kind].status : 500 });
    throw err;
  }
}
