// Request authorization: does a token's scopes allow this FHIR interaction, and under which restrictions
// (patient compartment, scope search filters)? Pure. v1 scopes are already mapped to cruds letters.
import type { Principal } from '../fhir/context.ts';
import { isInPatientCompartment, PATIENT_COMPARTMENT_TYPES } from './compartment.ts';
import { isSmartPrincipal } from './principal.ts';
import { parseResourceScope, type Permission, type ResourceScope } from './scopes.ts';
import { resourceMatchesFilters } from './scope-filter.ts';

export type Interaction = 'read' | 'vread' | 'search' | 'create' | 'update' | 'patch' | 'delete' | 'history' | 'operation';

export interface AccessRequest {
  readonly interaction: Interaction;
  /** Resource type, or `*` for system-level search/history. */
  readonly type: string;
  /** Instance id: instance history needs `r`, type history `s`. */
  readonly id?: string;
  /** The stored resource (read, update, delete) or the incoming one (create, update). */
  readonly resource?: object;
  readonly searchParams?: readonly (readonly [string, string])[];
  /** Overrides the permission an operation needs (default `r`). */
  readonly permission?: Permission;
}

/** One way the access is allowed: within a patient compartment and/or matching all filters. */
export interface Restriction {
  readonly patient?: string;
  readonly filters: readonly (readonly [string, string])[];
}

export type AccessDecision =
  | {
      readonly allowed: true;
      /** Results must match at least one; empty = unrestricted. */
      readonly restrictions: readonly Restriction[];
      /** Set when every restriction is the same patient compartment: the FHIR layer filters on it. */
      readonly patient?: string;
    }
  | {
      readonly allowed: false;
      readonly kind: 'unauthorized' | 'forbidden';
      readonly reason: string;
      /** The resource exists but lies outside what the token may see: answer as if it did not exist (404). */
      readonly conceal?: boolean;
    };

export function permissionFor(access: AccessRequest): Permission {
  switch (access.interaction) {
    case 'read':
    case 'vread':
      return 'r';
    case 'search':
      return 's';
    case 'history':
      return access.id !== undefined ? 'r' : 's';
    case 'create':
      return 'c';
    case 'update':
    case 'patch':
      return 'u';
    case 'delete':
      return 'd';
    case 'operation':
      return access.permission ?? 'r';
  }
}

function isCompartmentType(type: string): boolean {
  return type === 'Patient' || type === '*' || PATIENT_COMPARTMENT_TYPES.has(type);
}

function subsumes(a: Restriction, b: Restriction): boolean {
  return (a.patient === undefined || a.patient === b.patient) && a.filters.every(([k, v]) => b.filters.some(([k2, v2]) => k === k2 && v === v2));
}

export function authorize(principal: Principal, access: AccessRequest): AccessDecision {
  if (principal.kind === 'anonymous') return { allowed: false, kind: 'unauthorized', reason: 'no access token' };
  const scopes: readonly ResourceScope[] = isSmartPrincipal(principal)
    ? principal.resourceScopes
    : (principal.scopes ?? []).map(parseResourceScope).filter((s): s is ResourceScope => s !== undefined);
  const needed = permissionFor(access);
  // `fhirUser`: permission to retrieve the signed-in user's own resource (scopes-and-launch-context).
  if (needed === 'r' && access.id !== undefined && principal.fhirUser === `${access.type}/${access.id}` && principal.scopes?.includes('fhirUser')) {
    return { allowed: true, restrictions: [] };
  }
  const restrictions: Restriction[] = [];
  for (const s of scopes) {
    if (!s.permissions.includes(needed)) continue;
    if (s.type !== '*' && s.type !== access.type) continue;
    if (principal.kind === 'system' ? s.context !== 'system' : s.context === 'system') continue;
    // patient/ scopes, and every scope of a patient user, are bound to the token's patient — for types that
    // can be patient data. Shared types outside the compartment (Medication, Practitioner, Organization,
    // Location, terminology) stay readable, as US Core clients expect when following references.
    const bound = (s.context === 'patient' || principal.kind === 'patient') && isCompartmentType(access.type);
    if (bound && principal.patient === undefined) continue;
    restrictions.push({ ...(bound && { patient: principal.patient }), filters: s.filters });
  }
  if (restrictions.length === 0) {
    return { allowed: false, kind: 'forbidden', reason: `no granted scope allows ${needed} on ${access.type}` };
  }
  // Filters already imposed by the search itself need no second application.
  const params = access.interaction === 'search' ? (access.searchParams ?? []) : [];
  const effective = restrictions
    .map((r) => ({ ...r, filters: r.filters.filter(([k, v]) => !params.some(([k2, v2]) => k === k2 && v === v2)) }))
    .filter((r, i, all) => !all.some((o, j) => j !== i && subsumes(o, r) && !(subsumes(r, o) && j > i)));
  if (effective.some((r) => r.patient === undefined && r.filters.length === 0)) return { allowed: true, restrictions: [] };
  if (access.resource !== undefined) {
    const ok = effective.some((r) => (r.patient === undefined || isInPatientCompartment(access.resource, r.patient)) && resourceMatchesFilters(access.resource, r.filters));
    if (!ok) {
      const reading = access.interaction === 'read' || access.interaction === 'vread' || access.interaction === 'history';
      return { allowed: false, kind: 'forbidden', reason: 'the resource is outside the granted compartment or scope filters', ...(reading && { conceal: true }) };
    }
  }
  const patients = new Set(effective.map((r) => r.patient));
  const patient = patients.size === 1 ? [...patients][0] : undefined;
  return { allowed: true, restrictions: effective, ...(patient !== undefined && { patient }) };
}
