// Starts a real Titrate HTTP server on a random port over a test database; the suite talks to it with fetch.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createApp, type AppDeps } from '../../server/app.ts';
import { readConfig } from '../../server/config.ts';
import { migrate, CORE_MIGRATIONS } from '../../server/store/migrations.ts';
import { ResourceStore } from '../../server/store/resource-store.ts';
import { createSearch } from '../../server/search/select.ts';
import type { TestDatabase } from './databases.ts';

export interface TestServer {
  base: string;
  fhir: string;
  store: ResourceStore;
  close(): Promise<void>;
}

export async function startTestServer(db: TestDatabase, extra: Partial<AppDeps> & { env?: Record<string, string> } = {}): Promise<TestServer> {
  const { driver, dispose } = await db.open();
  const search = await createSearch();
  await migrate(driver, [...CORE_MIGRATIONS, ...search.migrations]);
  const store = ResourceStore.open(driver, search.indexHook);
  // Listen first so PUBLIC_BASE_URL (links, Location) can carry the real port.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const config = readConfig({ AUTH: 'off', HOST: '127.0.0.1', PORT: String(port), BODY_LIMIT_BYTES: String(1024 * 1024), ...extra.env });
  const app = createApp({ config, store, search, log: pino({ level: 'silent' }), ready: async () => true, ...extra });
  server.on('request', app);
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    fhir: `${config.publicBaseUrl}/fhir`,
    store,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await dispose();
    },
  };
}
