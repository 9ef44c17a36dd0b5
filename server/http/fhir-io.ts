// Express ⇄ FhirRequest/FhirResponse: content types, negotiation, _pretty/_summary/_elements on the way out.
import type { Request, Response } from 'express';
import { FhirError } from '../fhir/errors.ts';
import type { FhirRequest, FhirResponse, HttpMethod } from '../fhir/context.ts';
import { parseJsonBody } from '../fhir/json-guard.ts';
import { applyElements, applySummary } from '../fhir/summary.ts';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const JSON_TYPES = /^application\/(fhir\+json|json|json-patch\+json)\b/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\b/i;

/** Refuses XML and other formats this server does not speak (406), from _format or Accept. */
export function checkAcceptable(req: Request, query: [string, string][]): void {
  const format = query.find(([k]) => k === '_format')?.[1];
  if (format !== undefined && !/^(json|application\/(fhir\+)?json)$/i.test(format.trim())) {
    throw new FhirError('not-acceptable', `_format=${format.slice(0, 40)} is not supported; this server speaks application/fhir+json`);
  }
  const accept = req.headers.accept;
  if (accept && !/\*\/\*|application\/\*|json/i.test(accept)) {
    throw new FhirError('not-acceptable', `Accept: ${accept.slice(0, 80)} is not supported; this server speaks application/fhir+json`);
  }
}

export function parseQuery(originalUrl: string): [string, string][] {
  const q = originalUrl.indexOf('?');
  if (q < 0) return [];
  try {
    return [...new URLSearchParams(originalUrl.slice(q + 1))];
  } catch {
    throw new FhirError('invalid', 'The query string is malformed');
  }
}

function decodeSegments(path: string): string[] {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new FhirError('invalid', 'The URL path is not valid percent-encoding');
  }
}

export function toFhirRequest(req: Request): FhirRequest {
  const query = parseQuery(req.originalUrl);
  checkAcceptable(req, query);
  const method = req.method.toUpperCase() as HttpMethod;
  const contentType = req.headers['content-type'];
  let body: unknown;
  const raw = typeof req.body === 'string' ? req.body : undefined;
  if (raw !== undefined && raw.length > 0 && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
    if (contentType && FORM_TYPE.test(contentType)) body = raw;
    else if (!contentType || JSON_TYPES.test(contentType)) body = parseJsonBody(raw);
    else throw new FhirError('unsupported-media-type', `Content-Type ${contentType.slice(0, 80)} is not supported; send application/fhir+json`);
  }
  const h = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    method,
    segments: decodeSegments(req.path),
    query,
    headers: {
      ifMatch: h('if-match'),
      ifNoneMatch: h('if-none-match'),
      ifModifiedSince: h('if-modified-since'),
      ifNoneExist: h('if-none-exist'),
      prefer: h('prefer'),
      contentType,
    },
    body,
  };
}

/** Writes a FhirResponse; stored JSON text goes out untouched unless the client asked for reshaping. */
export function sendFhir(res: Response, fr: FhirResponse, query: [string, string][]): void {
  res.status(fr.status);
  for (const [k, v] of Object.entries(fr.headers ?? {})) res.setHeader(k, v);
  if (fr.body === undefined || fr.status === 304) {
    res.end();
    return;
  }
  const get = (name: string) => query.find(([k]) => k === name)?.[1];
  const pretty = get('_pretty') === 'true';
  const summary = get('_summary');
  const elements = get('_elements');
  let body = fr.body;
  const reshape = (summary || elements) && fr.status < 300;
  if (typeof body === 'string' && (pretty || reshape)) body = JSON.parse(body) as object;
  if (typeof body === 'object' && reshape && (body as { resourceType?: string }).resourceType !== 'Bundle') {
    const resource = body as Record<string, unknown>;
    body = elements ? applyElements(resource, elements.split(',').map((e) => e.trim())) : applySummary(resource, summary!);
  }
  res.setHeader('Content-Type', FHIR_JSON);
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, pretty ? 2 : undefined);
  if (res.req.headers['if-none-match'] !== undefined || res.req.headers['if-modified-since'] !== undefined) {
    // Express answers a conditional request whose validators match with 304 (the interactions that support it do too).
    res.send(text);
    return;
  }
  // The text goes out as is: Node prepends the headers to it as one string, where res.send would first copy the
  // body into a Buffer and queue it after the headers (HEAD: Node sends the headers only).
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
