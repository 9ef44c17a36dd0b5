// Response shaping shared by interactions: ETag/Last-Modified/Location headers, Prefer return=, version parsing.
import { FhirError, operationOutcome } from './errors.ts';
import type { FhirContext, FhirRequest, FhirResponse } from './context.ts';
import type { StoredResource } from '../store/resource-store.ts';

export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/** Parses If-Match / If-None-Match values: W/"3", "3" or 3. */
export function parseVersionTag(raw: string, header: string): number {
  const m = /^\s*(?:W\/)?"?(\d{1,12})"?\s*$/.exec(raw);
  if (!m) throw new FhirError('invalid', `${header} must be an ETag such as W/"3", got "${raw.slice(0, 60)}"`);
  return Number(m[1]);
}

export function resourceHeaders(ctx: FhirContext, stored: StoredResource, withLocation: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    ETag: etagOf(stored.version),
    'Last-Modified': new Date(stored.lastUpdated).toUTCString(),
  };
  if (withLocation) headers.Location = `${ctx.baseUrl}/${stored.type}/${stored.id}/_history/${stored.version}`;
  return headers;
}

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export function preferReturn(req: FhirRequest): PreferReturn {
  const m = /return=(minimal|representation|OperationOutcome)/i.exec(req.headers.prefer ?? '');
  if (!m) return 'representation';
  const v = m[1].toLowerCase();
  return v === 'minimal' ? 'minimal' : v === 'operationoutcome' ? 'OperationOutcome' : 'representation';
}

/** A write's response honouring Prefer: return=minimal | representation | OperationOutcome. */
export function writeResponse(ctx: FhirContext, req: FhirRequest, stored: StoredResource, status: number, message: string): FhirResponse {
  const headers = resourceHeaders(ctx, stored, status === 201 || req.method !== 'GET');
  switch (preferReturn(req)) {
    case 'minimal':
      return { status, headers };
    case 'OperationOutcome':
      return { status, headers, body: operationOutcome([{ severity: 'information', code: 'informational', diagnostics: message }]) };
    default:
      return { status, headers, body: stored.json ?? undefined };
  }
}

/** The request body as a resource of the expected type, or a 400. */
export function bodyResource(req: FhirRequest, type: string): Record<string, unknown> {
  const body = req.body;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new FhirError('structure', 'The request body must be a JSON object holding a FHIR resource');
  }
  const resource = body as Record<string, unknown>;
  if (typeof resource.resourceType !== 'string') throw new FhirError('structure', 'The resource has no resourceType');
  if (resource.resourceType !== type) {
    throw new FhirError('invalid', `The resourceType "${String(resource.resourceType).slice(0, 64)}" does not match the URL type ${type}`);
  }
  return resource;
}
