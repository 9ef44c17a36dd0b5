// history: instance, type and system level with _since, _count and a stable cursor (R4 http.html#history).
import { FhirError } from '../errors.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import { fullUrlOf, linkUrl } from '../bundle-entry.ts';
import { parseCount } from '../../search/parse.ts';

const DEFAULT_COUNT = 20;
import { etagOf } from '../representation.ts';
import type { HistoryQuery } from '../../store/resource-store.ts';
import { filterVisible, requireAccess } from '../access.ts';

interface Cursor {
  lastUpdated: string;
  type: string;
  id: string;
  version: number;
}

function decodeCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.lastUpdated === 'string' && typeof c.type === 'string' && typeof c.id === 'string' && Number.isInteger(c.version)) return c;
  } catch {
    // fall through to the error below
  }
  throw new FhirError('invalid', '_cursor is not a history cursor this server issued');
}

export async function historyInteraction(ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> {
  const get = (name: string) => req.query.find(([k]) => k === name)?.[1];
  const countRaw = get('_count');
  const count = countRaw === undefined ? DEFAULT_COUNT : parseCount(countRaw);
  const sinceRaw = get('_since');
  let since: string | undefined;
  if (sinceRaw !== undefined) {
    const t = Date.parse(sinceRaw);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(sinceRaw) || Number.isNaN(t)) throw new FhirError('invalid', '_since must be an instant such as 2026-01-01T00:00:00Z');
    since = new Date(t).toISOString();
  }
  if (p.type && p.id) {
    const current = await ctx.store.read(p.type, p.id);
    if (!current) throw new FhirError('not-found', `${p.type}/${p.id} is not known`);
    if (!ctx.principal.unrestricted) {
      requireAccess(ctx, { interaction: 'history', type: p.type, id: p.id, ...(current.json ? { resource: JSON.parse(current.json) } : {}) });
    }
  } else if (!ctx.principal.unrestricted) {
    requireAccess(ctx, { interaction: 'history', type: p.type ?? '*' });
  }
  const cursorRaw = get('_cursor');
  const q: HistoryQuery = { type: p.type, id: p.id, since, count: count + 1, before: cursorRaw ? decodeCursor(cursorRaw) : undefined };
  const rows = count === 0 ? [] : await ctx.store.history(q);
  const unfiltered = rows.slice(0, count);
  // Restricted callers see only versions inside their compartment; the total would count the rest, so it is left out.
  const restricted = !ctx.principal.unrestricted && !(p.type && p.id);
  const page = restricted ? filterVisible(ctx, unfiltered, 'history') : unfiltered;
  const total = restricted ? undefined : await ctx.store.countHistory({ type: p.type, id: p.id, since });
  const path = [p.type, p.id, '_history'].filter(Boolean).join('/');
  const selfParams: [string, string][] = [];
  if (sinceRaw !== undefined) selfParams.push(['_since', sinceRaw]);
  if (get('_count') !== undefined) selfParams.push(['_count', String(count)]);
  const link = [{ relation: 'self', url: linkUrl(ctx, path, cursorRaw ? [...selfParams, ['_cursor', cursorRaw]] : selfParams) }];
  if (rows.length > count) {
    const last = unfiltered[unfiltered.length - 1];
    const cursor = Buffer.from(JSON.stringify({ lastUpdated: last.lastUpdated, type: last.type, id: last.id, version: last.version })).toString('base64url');
    link.push({ relation: 'next', url: linkUrl(ctx, path, [...selfParams, ['_count', String(count)], ['_cursor', cursor]].filter((x, i, a) => a.findIndex((y) => y[0] === x[0]) === i) as [string, string][]) });
  }
  const bundle = {
    resourceType: 'Bundle',
    type: 'history',
    total,
    link,
    entry: page.map((s) => {
      const entry: Record<string, unknown> = {
        fullUrl: fullUrlOf(ctx, s.type, s.id),
        request: { method: s.deleted ? 'DELETE' : s.version === 1 ? 'POST' : 'PUT', url: s.version === 1 && !s.deleted ? s.type : `${s.type}/${s.id}` },
        response: { status: s.deleted ? '204' : s.version === 1 ? '201' : '200', etag: etagOf(s.version), lastModified: s.lastUpdated },
      };
      if (!s.deleted) entry.resource = JSON.parse(s.json!);
      return entry;
    }),
  };
  return { status: 200, body: bundle };
}
