// The whole URL table of the server (SPEC §4). FHIR paths below /fhir go through the interaction table.
import express, { type Express, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditEntry, FhirContext, Principal, ResourceValidator } from '../fhir/context.ts';
import type { Interaction } from '../fhir/interaction-table.ts';
import { dispatch } from '../fhir/dispatch.ts';
import type { ResourceStore } from '../store/resource-store.ts';
import type { SearchEngine } from '../search/engine.ts';
import { createErrorHandler } from './error-handler.ts';
import { sendFhir, toFhirRequest } from './fhir-io.ts';
import { Metrics, type Gauge } from './metrics.ts';

export interface RouteDeps {
  log: Logger;
  store: ResourceStore;
  search: SearchEngine;
  table: readonly Interaction[];
  baseUrl: string;
  now: () => Date;
  bodyLimitBytes: number;
  frameAncestors: string;
  validator?: ResourceValidator;
  /** Resolves the caller (synchronously for a recently verified token); absent means AUTH=off (full access). */
  authenticate?: (req: Request) => Principal | Promise<Principal>;
  /** Audit trail of FHIR interactions (AUTH=smart). */
  audit?: (entry: AuditEntry) => void;
  /** Extra routers mounted before /fhir (auth server, CDS Hooks, the app). */
  mounts?: { path: string; router: express.RequestHandler }[];
  ready: () => Promise<boolean>;
  gauges?: () => Gauge[];
}

const FULL_ACCESS: Principal = { kind: 'system', clientId: 'auth-off', unrestricted: true };
const REQUEST_ID = /^[A-Za-z0-9\-._]{1,64}$/;

export function mountRoutes(app: Express, deps: RouteDeps): void {
  const metrics = new Metrics();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((req, res, next) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Content-Security-Policy', `frame-ancestors ${deps.frameAncestors}`);
    const started = process.hrtime.bigint();
    res.on('finish', () => metrics.observe(req.method, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ok = await deps.ready().catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable' });
  });
  app.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4').send(metrics.render(deps.gauges?.() ?? []));
  });
  for (const m of deps.mounts ?? []) app.use(m.path, m.router);

  const fhir = express.Router();
  const text = express.text({ type: () => true, limit: deps.bodyLimitBytes });
  // GET and HEAD carry no body here: they skip the body parser.
  fhir.use((req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? next() : text(req, res, next)));
  fhir.use(async (req: Request, res: Response) => {
    const requestId = String(res.getHeader('X-Request-Id'));
    // The CapabilityStatement is public (SMART App Launch: clients read it before they have a token).
    const isMetadata = req.path === '/metadata' && req.method === 'GET';
    if (isMetadata) res.setHeader('Access-Control-Allow-Origin', '*');
    const found = deps.authenticate && !isMetadata ? deps.authenticate(req) : FULL_ACCESS;
    const principal = found instanceof Promise ? await found : found;
    let log: Logger | undefined;
    const ctx: FhirContext = {
      requestId,
      // A child logger costs an allocation per request; most requests never log, so it is made on first use.
      get log() {
        return (log ??= deps.log.child({ requestId }));
      },
      store: deps.store,
      search: deps.search,
      baseUrl: deps.baseUrl,
      now: deps.now,
      principal,
      validator: deps.validator,
      audit: deps.authenticate && !isMetadata ? deps.audit : undefined,
    };
    const fr = toFhirRequest(req);
    const response = await dispatch(ctx, deps.table, fr);
    sendFhir(res, response, fr.query);
  });
  app.use('/fhir', fhir);
  app.use((_req, res) => {
    res.status(404).type('application/fhir+json').send(
      JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'No such endpoint' }] }),
    );
  });
  app.use(createErrorHandler(deps.log));
}
