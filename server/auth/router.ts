// The authorization server's URL table (SPEC §4): discovery, authorize, token, introspect, revoke, jwks, launch.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { openCors, rateLimit, registeredCors, securityHeaders, type RateLimitOptions } from './hardening.ts';
import { openidConfiguration, smartConfiguration, SMART_STYLE, type Endpoints } from './discovery.ts';
import type { ClientRegistry } from './clients.ts';
import type { createAuthorizeHandlers } from './authorize.ts';
import type { createIntrospectionHandlers } from './introspection.ts';
import type { KeyRing } from './keys.ts';

type Handler = (req: Request, res: Response) => Promise<void>;

export interface RouterParts {
  readonly endpoints: Endpoints;
  readonly registry: ClientRegistry;
  readonly keys: KeyRing;
  readonly authorize: ReturnType<typeof createAuthorizeHandlers>;
  readonly token: Handler;
  readonly introspection: ReturnType<typeof createIntrospectionHandlers>;
  /** Present only when DEMO=1. */
  readonly launch?: Handler;
  readonly rateLimit: RateLimitOptions;
  readonly frameAncestors: string;
  readonly log: Logger;
}

export function buildAuthRouter(p: RouterParts): express.Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 });
  const json = express.json({ limit: '16kb' });
  const cors = registeredCors(p.registry.isRegisteredOrigin);
  const smart = smartConfiguration(p.endpoints);
  const openid = openidConfiguration(p.endpoints);
  const sendJson = (body: unknown, cache = 'public, max-age=300') => (_req: Request, res: Response) => {
    res.set('Cache-Control', cache);
    res.type('application/json').send(JSON.stringify(body));
  };

  for (const base of ['', '/fhir']) {
    router.all(`${base}/.well-known/smart-configuration`, openCors());
    router.get(`${base}/.well-known/smart-configuration`, sendJson(smart));
    router.all(`${base}/.well-known/openid-configuration`, openCors());
    router.get(`${base}/.well-known/openid-configuration`, sendJson(openid));
  }

  router.use('/auth', securityHeaders({ frameAncestors: p.frameAncestors, https: p.endpoints.issuer.startsWith('https:') }));
  router.all('/auth/jwks', openCors());
  // Short cache so rotated keys are picked up (ONC: JWKS not cached beyond its Cache-Control).
  router.get('/auth/jwks', (_req, res) => sendJson(p.keys.jwks(), 'public, max-age=300')(_req, res));
  router.all('/auth/smart-style.json', openCors());
  router.get('/auth/smart-style.json', sendJson(SMART_STYLE, 'public, max-age=86400'));

  router.use('/auth', rateLimit(p.rateLimit));
  router.get('/auth/authorize', p.authorize.authorize);
  router.post('/auth/authorize', form, p.authorize.authorize);
  router.post(p.authorize.LOGIN_PATH, form, p.authorize.login);
  router.post(p.authorize.CONSENT_PATH, form, p.authorize.consent);
  router.options('/auth/token', cors);
  router.post('/auth/token', cors, form, p.token);
  router.options('/auth/introspect', cors);
  router.post('/auth/introspect', cors, form, p.introspection.introspect);
  router.options('/auth/revoke', cors);
  router.post('/auth/revoke', cors, form, p.introspection.revoke);
  if (p.launch) router.post('/auth/launch', json, p.launch);

  // Errors under /auth answer in OAuth's shape, not as OperationOutcomes; causes are logged, never sent.
  router.use('/auth', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    res.set('Cache-Control', 'no-store');
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: 'invalid_request', error_description: 'malformed request' });
      return;
    }
    p.log.error({ event: 'auth.error', err: (err as Error).message }, 'authorization server error');
    res.status(500).json({ error: 'server_error' });
  });
  return router;
}
