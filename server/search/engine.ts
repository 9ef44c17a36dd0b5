// SearchEngine port: what fhir/ asks of search/. Index maintenance hooks run inside the store's write transaction.
import type { IndexHook, ResourceStore, StoredResource } from '../store/resource-store.ts';
import type { Migration } from '../store/migrations.ts';

export interface SearchRequest {
  /** Resource type searched; undefined for a system-level search. */
  type?: string;
  /** Query parameters in the order given (repeated names allowed), already URL-decoded. */
  params: [string, string][];
  /** Compartment search: /Patient/{id}/{type}. */
  compartment?: { type: string; id: string };
  /** Prefer: handling=strict → unknown or malformed parameters are errors (400). */
  strict: boolean;
}

export interface SearchResult {
  matches: StoredResource[];
  includes: StoredResource[];
  total?: number;
  /** Query strings (without '?') for the Bundle links; `self` lists only the parameters actually used. */
  self: [string, string][];
  next?: [string, string][];
  /** Warnings for parameters ignored in lenient mode. */
  warnings: string[];
  /** _summary=count: matches left empty, only total. */
  countOnly?: boolean;
  /** _elements / _summary to apply to each match. */
  elements?: string[];
  summary?: 'true' | 'text' | 'data' | 'false';
}

export interface SearchEngine {
  readonly indexHook: IndexHook;
  readonly migrations: readonly Migration[];
  search(store: ResourceStore, req: SearchRequest): Promise<SearchResult>;
  /** Names of the search parameters supported for a type (CapabilityStatement). */
  supportedParams(type: string): { name: string; type: string; definition?: string }[];
}
