// The composition root: from config and a driver to a ready Express app with every part wired.
// main.ts and the end-to-end tests build the server the same way.
import type { Express, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { SqlDriver } from './store/driver.ts';
import { migrate, CORE_MIGRATIONS } from './store/migrations.ts';
import { ResourceStore } from './store/resource-store.ts';
import { createSearch } from './search/select.ts';
import { poolSearches } from './search/pool.ts';
import { createApp } from './app.ts';
import { AuditSink, createAuthServer, type AuthServer, type ClientRegistration } from './auth/index.ts';
import type { AuditEntry } from './fhir/context.ts';
import { seedDemoData } from './demo/seed.ts';
import { createAuditWriter } from './audit/writer.ts';
import { addPatients, storeAuditEvents, toEvents, type AuditItem } from './audit/items.ts';
import { queuedItems } from './audit/queue.ts';
import path from 'node:path';
import { loadKnowledgeBase } from './clinical/index.ts';
import { clinicalOperations } from './fhir/operations/clinical.ts';
import { loadPatientRecord } from './fhir/operations/patient-record.ts';
import { cdsRouter } from './http/cds-routes.ts';
import { fhirCors } from './http/cors.ts';
import { createEhrJwtVerifier, parseTrustedEhrs } from './cds/index.ts';
import type { FhirContext } from './fhir/context.ts';
import { FhirError } from './fhir/errors.ts';
import { requireAccess } from './fhir/access.ts';
import { createValidator } from './validation/validator.ts';
import { validateOperation } from './fhir/operations/validate.ts';
import { publishConformance } from './fhir/conformance.ts';
import fs from 'node:fs';

/** The knowledge base ships with the server in knowledge/; KNOWLEDGE_DIR overrides it. */
const DEFAULT_KB_DIR = path.resolve(import.meta.dirname, '../knowledge');
const PROFILES_DIR = path.resolve(import.meta.dirname, '../profiles');

export interface Composed {
  app: Express;
  store: ResourceStore;
  auth: AuthServer;
  /** Stores every audit item so far as AuditEvents (buffered and queued alike), whatever the load. */
  flushAudit(): Promise<void>;
  /** Flushes the audit trail; call after the HTTP server has drained. */
  close(): Promise<void>;
}

/** The authorization server answers /auth/* and the .well-known documents; other requests skip its route table. */
function onlyAuthPaths(router: RequestHandler): RequestHandler {
  return (req, res, next) => (req.path.startsWith('/auth') || req.path.includes('/.well-known/') ? router(req, res, next) : next());
}

export interface ComposeDeps {
  config: Config;
  driver: SqlDriver;
  log: Logger;
  now?: () => Date;
  /** Registered SMART clients; default: the SMART_CLIENTS file (or the demo file when DEMO=1). */
  clients?: readonly ClientRegistration[];
}

export async function composeServer(deps: ComposeDeps): Promise<Composed> {
  const { config, driver, log } = deps;
  const now = deps.now ?? (() => new Date());
  const search = await createSearch({ baseUrl: `${config.publicBaseUrl}/fhir`, now });
  await migrate(driver, [...CORE_MIGRATIONS, ...search.migrations], (name) => log.info({ migration: name }, 'applying migration'));
  const store = ResourceStore.open(driver, search.indexHook);
  // Searches on the server's own store run on reader threads when the database is a SQLite file.
  const searches = poolSearches(search, { root: store, location: driver.location, baseUrl: `${config.publicBaseUrl}/fhir`, size: config.searchReaders, log });
  const validator = await createValidator();
  const opDefs = fs
    .readdirSync(PROFILES_DIR)
    .filter((f) => f.startsWith('OperationDefinition-') && f.endsWith('.json'))
    .map((f) => JSON.parse(fs.readFileSync(path.join(PROFILES_DIR, f), 'utf8')) as Record<string, unknown>);
  const published = await publishConformance(
    store,
    [...(validator.conformanceResources() as unknown as Record<string, unknown>[]), ...opDefs],
    now().toISOString(),
  );
  if (published > 0) log.info({ resources: published }, 'published conformance resources');
  if (config.demo) {
    const seeded = await seedDemoData(store, now);
    if (seeded > 0) log.info({ resources: seeded }, 'seeded demo data');
  }
  // AuditEvents are queued, stored and indexed by a writer thread with its own connection, off the request thread.
  const auditWriter = createAuditWriter({
    location: driver.location,
    baseUrl: `${config.publicBaseUrl}/fhir`,
    inline: async (items) => storeAuditEvents(store, toEvents(await addPatients(driver, items, `${config.publicBaseUrl}/fhir`)), now().toISOString()),
    log,
    maxLagMs: config.auditMaxLagMs,
  });
  if ((await queuedItems(driver)) > 0) auditWriter.resume();
  const auditSink = new AuditSink<AuditItem>({
    write: (items) => auditWriter.write(items),
    // Larger batches cost less per event (a commit writes each touched page once); the writer thread commits them
    // in transactions of at most 500, which on SQLite holds the write lock for a few tens of milliseconds at most.
    maxEvents: 500,
    intervalMs: 1000,
    log,
  });
  const auth = await createAuthServer({
    config,
    driver,
    log,
    now,
    clients: deps.clients,
    onAudit: (event) => auditSink.add({ event }),
    listPatients: async () => {
      const rows = await driver.query<{ id: string; content: string }>(
        "SELECT id, content FROM resources WHERE type = 'Patient' AND deleted = 0 ORDER BY id LIMIT 50",
      );
      return rows.map((r) => {
        const p = JSON.parse(r.content) as fhir4.Patient;
        const name = p.name?.[0];
        return { id: r.id, label: [name?.given?.join(' '), name?.family].filter(Boolean).join(' ') || r.id };
      });
    },
  });
  const audit = (entry: AuditEntry) => {
    const p = entry.principal as { kind: string; clientId?: string; fhirUser?: string; patient?: string; subject?: string };
    auditSink.add({
      input: {
        // A backend service's subject is its client id: it is recorded once, as the requesting application.
        who: { clientId: p.clientId, user: p.fhirUser, subject: p.kind === 'system' ? undefined : p.subject },
        what: entry.what,
        version: entry.version,
        query: entry.query,
        patient: p.patient ?? (entry.what?.startsWith('Patient/') ? entry.what.split('/')[1] : undefined),
        outcome: entry.status,
        action: entry.interaction,
        recorded: now(),
        requestId: entry.requestId,
      },
    });
  };
  const kb = loadKnowledgeBase(config.knowledgeDir ?? DEFAULT_KB_DIR);
  const smart = config.auth === 'smart';
  // CDS Hooks read missing prefetch as the caller: with AUTH=smart only through a valid token, within its scopes.
  const cdsCtx = async (accessToken: string | undefined): Promise<FhirContext> => ({
    requestId: 'cds',
    log,
    store,
    search: searches,
    baseUrl: `${config.publicBaseUrl}/fhir`,
    now,
    principal: smart
      ? await auth.authenticate(accessToken ? `Bearer ${accessToken}` : undefined)
      : { kind: 'system', clientId: 'auth-off', unrestricted: true },
  });
  const cds = cdsRouter({
    kb,
    log,
    now,
    publicBaseUrl: config.publicBaseUrl,
    verifyEhr: config.cdsTrustedEhrs
      ? createEhrJwtVerifier(parseTrustedEhrs(JSON.parse(fs.readFileSync(config.cdsTrustedEhrs, 'utf8'))), now)
      : undefined,
    loadRecord: async (patientId, accessToken) => {
      const ctx = await cdsCtx(accessToken);
      const record = await loadPatientRecord(ctx, patientId, { observationCodes: kb.observedLoinc }).catch((err) => {
        if (err instanceof FhirError && err.kind === 'not-found') return undefined;
        throw err;
      });
      if (record && !ctx.principal.unrestricted) requireAccess(ctx, { interaction: 'read', type: 'Patient', id: patientId, resource: record.patient });
      return record;
    },
  });
  const app = createApp({
    config,
    store,
    search: searches,
    log,
    now,
    operations: [validateOperation(validator), ...clinicalOperations(kb)],
    validator,
    mounts: [
      { path: '/', router: onlyAuthPaths(auth.router as unknown as RequestHandler) },
      { path: '/cds-services', router: cds as unknown as RequestHandler },
      { path: '/fhir', router: fhirCors((origin) => auth.isRegisteredOrigin(origin)) },
    ],
    authenticate: smart
      ? (req) => {
          const header = req.get('authorization');
          return auth.cachedPrincipal(header) ?? auth.authenticate(header);
        }
      : undefined,
    audit: smart ? audit : undefined,
    ready: async () => {
      await driver.query('SELECT 1');
      return true;
    },
    gauges: () => [
      { name: 'titrate_audit_buffered_items', help: 'Audit items buffered in memory, not yet queued', value: auditSink.pending },
      { name: 'titrate_audit_queued_items', help: 'Audit items queued durably, not yet stored as AuditEvents', value: auditWriter.queued },
      { name: 'titrate_search_readers_ready', help: 'Search reader threads ready to take searches', value: searches.readyReaders },
      { name: 'titrate_search_reader_searches', help: 'Searches answered on reader threads since start', value: searches.searchedOnReaders },
    ],
  });
  return {
    app,
    store,
    auth,
    flushAudit: async () => {
      await auditSink.flush();
      await auditWriter.drain();
    },
    close: async () => {
      await searches.close();
      await auditSink.close();
      await auditWriter.close();
    },
  };
}
