// Starts the real Titrate server (composeServer, as main.ts does) on a random port over a test database.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { readConfig } from '../../server/config.ts';
import { composeServer } from '../../server/compose.ts';
import type { AuthServer, ClientRegistration } from '../../server/auth/index.ts';
import type { ResourceStore } from '../../server/store/resource-store.ts';
import type { TestDatabase } from './databases.ts';

export interface TestServer {
  base: string;
  fhir: string;
  tokenUrl: string;
  store: ResourceStore;
  auth: AuthServer;
  /** Stores every audit item so far as AuditEvents, whatever the load. */
  flushAudit(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(
  db: TestDatabase,
  opts: { env?: Record<string, string>; clients?: readonly ClientRegistration[] } = {},
): Promise<TestServer> {
  const { driver, dispose } = await db.open();
  // Listen first so PUBLIC_BASE_URL (links, Location, SMART aud) carries the real port.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const config = readConfig({
    AUTH: 'off',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_BASE_URL: base,
    BODY_LIMIT_BYTES: String(1024 * 1024),
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const composed = await composeServer({ config, driver, log: pino({ level: 'silent' }), clients: opts.clients });
  server.on('request', composed.app);
  return {
    base,
    fhir: `${base}/fhir`,
    tokenUrl: `${base}/auth/token`,
    store: composed.store,
    auth: composed.auth,
    flushAudit: () => composed.flushAudit(),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await composed.close();
      await dispose();
    },
  };
}
