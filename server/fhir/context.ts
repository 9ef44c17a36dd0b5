// Transport-free request, response and per-request context of the FHIR layer.
import type { Logger } from 'pino';
import type { ResourceStore } from '../store/resource-store.ts';
import type { SearchEngine } from '../search/engine.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Who is asking; filled by auth/ when AUTH=smart, a full-access principal otherwise. */
export interface Principal {
  readonly kind: 'anonymous' | 'user' | 'patient' | 'system';
  readonly clientId?: string;
  readonly patient?: string;
  readonly fhirUser?: string;
  readonly scopes?: readonly string[];
  /** AUTH=off: every interaction is allowed without scope checks. */
  readonly unrestricted?: boolean;
}

/** Optional validation hook (validation/ provides it); returns OperationOutcome issues, errors first. */
export interface ResourceValidator {
  validate(resource: Record<string, unknown>, opts?: { profiles?: string[]; mode?: 'create' | 'update' | 'delete' }): import('./errors.ts').OutcomeIssue[];
}

export interface FhirContext {
  readonly requestId: string;
  readonly log: Logger;
  readonly store: ResourceStore;
  readonly search: SearchEngine;
  readonly baseUrl: string;
  readonly now: () => Date;
  readonly principal: Principal;
  readonly validator?: ResourceValidator;
  /** Records one FHIR interaction for the audit trail (AUTH=smart); batched by the sink behind it. */
  readonly audit?: (entry: AuditEntry) => void;
}

export interface AuditEntry {
  interaction: 'read' | 'vread' | 'search' | 'create' | 'update' | 'patch' | 'delete' | 'history' | 'operation';
  what?: string;
  /** A search's query string, as the client sent its parameters. */
  query?: string;
  /** The version an instance interaction read or wrote (its response's ETag). */
  version?: number;
  status: number;
  principal: Principal;
  requestId: string;
}

export interface FhirRequest {
  method: HttpMethod;
  /** Path segments after the FHIR base, already URL-decoded. */
  segments: string[];
  query: [string, string][];
  headers: {
    ifMatch?: string;
    ifNoneMatch?: string;
    ifModifiedSince?: string;
    ifNoneExist?: string;
    prefer?: string;
    contentType?: string;
  };
  body?: unknown;
}

export interface FhirResponse {
  status: number;
  /** A resource object, or stored JSON text sent as it is (the fast read path). */
  body?: object | string;
  headers?: Record<string, string>;
}

/** The bound route parameters of a matched interaction. */
export interface RouteParams {
  type?: string;
  id?: string;
  vid?: string;
  operation?: string;
  compartmentType?: string;
}

export type InteractionHandler = (ctx: FhirContext, req: FhirRequest, params: RouteParams) => Promise<FhirResponse>;
