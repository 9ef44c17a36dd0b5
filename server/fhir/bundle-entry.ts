// Building Bundle entries and links from stored resources (search, history, batch responses).
import type { FhirContext } from './context.ts';
import type { StoredResource } from '../store/resource-store.ts';
import { applyElements, applySummary } from './summary.ts';

export function fullUrlOf(ctx: FhirContext, type: string, id: string): string {
  return `${ctx.baseUrl}/${type}/${id}`;
}

export function linkUrl(ctx: FhirContext, path: string, params: [string, string][]): string {
  const qs = new URLSearchParams(params).toString();
  return `${ctx.baseUrl}/${path}${qs ? `?${qs}` : ''}`;
}

export function parseStored(stored: StoredResource, shape?: { summary?: string; elements?: string[] }): Record<string, unknown> {
  let resource = JSON.parse(stored.json!) as Record<string, unknown>;
  if (shape?.elements?.length) resource = applyElements(resource, shape.elements);
  else if (shape?.summary && shape.summary !== 'false') resource = applySummary(resource, shape.summary);
  return resource;
}
