// Entry point: readConfig → open store → compose (migrate, wire) → listen; SIGTERM drains in-flight requests, then closes.
import { readConfig } from './config.ts';
import { createLogger } from './log.ts';
import { openDriver } from './store/open.ts';
import { composeServer } from './compose.ts';

async function main(): Promise<void> {
  const started = performance.now();
  const config = readConfig();
  const log = createLogger(config.logLevel);
  if (config.auth === 'off') log.warn('AUTH=off: every FHIR request has full access. Use only on a loopback address for development.');
  const driver = openDriver(config);
  const composed = await composeServer({ config, driver, log });
  const server = composed.app.listen(config.port, config.host, () => {
    const ms = Math.round(performance.now() - started);
    log.info({ ms, database: driver.dialect.name, auth: config.auth }, 'ready');
    console.log(`Titrate FHIR server: ${config.publicBaseUrl}/fhir  (metadata: ${config.publicBaseUrl}/fhir/metadata)`);
    console.log(`SMART discovery:     ${config.publicBaseUrl}/fhir/.well-known/smart-configuration`);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    server.close(async () => {
      await composed.close();
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
