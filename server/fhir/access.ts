// Access control in the FHIR layer (SPEC §5): every interaction asks auth/ for a decision; patient-scoped
// tokens are held to their compartment in reads, writes, searches, includes, history and operations.
import { authorize, type AccessDecision, type AccessRequest, type Restriction } from '../auth/access.ts';
import { isInPatientCompartment } from '../auth/compartment.ts';
import { resourceMatchesFilters } from '../auth/scope-filter.ts';
import { FhirError } from './errors.ts';
import type { FhirContext } from './context.ts';
import type { StoredResource } from '../store/resource-store.ts';

export type Allowed = Extract<AccessDecision, { allowed: true }>;

const OPEN: Allowed = { allowed: true, restrictions: [] };

/** The decision for one interaction; refusals become FhirErrors (404 where existence must not leak). */
export function requireAccess(ctx: FhirContext, access: AccessRequest): Allowed {
  if (ctx.principal.unrestricted) return OPEN;
  // The audit trail is for system/AuditEvent.rs holders only (SPEC §5), never for user or patient tokens.
  if (access.type === 'AuditEvent' && ctx.principal.kind !== 'system') throw new FhirError('forbidden', 'AuditEvents are readable by system clients only');
  const decision = authorize(ctx.principal, access);
  if (decision.allowed) return decision;
  if (decision.conceal) throw new FhirError('not-found', `${access.type}${access.id ? `/${access.id}` : ''} is not known`);
  throw new FhirError(decision.kind, `Access denied: ${decision.reason}`);
}

/** An access request about stored JSON, parsed only if the decision looks inside it (compartments, scope filters). */
export function withStoredResource(access: Pick<AccessRequest, 'interaction' | 'type' | 'id'>, json: string): AccessRequest {
  return new StoredAccess(access.interaction, access.type, access.id, json);
}

class StoredAccess implements AccessRequest {
  private parsed: object | undefined;
  constructor(
    readonly interaction: AccessRequest['interaction'],
    readonly type: string,
    readonly id: string | undefined,
    private readonly json: string,
  ) {}
  get resource(): object {
    return (this.parsed ??= JSON.parse(this.json) as object);
  }
}

function visible(resource: Record<string, unknown>, restrictions: readonly Restriction[]): boolean {
  if (restrictions.length === 0) return true;
  return restrictions.some((r) => (r.patient === undefined || isInPatientCompartment(resource, r.patient)) && resourceMatchesFilters(resource, r.filters));
}

/** Keeps only the stored resources the caller may see (search matches of other types, includes, history). */
export function filterVisible(ctx: FhirContext, rows: StoredResource[], interaction: 'search' | 'history' | 'read'): StoredResource[] {
  if (ctx.principal.unrestricted) return rows;
  const decisions = new Map<string, Allowed | null>();
  return rows.filter((row) => {
    // A deletion carries no content to test, so only unrestricted callers see it.
    if (row.deleted || row.json === null) return interaction === 'history' && decisionFor(ctx, decisions, row.type, interaction)?.restrictions.length === 0;
    const decision = decisionFor(ctx, decisions, row.type, interaction);
    if (decision === null) return false;
    // Parsed only when a restriction looks inside (a patient compartment, a scope filter).
    return decision.restrictions.length === 0 || visible(JSON.parse(row.json) as Record<string, unknown>, decision.restrictions);
  });
}

function decisionFor(ctx: FhirContext, cache: Map<string, Allowed | null>, type: string, interaction: 'search' | 'history' | 'read'): Allowed | null {
  if (!cache.has(type)) {
    if (type === 'AuditEvent' && ctx.principal.kind !== 'system') {
      cache.set(type, null);
      return null;
    }
    const d = authorize(ctx.principal, { interaction: interaction === 'history' ? 'search' : interaction, type });
    cache.set(type, d.allowed ? d : null);
  }
  return cache.get(type)!;
}
