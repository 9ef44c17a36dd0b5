// batch and transaction (R4 http.html#transaction): entries re-dispatched through the interaction table;
// a transaction is atomic, resolves urn:uuid references and conditional entries inside one database transaction.
import { STATUS_CODES } from 'node:http';
import { FhirError, errorOutcome, ERROR_TABLE } from './errors.ts';
import type { FhirContext, FhirRequest, FhirResponse, HttpMethod } from './context.ts';
import type { Interaction } from './interaction-table.ts';
import { dispatch } from './dispatch.ts';
import { findMatches, parseCriteria } from './conditional.ts';
import { newId } from './ids.ts';
import { prepareCreate } from './interactions/create.ts';
import { etagOf } from './representation.ts';
import { visitReferences } from './references.ts';
import { isResourceType } from './resource-types.ts';

interface ParsedEntry {
  index: number;
  fullUrl?: string;
  req: FhirRequest;
  type?: string;
  /** For a transaction POST: the id assigned, or the existing match of If-None-Exist. */
  assignedId?: string;
  existing?: FhirResponse;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);
const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };

function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}

function parseEntry(ctx: FhirContext, raw: unknown, index: number): ParsedEntry {
  const entry = (raw ?? {}) as Record<string, unknown>;
  const request = entry.request as Record<string, unknown> | undefined;
  if (!request || typeof request.method !== 'string' || typeof request.url !== 'string') {
    throw new FhirError('invalid', `Bundle.entry[${index}].request needs a method and a url`);
  }
  const method = request.method.toUpperCase();
  if (!METHODS.has(method)) throw new FhirError('invalid', `Bundle.entry[${index}].request.method "${method.slice(0, 10)}" is not supported`);
  let url = request.url;
  if (url.startsWith(ctx.baseUrl + '/')) url = url.slice(ctx.baseUrl.length + 1);
  if (/^[a-z]+:/i.test(url)) throw new FhirError('invalid', `Bundle.entry[${index}].request.url must be relative to this server`);
  const q = url.indexOf('?');
  const path = q >= 0 ? url.slice(0, q) : url;
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  const query = q >= 0 ? [...new URLSearchParams(url.slice(q + 1))] : [];
  const str = (k: string) => (typeof request[k] === 'string' ? (request[k] as string) : undefined);
  const resource = entry.resource;
  return {
    index,
    fullUrl: typeof entry.fullUrl === 'string' ? entry.fullUrl : undefined,
    type: segments[0],
    req: {
      method: method as HttpMethod,
      segments,
      query,
      headers: {
        ifMatch: str('ifMatch'),
        ifNoneMatch: str('ifNoneMatch'),
        ifModifiedSince: str('ifModifiedSince'),
        ifNoneExist: str('ifNoneExist'),
        contentType: method === 'PATCH' ? 'application/json-patch+json' : 'application/fhir+json',
      },
      body: method === 'PATCH' && resource && (resource as { resourceType?: string }).resourceType === 'Binary'
        ? JSON.parse(Buffer.from(String((resource as { data?: string }).data ?? ''), 'base64').toString('utf8') || 'null')
        : resource,
    },
  };
}

function responseEntry(res: FhirResponse, prefer: string | undefined): Record<string, unknown> {
  const response: Record<string, unknown> = { status: statusLine(res.status) };
  if (res.headers?.Location) response.location = res.headers.Location;
  if (res.headers?.ETag) response.etag = res.headers.ETag;
  if (res.headers?.['Last-Modified']) response.lastModified = new Date(res.headers['Last-Modified']).toISOString();
  const out: Record<string, unknown> = {};
  if (res.body !== undefined && !/return=minimal/i.test(prefer ?? '')) {
    const body = typeof res.body === 'string' ? JSON.parse(res.body) : res.body;
    if ((body as { resourceType?: string }).resourceType === 'OperationOutcome' && res.status >= 400) response.outcome = body;
    else out.resource = body;
  }
  out.response = response;
  return out;
}

function errorEntry(err: unknown): Record<string, unknown> {
  if (err instanceof FhirError) return { response: { status: statusLine(ERROR_TABLE[err.kind].status), outcome: errorOutcome(err) } };
  throw err;
}

async function runBatch(ctx: FhirContext, table: readonly Interaction[], entries: unknown[], prefer?: string): Promise<FhirResponse> {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < entries.length; i++) {
    try {
      const parsed = parseEntry(ctx, entries[i], i);
      if (parsed.req.segments.length === 0 && parsed.req.method === 'POST') throw new FhirError('invalid', 'A batch may not contain a batch or transaction');
      out.push(responseEntry(await dispatch(ctx, table, { ...parsed.req, headers: { ...parsed.req.headers, prefer } }), prefer));
    } catch (err) {
      out.push(errorEntry(err));
    }
  }
  return { status: 200, body: { resourceType: 'Bundle', type: 'batch-response', entry: out } };
}

/** Pass 1 of a transaction: ids for every POST and conditional PUT, so references can be rewritten before writing. */
async function assignIds(ctx: FhirContext, entries: ParsedEntry[], map: Map<string, string>): Promise<void> {
  for (const e of entries) {
    const { method, segments, query, headers } = e.req;
    if (method === 'POST' && segments.length === 1) {
      if (headers.ifNoneExist) {
        const matches = await findMatches(ctx, e.type!, parseCriteria(headers.ifNoneExist));
        if (matches.length > 1) throw new FhirError('multiple-matches', `Bundle.entry[${e.index}]: If-None-Exist matched more than one ${e.type}`);
        if (matches.length === 1) {
          e.assignedId = matches[0].id;
          e.existing = { status: 200, headers: { ETag: etagOf(matches[0].version), Location: `${ctx.baseUrl}/${e.type}/${matches[0].id}/_history/${matches[0].version}`, 'Last-Modified': new Date(matches[0].lastUpdated).toUTCString() } };
        }
      }
      e.assignedId ??= newId();
    } else if (method === 'PUT' && segments.length === 1 && query.length > 0) {
      const matches = await findMatches(ctx, e.type!, query);
      if (matches.length > 1) throw new FhirError('multiple-matches', `Bundle.entry[${e.index}]: the criteria matched more than one ${e.type}`);
      const bodyId = (e.req.body as { id?: unknown } | undefined)?.id;
      e.assignedId = matches[0]?.id ?? (typeof bodyId === 'string' ? bodyId : newId());
      e.req = { ...e.req, segments: [e.type!, e.assignedId], query: [], body: { ...(e.req.body as object), id: e.assignedId } };
    } else if (method === 'PUT' && segments.length === 2) {
      e.assignedId = segments[1];
    }
    if (e.fullUrl && e.assignedId && e.type) map.set(e.fullUrl, `${e.type}/${e.assignedId}`);
  }
}

async function resolveConditionalReferences(ctx: FhirContext, entries: ParsedEntry[]): Promise<void> {
  const pending: { obj: unknown; ref: string }[] = [];
  for (const e of entries) {
    visitReferences(e.req.body, (ref) => {
      if (/^[A-Z][A-Za-z]+\?/.test(ref)) pending.push({ obj: e, ref });
      return undefined;
    });
  }
  const resolved = new Map<string, string>();
  for (const { ref } of pending) {
    if (resolved.has(ref)) continue;
    const type = ref.slice(0, ref.indexOf('?'));
    if (!isResourceType(type)) throw new FhirError('invalid', `Conditional reference "${ref.slice(0, 80)}" names an unknown type`);
    const matches = await findMatches(ctx, type, parseCriteria(ref));
    if (matches.length !== 1) throw new FhirError('precondition-failed', `Conditional reference "${ref.slice(0, 80)}" matched ${matches.length === 0 ? 'nothing' : 'more than one resource'}`);
    resolved.set(ref, `${type}/${matches[0].id}`);
  }
  if (resolved.size) for (const e of entries) visitReferences(e.req.body, (ref) => resolved.get(ref));
}

async function runTransaction(ctx: FhirContext, table: readonly Interaction[], raw: unknown[], prefer?: string): Promise<FhirResponse> {
  const entries = raw.map((r, i) => parseEntry(ctx, r, i));
  const fullUrls = new Set<string>();
  for (const e of entries) {
    if (e.req.segments.length === 0) throw new FhirError('invalid', `Bundle.entry[${e.index}]: a transaction may not contain a batch or transaction`);
    if (e.fullUrl) {
      if (fullUrls.has(e.fullUrl)) throw new FhirError('invalid', `Bundle.entry[${e.index}]: fullUrl ${e.fullUrl.slice(0, 80)} appears twice`);
      fullUrls.add(e.fullUrl);
    }
  }
  const results = new Array<Record<string, unknown>>(entries.length);
  await ctx.store.transaction(async (store) => {
    const tctx: FhirContext = { ...ctx, store };
    const map = new Map<string, string>();
    await assignIds(tctx, entries, map);
    for (const e of entries) if (e.req.body) visitReferences(e.req.body, (ref) => map.get(ref));
    await resolveConditionalReferences(tctx, entries);
    const ordered = [...entries].sort((a, b) => ORDER[a.req.method] - ORDER[b.req.method] || a.index - b.index);
    const creates = ordered.filter((e) => e.req.method === 'POST' && e.req.segments.length === 1 && !e.existing);
    const inserts = creates.map((e) => {
      try {
        return { type: e.type!, id: e.assignedId!, resource: prepareCreate(tctx, e.req, e.type!) };
      } catch (err) {
        throw withEntry(err, e.index);
      }
    });
    for (const e of ordered.filter((x) => x.req.method === 'DELETE')) results[e.index] = await runEntry(tctx, table, e, prefer);
    const stored = await store.insertNew(inserts, ctx.now().toISOString());
    creates.forEach((e, i) => {
      const s = stored[i];
      results[e.index] = responseEntry({
        status: 201,
        headers: { Location: `${ctx.baseUrl}/${s.type}/${s.id}/_history/${s.version}`, ETag: etagOf(s.version), 'Last-Modified': new Date(s.lastUpdated).toUTCString() },
        body: s.json!,
      }, prefer);
    });
    for (const e of ordered) {
      if (e.existing) results[e.index] = responseEntry(e.existing, 'return=minimal');
      else if (results[e.index] === undefined) results[e.index] = await runEntry(tctx, table, e, prefer);
    }
  });
  return { status: 200, body: { resourceType: 'Bundle', type: 'transaction-response', entry: results } };
}

function withEntry(err: unknown, index: number): unknown {
  if (err instanceof FhirError) {
    const issues = (err.issues.length ? err.issues : errorOutcome(err).issue).map((i) => ({
      ...i,
      diagnostics: `Bundle.entry[${index}]: ${i.diagnostics ?? err.message}`,
    }));
    return new FhirError(err.kind, `Bundle.entry[${index}]: ${err.message}`, issues as FhirError['issues']);
  }
  return err;
}

async function runEntry(ctx: FhirContext, table: readonly Interaction[], e: ParsedEntry, prefer?: string): Promise<Record<string, unknown>> {
  try {
    const res = await dispatch(ctx, table, { ...e.req, headers: { ...e.req.headers, prefer } });
    return responseEntry(res, prefer);
  } catch (err) {
    throw withEntry(err, e.index);
  }
}

export function createBundleHandler(table: () => readonly Interaction[]) {
  return async (ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> => {
    const body = req.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || body.resourceType !== 'Bundle') {
      throw new FhirError('invalid', 'POST to the base takes a Bundle of type batch or transaction');
    }
    const entries = body.entry ?? [];
    if (!Array.isArray(entries)) throw new FhirError('structure', 'Bundle.entry must be an array');
    if (body.type === 'batch') return runBatch(ctx, table(), entries, req.headers.prefer);
    if (body.type === 'transaction') return runTransaction(ctx, table(), entries, req.headers.prefer);
    throw new FhirError('invalid', `Bundle.type must be batch or transaction, got "${String(body.type).slice(0, 40)}"`);
  };
}
