// Bearer token → SmartPrincipal for the FHIR layer. Rejections are FhirError('unauthorized') with a reason.
import { FhirError } from '../fhir/errors.ts';
import type { Principal } from '../fhir/context.ts';
import type { AuthStore } from './auth-store.ts';
import { parseResourceScope, splitScopes, type ResourceScope } from './scopes.ts';
import { TokenError, type TokenService } from './tokens.ts';

/** A Principal with what a SMART access token carries. */
export interface SmartPrincipal extends Principal {
  readonly kind: 'user' | 'patient' | 'system';
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly resourceScopes: readonly ResourceScope[];
  /** Token subject: user id, or client_id for backend services. */
  readonly subject: string;
  /** fhirUser as a relative reference (Practitioner/…), for audit. */
  readonly fhirUser?: string;
  readonly encounter?: string;
  readonly grantId: string;
  readonly tokenId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export function isSmartPrincipal(p: Principal): p is SmartPrincipal {
  return Array.isArray((p as SmartPrincipal).resourceScopes);
}

const ACTIVE_CACHE_MS = 2_000;

/** Remembers recently confirmed active grants for a moment so each request does not hit the database. */
export class GrantStatusCache {
  private readonly active = new Map<string, number>();

  constructor(private readonly store: AuthStore) {}

  /** True when the grant was confirmed active within the last moment (no database read, no await). */
  recentlyActive(grantId: string): boolean {
    const seen = this.active.get(grantId);
    return seen !== undefined && Date.now() - seen < ACTIVE_CACHE_MS;
  }

  async isActive(grantId: string): Promise<boolean> {
    const t = Date.now();
    if (this.recentlyActive(grantId)) return true;
    const ok = await this.store.isGrantActive(grantId);
    if (ok) {
      if (this.active.size > 50_000) this.active.clear();
      this.active.set(grantId, t);
    } else this.active.delete(grantId);
    return ok;
  }

  forget(grantId: string): void {
    this.active.delete(grantId);
  }
}

const VERIFIED_CACHE_MAX = 10_000;

const BEARER = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)\s*$/i;

export function createAuthenticate(tokens: TokenService, grants: GrantStatusCache, now: () => Date) {
  // Signature checks cost ~0.5 ms with WebCrypto; a token verified once is remembered until it expires
  // (in memory only). Revocation is still checked on every request through the grant cache.
  const verified = new Map<string, SmartPrincipal>();
  /**
   * The principal of a token verified before, unexpired, whose grant was confirmed active a moment ago — without a
   * database read or an await; undefined sends the caller to authenticate().
   */
  function recentPrincipal(authorizationHeader: string | undefined): SmartPrincipal | undefined {
    const m = authorizationHeader ? BEARER.exec(authorizationHeader) : null;
    const p = m ? verified.get(m[1]) : undefined;
    if (!p || p.expiresAt <= Math.floor(now().getTime() / 1000) || !grants.recentlyActive(p.grantId)) return undefined;
    return p;
  }
  async function authenticate(authorizationHeader: string | undefined): Promise<SmartPrincipal> {
    if (!authorizationHeader) throw new FhirError('unauthorized', 'no bearer token');
    const m = BEARER.exec(authorizationHeader);
    if (!m) throw new FhirError('unauthorized', 'Authorization must be a Bearer token');
    const seconds = Math.floor(now().getTime() / 1000);
    const cached = verified.get(m[1]);
    if (cached) {
      if (cached.expiresAt <= seconds) {
        verified.delete(m[1]);
        throw new FhirError('unauthorized', 'access token expired');
      }
      if (!grants.recentlyActive(cached.grantId) && !(await grants.isActive(cached.grantId))) throw new FhirError('unauthorized', 'access token revoked');
      return cached;
    }
    let claims;
    try {
      claims = await tokens.verifyAccessToken(m[1]);
    } catch (err) {
      throw new FhirError('unauthorized', err instanceof TokenError ? err.message : 'access token invalid');
    }
    if (!(await grants.isActive(claims.gid))) throw new FhirError('unauthorized', 'access token revoked');
    const scopes = splitScopes(claims.scope);
    const fhirUser = claims.fhirUser?.startsWith(`${tokens.fhirBase}/`) ? claims.fhirUser.slice(tokens.fhirBase.length + 1) : claims.fhirUser;
    const patientUser = fhirUser?.startsWith('Patient/') ? fhirUser.slice(8) : undefined;
    const kind = claims.grant_type === 'client_credentials' ? 'system' : patientUser !== undefined ? 'patient' : isPatientOnly(scopes, claims.patient) ? 'patient' : 'user';
    const principal: SmartPrincipal = {
      kind,
      clientId: claims.client_id,
      patient: patientUser ?? claims.patient,
      fhirUser,
      scopes,
      resourceScopes: scopes.map(parseResourceScope).filter((s): s is ResourceScope => s !== undefined),
      subject: claims.sub as string,
      encounter: claims.encounter,
      grantId: claims.gid,
      tokenId: claims.jti as string,
      expiresAt: claims.exp as number,
    };
    if (verified.size >= VERIFIED_CACHE_MAX) {
      for (const [k, p] of verified) if (p.expiresAt <= seconds) verified.delete(k);
      if (verified.size >= VERIFIED_CACHE_MAX) verified.clear();
    }
    verified.set(m[1], principal);
    return principal;
  }
  return { authenticate, cached: recentPrincipal };
}

function isPatientOnly(scopes: readonly string[], patient: string | undefined): boolean {
  if (patient === undefined) return false;
  return !scopes.some((s) => {
    const p = parseResourceScope(s);
    return p !== undefined && p.context !== 'patient';
  });
}
