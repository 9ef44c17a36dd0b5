// SMART on FHIR authorization server and request authorization: the one entry point of server/auth.
import type express from 'express';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Principal } from '../fhir/context.ts';
import type { SqlDriver } from '../store/driver.ts';
import { migrate, type Migration } from '../store/migrations.ts';
import { authorize, type AccessDecision, type AccessRequest } from './access.ts';
import { AuthStore } from './auth-store.ts';
import { createAuthorizeHandlers } from './authorize.ts';
import { ClientAuthenticator } from './client-auth.ts';
import { createClientRegistry, DEMO_CLIENTS_FILE, loadClientsFile, type ClientRegistration } from './clients.ts';
import { endpointsFor } from './discovery.ts';
import { createIntrospectionHandlers } from './introspection.ts';
import { KeyRing, readSigningKeysFile } from './keys.ts';
import { createLaunchHandler } from './launch.ts';
import { AUTH_MIGRATIONS } from './migrations.ts';
import { createAuthenticate, GrantStatusCache, type SmartPrincipal } from './principal.ts';
import { buildAuthRouter } from './router.ts';
import { createTokenHandler, DEFAULT_LIFETIMES, type TokenLifetimes } from './token.ts';
import { TokenService } from './tokens.ts';
import { createDemoAuthenticator, DEMO_USERS, type PatientChoice, type UserAuthenticator } from './users.ts';
import type { RateLimitOptions } from './hardening.ts';
import { createAuditHook, createThrottledTask } from './audit-hook.ts';

export type { AccessDecision, AccessRequest, Interaction, Restriction } from './access.ts';
export type { SmartPrincipal } from './principal.ts';
export type { ClientRegistration } from './clients.ts';
export type { UserAuthenticator, PatientChoice } from './users.ts';
export type { AuditInput } from './audit-event.ts';
export { isSmartPrincipal } from './principal.ts';
export { isInPatientCompartment, isPatientReference, patientCompartmentParams, patientReferencePaths, PATIENT_COMPARTMENT_TYPES } from './compartment.ts';
export { resourceMatchesFilters } from './scope-filter.ts';
export { buildAuditEvent } from './audit-event.ts';
export { AuditSink, type AuditSinkOptions } from './audit-sink.ts';
export { parseResourceScope, grantScopes } from './scopes.ts';
export { AUTH_MIGRATIONS } from './migrations.ts';

export interface AuthServer {
  /** Mount at '/' before the FHIR router (it serves /fhir/.well-known/smart-configuration). */
  readonly router: express.Router;
  readonly migrations: Migration[];
  /** Bearer header → principal; throws FhirError('unauthorized') with a reason. */
  authenticate(authorizationHeader: string | undefined): Promise<SmartPrincipal>;
  /** The principal of a recently verified, unexpired, active token, synchronously; undefined → use authenticate(). */
  cachedPrincipal(authorizationHeader: string | undefined): SmartPrincipal | undefined;
  authorize(principal: Principal, access: AccessRequest): AccessDecision;
  /** Adds a signing key (the newest signs; older ones stay in the JWKS until retired). */
  rotateSigningKey(): Promise<string>;
  /** Whether a browser Origin belongs to a registered client (CORS on the FHIR API). */
  isRegisteredOrigin(origin: string): boolean;
  /** Drops expired launches, codes, pending sign-ins and refresh tokens. */
  purgeExpired(): Promise<void>;
}

export interface AuthServerDeps {
  readonly config: Config;
  readonly driver: SqlDriver;
  readonly log: Logger;
  readonly now?: () => Date;
  /** Registered clients; default: the SMART_CLIENTS file, or the demo file when DEMO=1. */
  readonly clients?: readonly ClientRegistration[];
  /** Private RSA JWKs that sign tokens; default: generated once and kept in the database. */
  readonly signingKeys?: readonly JWK[];
  /** Standalone-launch sign-in; default: the demo users when DEMO=1, none otherwise. */
  readonly users?: UserAuthenticator;
  /** Choices for the standalone patient picker; default: a free-text patient id. */
  readonly listPatients?: () => Promise<readonly PatientChoice[]>;
  readonly rateLimit?: RateLimitOptions;
  readonly lifetimes?: Partial<TokenLifetimes>;
  /** Receives the authorization server's AuditEvents (sign-ins, replayed codes/tokens): pass AuditSink.add. */
  readonly onAudit?: (event: fhir4.AuditEvent) => void;
}

function loadClients(deps: AuthServerDeps): readonly ClientRegistration[] {
  if (deps.clients) return deps.clients;
  const file = deps.config.smartClients ?? (deps.config.demo ? DEMO_CLIENTS_FILE : undefined);
  return file ? loadClientsFile(file, deps.config.publicBaseUrl) : [];
}

export async function createAuthServer(deps: AuthServerDeps): Promise<AuthServer> {
  const now = deps.now ?? (() => new Date());
  const log = deps.log.child({ component: 'auth' });
  await migrate(deps.driver, AUTH_MIGRATIONS);
  const clients = loadClients(deps);
  if (clients.length === 0) log.warn('no SMART clients registered (set SMART_CLIENTS)');
  const registry = createClientRegistry(clients);
  const endpoints = endpointsFor(deps.config.publicBaseUrl);
  const store = new AuthStore(deps.driver, now);
  const keys = new KeyRing(deps.driver, now, deps.signingKeys ?? (deps.config.smartSigningKeys ? readSigningKeysFile(deps.config.smartSigningKeys) : undefined));
  await keys.init();
  const tokens = new TokenService(keys, endpoints.issuer, endpoints.fhirBase, now);
  const grants = new GrantStatusCache(store);
  const clientAuth = new ClientAuthenticator({ registry, store, tokenUrl: endpoints.token, now });
  const { authenticate, cached: cachedPrincipal } = createAuthenticate(tokens, grants, now);
  const users = deps.users ?? (deps.config.demo ? createDemoAuthenticator() : undefined);
  const lifetimes = { ...DEFAULT_LIFETIMES, ...deps.lifetimes };
  const audit = createAuditHook(deps.onAudit, now, log);
  const housekeeping = createThrottledTask(() => store.purgeExpired(), 10 * 60_000, log);

  const router = buildAuthRouter({
    endpoints,
    registry,
    keys,
    authorize: createAuthorizeHandlers({
      registry,
      store,
      endpoints,
      users,
      demoHint: deps.config.demo && !deps.users ? `Demo users: ${DEMO_USERS.map((u) => `${u.username} / ${u.password}`).join(', ')}` : undefined,
      listPatients: deps.listPatients,
      log,
      now,
      styleUrl: `${deps.config.publicBaseUrl}/auth/smart-style.json`,
      audit,
    }),
    token: createTokenHandler({ store, clients: clientAuth, tokens, lifetimes, log, now, onRevoke: (id) => grants.forget(id), audit, housekeeping }),
    introspection: createIntrospectionHandlers({ store, tokens, clients: clientAuth, grants, authenticateBearer: authenticate, log }),
    launch: deps.config.demo ? createLaunchHandler(store) : undefined,
    rateLimit: deps.rateLimit ?? { windowMs: 60_000, max: 600 },
    frameAncestors: deps.config.frameAncestors,
    log,
  });
  log.info({ clients: clients.length, demo: deps.config.demo }, 'SMART authorization server ready');
  return {
    router,
    migrations: [...AUTH_MIGRATIONS],
    authenticate,
    cachedPrincipal,
    authorize,
    rotateSigningKey: () => keys.rotate(),
    purgeExpired: () => store.purgeExpired(),
    isRegisteredOrigin: (origin) => registry.isRegisteredOrigin(origin),
  };
}
