// CLI: rebuild the search index. Usage: npx tsx server/search/reindex-cli.ts <sqlite-file | postgres://url>
import { migrate, CORE_MIGRATIONS } from '../store/migrations.ts';
import { openPostgres } from '../store/postgres.ts';
import { ResourceStore } from '../store/resource-store.ts';
import { openSqlite } from '../store/sqlite.ts';
import { createSearchEngine, reindex } from './index.ts';

const target = process.argv[2];
if (!target) {
  console.error('usage: reindex-cli.ts <sqlite-file | postgres://…> [baseUrl]');
  process.exit(2);
}
const driver = /^postgres(ql)?:\/\//.test(target) ? openPostgres(target) : openSqlite(target);
const engine = createSearchEngine({ baseUrl: process.argv[3] });
await migrate(driver, [...CORE_MIGRATIONS, ...engine.migrations]);
const store = ResourceStore.open(driver, engine.indexHook);
const started = Date.now();
const n = await reindex(store, engine.indexHook);
console.log(`reindexed ${n} resources in ${((Date.now() - started) / 1000).toFixed(1)} s`);
await driver.close();
