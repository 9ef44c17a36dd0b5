// Entry point: readConfig → open store → compose (migrate, wire) → listen; SIGTERM drains in-flight requests, then closes.
import v8 from 'node:v8';
import { readConfig } from './config.ts';
import { createLogger } from './log.ts';
import { openDriver } from './store/open.ts';
import { composeServer } from './compose.ts';

// The old generation grows by half its live size between full collections instead of V8's adaptive factor (up to
// 4×), which let a 45 MB live heap swell to 240 MB under search load. Measured 2026-12-01 on the 1 M-resource search
// file: RSS 245–262 MB instead of 268–357 MB across the four issue-3 queries, for 2–4 more full collections per 8 s
// (+10–20 ms of pauses). Set here rather than on the command line: NODE_OPTIONS does not accept this V8 flag.
v8.setFlagsFromString('--heap-growing-percent=50');
// Young generation of the worker isolates started after this line (search readers, the audit writer): 4 MB
// semi-spaces, while this thread keeps the 16 MB that npm start and docker-compose give it (a heap is sized when its
// isolate starts). With 32 MB everywhere the audit writer alone committed ~90 MB while storing a backlog. AUTH=smart
// on the 1 M-resource file, RSS during and after the four searches: 298–402 MB with 32 MB everywhere, 267–298 MB
// with 16 MB here and 4 MB in the workers; search throughput and $medication-review latency did not change
// measurably (alternated runs, 2026-12-01).
v8.setFlagsFromString('--max-semi-space-size=4');

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
