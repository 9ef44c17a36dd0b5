// createApp(deps): builds the Express application from its dependencies. No I/O at import, no singletons.
import express, { type Express, type Request } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { AuditEntry, Principal, ResourceValidator } from './fhir/context.ts';
import type { ResourceStore } from './store/resource-store.ts';
import type { SearchEngine } from './search/engine.ts';
import type { OperationDef } from './fhir/operations/registry.ts';
import { buildInteractionTable, type Interaction } from './fhir/interaction-table.ts';
import { createBundleHandler } from './fhir/bundle.ts';
import { createCapabilitiesHandler } from './fhir/capability.ts';
import { mountRoutes } from './http/routes.ts';
import type { Gauge } from './http/metrics.ts';

export interface AppDeps {
  config: Config;
  store: ResourceStore;
  search: SearchEngine;
  log: Logger;
  now?: () => Date;
  validator?: ResourceValidator & { profileUrls?(type: string): string[] };
  operations?: OperationDef[];
  authenticate?: (req: Request) => Principal | Promise<Principal>;
  audit?: (entry: AuditEntry) => void;
  mounts?: { path: string; router: express.RequestHandler }[];
  ready?: () => Promise<boolean>;
  /** Extra gauges for /metrics, read at each scrape. */
  gauges?: () => Gauge[];
}

export const SOFTWARE = { name: 'Titrate', version: '0.1.0' };

export function createApp(deps: AppDeps): Express {
  const app = express();
  const now = deps.now ?? (() => new Date());
  const operations = deps.operations ?? [];
  let table: Interaction[] = [];
  const capabilities = createCapabilitiesHandler({
    table: () => table,
    operations,
    search: deps.search,
    profiles: deps.validator?.profileUrls ? (t) => deps.validator!.profileUrls!(t) : undefined,
    software: SOFTWARE,
    smart: deps.config.auth === 'smart',
    publicBaseUrl: deps.config.publicBaseUrl,
  });
  table = buildInteractionTable({ operations, capabilities, bundle: createBundleHandler(() => table) });
  mountRoutes(app, {
    log: deps.log,
    store: deps.store,
    search: deps.search,
    table,
    baseUrl: `${deps.config.publicBaseUrl}/fhir`,
    now,
    bodyLimitBytes: deps.config.bodyLimitBytes,
    frameAncestors: deps.config.frameAncestors,
    validator: deps.validator,
    authenticate: deps.authenticate,
    audit: deps.audit,
    mounts: deps.mounts,
    ready: deps.ready ?? (async () => true),
    gauges: deps.gauges,
  });
  return app;
}
