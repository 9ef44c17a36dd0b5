// /auth/token: authorization_code, refresh_token (rotated) and client_credentials grants
// (RFC 6749 §4–6, SMART app-launch and backend-services token responses).
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { randomToken, type AuthStore } from './auth-store.ts';
import type { AuditHook } from './audit-hook.ts';
import type { ClientAuthenticator } from './client-auth.ts';
import type { ClientRegistration } from './clients.ts';
import { ONLINE_SESSION_SECONDS } from './authorize.ts';
import type { Grant } from './grant.ts';
import { OAuthError, sendOAuthError, setNoStore } from './oauth-error.ts';
import { isValidVerifier } from './pkce.ts';
import { grantScopes, isScopeSubset, parseResourceScope, splitScopes } from './scopes.ts';
import type { TokenService } from './tokens.ts';

export interface TokenLifetimes {
  /** Access tokens of users and apps (Inferno: ≤ 1 h). */
  readonly accessSeconds: number;
  /** Backend services access tokens (spec: should not exceed 300 s). */
  readonly backendSeconds: number;
  readonly offlineRefreshSeconds: number;
}

export const DEFAULT_LIFETIMES: TokenLifetimes = { accessSeconds: 900, backendSeconds: 300, offlineRefreshSeconds: 90 * 86_400 };

export interface TokenDeps {
  readonly store: AuthStore;
  readonly clients: ClientAuthenticator;
  readonly tokens: TokenService;
  readonly lifetimes: TokenLifetimes;
  readonly log: Logger;
  readonly now: () => Date;
  /** Called when a grant is revoked here (replay detection), so token caches drop it. */
  readonly onRevoke: (grantId: string) => void;
  readonly audit: AuditHook;
  /** Called on every token request; does its own throttling. */
  readonly housekeeping: () => void;
}

export function createTokenHandler(deps: TokenDeps) {
  const seconds = () => Math.floor(deps.now().getTime() / 1000);

  async function respond(res: Response, grant: Grant, scopes: readonly string[], withIdToken: boolean): Promise<void> {
    const lifetime = deps.lifetimes.accessSeconds;
    const { token } = await deps.tokens.issueAccessToken(
      { grantId: grant.id, clientId: grant.clientId, scopes, context: grant.context, sub: grant.user?.sub ?? grant.clientId, fhirUser: grant.user?.fhirUser },
      lifetime,
    );
    const body: Record<string, unknown> = { access_token: token, token_type: 'Bearer', expires_in: lifetime, scope: scopes.join(' '), ...grant.context };
    if (grant.user && withIdToken && scopes.includes('openid')) {
      body.id_token = await deps.tokens.issueIdToken({
        sub: grant.user.sub,
        clientId: grant.clientId,
        fhirUser: scopes.includes('fhirUser') ? grant.user.fhirUser : undefined,
        nonce: grant.nonce,
        authTime: grant.authTime,
      });
    }
    if (grant.refresh !== 'none') {
      const expiresAt = grant.refresh === 'offline' ? seconds() + deps.lifetimes.offlineRefreshSeconds : grant.authTime + ONLINE_SESSION_SECONDS;
      body.refresh_token = await deps.store.createRefreshToken(grant.id, expiresAt);
    }
    setNoStore(res);
    res.status(200).json(body);
    deps.audit({
      kind: 'token',
      who: { clientId: grant.clientId, user: grant.user?.fhirUser, subject: grant.user?.sub },
      patient: grant.context.patient,
      outcome: 'success',
      outcomeDesc: `issued for scope ${scopes.join(' ')}`.slice(0, 1000),
      action: 'E',
    });
  }

  async function revokeReplayed(grantId: string, what: string, clientId: string): Promise<never> {
    await deps.store.revokeGrant(grantId);
    deps.onRevoke(grantId);
    deps.audit({ kind: 'security-alert', who: { clientId }, outcome: 'serious-failure', outcomeDesc: `${what} replayed; grant revoked`, action: 'E' });
    deps.log.warn({ event: 'auth.replay', grantId }, `${what} replayed: grant revoked`);
    throw new OAuthError('invalid_grant', `${what} was already used`);
  }

  async function authorizationCode(body: Record<string, string>, client: ClientRegistration, res: Response): Promise<void> {
    if (!body.code) throw new OAuthError('invalid_request', 'code is required');
    const used = await deps.store.useCode(body.code);
    if (used.status === 'unknown') throw new OAuthError('invalid_grant', 'code is invalid or expired');
    if (used.status === 'replayed') return revokeReplayed(used.grantId, 'authorization code', client.client_id);
    const grant = await deps.store.getGrant(used.value);
    if (!grant || grant.clientId !== client.client_id) throw new OAuthError('invalid_grant', 'code was not issued to this client');
    if (body.redirect_uri !== grant.redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
    if (!grant.codeChallenge || !isValidVerifier(body.code_verifier, grant.codeChallenge)) {
      // A failed PKCE check burns the code and what it could have issued.
      await deps.store.revokeGrant(grant.id);
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
    }
    deps.log.info({ event: 'auth.token-issued', grant: 'authorization_code', clientId: client.client_id, grantId: grant.id }, 'token issued');
    await respond(res, grant, grant.scopes, true);
  }

  async function refreshToken(body: Record<string, string>, client: ClientRegistration, res: Response): Promise<void> {
    if (!body.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required');
    const used = await deps.store.useRefreshToken(body.refresh_token);
    if (used.status === 'unknown') throw new OAuthError('invalid_grant', 'refresh_token is invalid or expired');
    if (used.status === 'replayed') return revokeReplayed(used.grantId, 'refresh token', client.client_id);
    const grant = await deps.store.getGrant(used.value);
    if (!grant) throw new OAuthError('invalid_grant', 'refresh_token was revoked');
    if (grant.clientId !== client.client_id) throw new OAuthError('invalid_grant', 'refresh_token was not issued to this client');
    let scopes = grant.scopes;
    if (body.scope !== undefined) {
      const asked = splitScopes(body.scope);
      if (!isScopeSubset(asked, grant.scopes)) throw new OAuthError('invalid_scope', 'scope must not exceed the original grant');
      scopes = asked;
    }
    deps.log.info({ event: 'auth.token-issued', grant: 'refresh_token', clientId: client.client_id, grantId: grant.id }, 'token refreshed');
    await respond(res, grant, scopes, scopes.includes('openid'));
  }

  async function clientCredentials(body: Record<string, string>, client: ClientRegistration, method: string, res: Response): Promise<void> {
    if (method !== 'private_key_jwt') throw new OAuthError('invalid_client', 'client_credentials requires private_key_jwt');
    const registered = splitScopes(client.scope).filter((s) => parseResourceScope(s)?.context === 'system');
    const scopes = grantScopes(splitScopes(body.scope), registered);
    if (scopes.length === 0) throw new OAuthError('invalid_scope', 'no requested system scope is allowed for this client');
    const grant: Grant = { id: randomToken(16), clientId: client.client_id, scopes, context: {}, refresh: 'none', authTime: seconds() };
    await deps.store.saveGrant(grant, seconds() + deps.lifetimes.backendSeconds);
    deps.log.info({ event: 'auth.token-issued', grant: 'client_credentials', clientId: client.client_id, grantId: grant.id }, 'token issued');
    const { token } = await deps.tokens.issueAccessToken({ grantId: grant.id, clientId: client.client_id, scopes, context: {}, sub: client.client_id, system: true }, deps.lifetimes.backendSeconds);
    setNoStore(res);
    res.status(200).json({ access_token: token, token_type: 'bearer', expires_in: deps.lifetimes.backendSeconds, scope: scopes.join(' ') });
    deps.audit({ kind: 'token', who: { clientId: client.client_id }, outcome: 'success', outcomeDesc: `issued for scope ${scopes.join(' ')}`.slice(0, 1000), action: 'E' });
  }

  return async function token(req: Request, res: Response): Promise<void> {
    deps.housekeeping();
    // Who asked, for the refusal's AuditEvent: the authenticated client, else the client_id it claimed.
    let asker: { clientId?: string; authenticated: boolean } = { authenticated: false };
    try {
      if (!req.is('application/x-www-form-urlencoded')) throw new OAuthError('invalid_request', 'body must be application/x-www-form-urlencoded');
      const body = Object.fromEntries(Object.entries((req.body ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      const grantType = body.grant_type;
      if (grantType !== 'authorization_code' && grantType !== 'refresh_token' && grantType !== 'client_credentials') {
        throw new OAuthError(grantType ? 'unsupported_grant_type' : 'invalid_request', grantType ? 'unsupported grant_type' : 'grant_type is required');
      }
      asker = { clientId: typeof body.client_id === 'string' ? body.client_id.slice(0, 200) : undefined, authenticated: false };
      const { client, method } = await deps.clients.authenticate(body, req.get('Authorization'));
      asker = { clientId: client.client_id, authenticated: true };
      if (grantType === 'client_credentials') return await clientCredentials(body, client, method, res);
      if (client.type === 'backend') throw new OAuthError('unauthorized_client', 'backend clients use client_credentials');
      if (grantType === 'authorization_code') return await authorizationCode(body, client, res);
      return await refreshToken(body, client, res);
    } catch (err) {
      if (err instanceof OAuthError) {
        deps.audit({
          kind: 'token',
          who: { clientId: asker.clientId },
          outcome: 'minor-failure',
          outcomeDesc: `refused: ${err.error}${asker.authenticated || asker.clientId === undefined ? '' : ' (client not authenticated)'}`,
          action: 'E',
        });
        return sendOAuthError(res, err);
      }
      throw err;
    }
  };
}
