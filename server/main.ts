// Entry point: readConfig → open store → migrate → createApp → listen; SIGTERM drains in-flight requests, then closes.
import { readConfig } from './config.ts';
import { createLogger } from './log.ts';
import { openDriver } from './store/open.ts';
import { migrate, CORE_MIGRATIONS } from './store/migrations.ts';
import { ResourceStore } from './store/resource-store.ts';
import { createApp } from './app.ts';
import { createSearch } from './search/select.ts';
import { seedDemoData } from './demo/seed.ts';

async function main(): Promise<void> {
  const started = performance.now();
  const config = readConfig();
  const log = createLogger(config.logLevel);
  if (config.auth === 'off') log.warn('AUTH=off: every FHIR request has full access. Use only on a loopback address for development.');
  const driver = openDriver(config);
  const search = await createSearch();
  await migrate(driver, [...CORE_MIGRATIONS, ...search.migrations]);
  const store = ResourceStore.open(driver, search.indexHook);
  if (config.demo) {
    const seeded = await seedDemoData(store, () => new Date());
    if (seeded > 0) log.info({ resources: seeded }, 'seeded demo data');
  }
  const app = createApp({
    config,
    store,
    search,
    log,
    ready: async () => {
      await driver.query('SELECT 1');
      return true;
    },
  });
  const server = app.listen(config.port, config.host, () => {
    const ms = Math.round(performance.now() - started);
    log.info({ ms, database: driver.dialect.name }, 'ready');
    console.log(`Titrate FHIR server: ${config.publicBaseUrl}/fhir  (metadata: ${config.publicBaseUrl}/fhir/metadata)`);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    server.close(async () => {
      await driver.close();
      log.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  console.error('Titrate failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
