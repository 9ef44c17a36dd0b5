// /auth/introspect (RFC 7662, SMART token-introspection) and /auth/revoke (RFC 7009).
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { AuthStore } from './auth-store.ts';
import type { ClientAuthenticator } from './client-auth.ts';
import { OAuthError, sendOAuthError, setNoStore } from './oauth-error.ts';
import type { GrantStatusCache } from './principal.ts';
import type { TokenService } from './tokens.ts';

export interface IntrospectionDeps {
  readonly store: AuthStore;
  readonly tokens: TokenService;
  readonly clients: ClientAuthenticator;
  readonly grants: GrantStatusCache;
  readonly authenticateBearer: (header: string) => Promise<unknown>;
  readonly log: Logger;
}

type Found = { grantId: string; clientId: string; body: Record<string, unknown> };

function formBody(req: Request): Record<string, string> {
  return Object.fromEntries(Object.entries((req.body ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

export function createIntrospectionHandlers(deps: IntrospectionDeps) {
  /** An active access or refresh token, or undefined. */
  async function find(token: string): Promise<Found | undefined> {
    if (token.split('.').length === 3) {
      try {
        const c = await deps.tokens.verifyAccessToken(token);
        if (!(await deps.grants.isActive(c.gid))) return undefined;
        const body: Record<string, unknown> = {
          active: true,
          scope: c.scope,
          client_id: c.client_id,
          exp: c.exp,
          iat: c.iat,
          sub: c.sub,
          iss: c.iss,
          aud: c.aud,
          token_type: 'Bearer',
        };
        for (const k of ['patient', 'encounter', 'fhirContext', 'intent', 'tenant', 'fhirUser'] as const) if (c[k] !== undefined) body[k] = c[k];
        return { grantId: c.gid, clientId: c.client_id, body };
      } catch {
        return undefined;
      }
    }
    const refresh = await deps.store.peekRefreshToken(token);
    const grant = refresh && (await deps.store.getGrant(refresh.grantId));
    if (!refresh || !grant) return undefined;
    const body: Record<string, unknown> = { active: true, scope: grant.scopes.join(' '), client_id: grant.clientId, exp: refresh.expiresAt, iss: deps.tokens.issuer };
    if (grant.user) {
      body.sub = grant.user.sub;
      body.fhirUser = deps.tokens.absoluteFhirUser(grant.user.fhirUser);
    }
    for (const k of ['patient', 'encounter', 'fhirContext', 'intent', 'tenant'] as const) if (grant.context[k] !== undefined) body[k] = grant.context[k];
    return { grantId: grant.id, clientId: grant.clientId, body };
  }

  async function introspect(req: Request, res: Response): Promise<void> {
    setNoStore(res);
    const body = formBody(req);
    const auth = req.get('Authorization');
    // Open endpoint; a caller that does present credentials must present valid ones.
    try {
      if (auth?.toLowerCase().startsWith('bearer ')) await deps.authenticateBearer(auth);
      else if (auth || body.client_assertion || body.client_secret) await deps.clients.authenticate(body, auth);
    } catch {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      res.status(401).json({ error: 'invalid_client', error_description: 'caller authentication failed' });
      return;
    }
    const found = body.token ? await find(body.token) : undefined;
    // RFC 7662 §2.2: an inactive token yields `active:false` and nothing else.
    res.status(200).json(found ? found.body : { active: false });
  }

  async function revoke(req: Request, res: Response): Promise<void> {
    try {
      const body = formBody(req);
      const { client } = await deps.clients.authenticate(body, req.get('Authorization'));
      if (!body.token) throw new OAuthError('invalid_request', 'token is required');
      const found = await find(body.token);
      if (found) {
        if (found.clientId !== client.client_id) throw new OAuthError('unauthorized_client', 'token was issued to another client');
        await deps.store.revokeGrant(found.grantId);
        deps.grants.forget(found.grantId);
        deps.log.info({ event: 'auth.revoked', clientId: client.client_id, grantId: found.grantId }, 'grant revoked');
      }
      setNoStore(res);
      // RFC 7009 §2.2: 200 whether or not the token was valid.
      res.status(200).end();
    } catch (err) {
      if (err instanceof OAuthError) return sendOAuthError(res, err);
      throw err;
    }
  }

  return { introspect, revoke };
}
