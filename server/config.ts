// Config: the only reader of process.env — typed, validated, frozen (SPEC §3 "Configuration").
import os from 'node:os';
import path from 'node:path';

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly publicBaseUrl: string;
  readonly databaseUrl: string | undefined;
  readonly sqlitePath: string;
  readonly auth: 'smart' | 'off';
  readonly smartClients: string | undefined;
  /** JSON file {"keys":[private RSA JWKs]} that sign tokens; unset = generated once and kept in the database. */
  readonly smartSigningKeys: string | undefined;
  readonly demo: boolean;
  readonly logLevel: string;
  readonly bodyLimitBytes: number;
  readonly frameAncestors: string;
  /** Folder of the psychiatry knowledge base JSON files; default knowledge/ in the project. */
  readonly knowledgeDir: string | undefined;
  /** JSON file of EHRs whose signed JWTs the CDS Hooks services accept; unset = no EHR JWT required. */
  readonly cdsTrustedEhrs: string | undefined;
  /** Longest an audit batch waits, queued, before it is stored as AuditEvents while the server is busy; 0 = at once. */
  readonly auditMaxLagMs: number;
  /** Reader threads that run searches on a SQLite file beside the request thread; 0 = on the request thread. */
  readonly searchReaders: number;
}

export class ConfigError extends Error {}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function readConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT must be 0–65535, got ${env.PORT}`);
  const host = env.HOST ?? '127.0.0.1';
  const auth = (env.AUTH ?? 'smart') as Config['auth'];
  if (auth !== 'smart' && auth !== 'off') throw new ConfigError(`AUTH must be smart or off, got ${env.AUTH}`);
  if (auth === 'off' && !LOOPBACK.has(host)) throw new ConfigError('AUTH=off is only allowed with a loopback HOST');
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.has(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${[...LOG_LEVELS].join(', ')}`);
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  const publicBaseUrl = (env.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const sqlitePath = env.SQLITE_PATH ?? './data/titrate.sqlite';
  // An empty value (a copied .env.example) means unset.
  const auditMaxLagMs = env.AUDIT_MAX_LAG_MS ? Number(env.AUDIT_MAX_LAG_MS) : 30_000;
  if (!Number.isInteger(auditMaxLagMs) || auditMaxLagMs < 0) throw new ConfigError(`AUDIT_MAX_LAG_MS must be a whole number of milliseconds ≥ 0, got ${env.AUDIT_MAX_LAG_MS}`);
  const searchReaders = env.SEARCH_READERS ? Number(env.SEARCH_READERS) : Math.min(2, Math.max(0, os.availableParallelism() - 1));
  if (!Number.isInteger(searchReaders) || searchReaders < 0 || searchReaders > 16) throw new ConfigError(`SEARCH_READERS must be a whole number from 0 to 16, got ${env.SEARCH_READERS}`);
  const config: Config = {
    port,
    host,
    publicBaseUrl,
    databaseUrl,
    sqlitePath: sqlitePath === ':memory:' ? sqlitePath : path.resolve(sqlitePath),
    auth,
    smartClients: env.SMART_CLIENTS || undefined,
    smartSigningKeys: env.SMART_SIGNING_KEYS ? path.resolve(env.SMART_SIGNING_KEYS) : undefined,
    demo: env.DEMO === '1' || env.DEMO === 'true',
    logLevel,
    bodyLimitBytes: Number(env.BODY_LIMIT_BYTES ?? 16 * 1024 * 1024),
    frameAncestors: env.FRAME_ANCESTORS ?? "'self'",
    knowledgeDir: env.KNOWLEDGE_DIR ? path.resolve(env.KNOWLEDGE_DIR) : undefined,
    cdsTrustedEhrs: env.CDS_TRUSTED_EHRS ? path.resolve(env.CDS_TRUSTED_EHRS) : undefined,
    auditMaxLagMs,
    searchReaders,
    ...overrides,
  };
  return Object.freeze(config);
}
