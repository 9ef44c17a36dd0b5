// The databases every storage/API suite runs on: in-memory SQLite always, PostgreSQL when TEST_DATABASE_URL is set.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { SqlDriver } from '../../server/store/driver.ts';
import { openSqlite } from '../../server/store/sqlite.ts';
import { openPostgres } from '../../server/store/postgres.ts';

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** Opens a fresh, empty database (a new schema on PostgreSQL); dispose drops it. */
  open(): Promise<{ driver: SqlDriver; dispose(): Promise<void> }>;
}

const sqlite: TestDatabase = {
  name: 'sqlite',
  async open() {
    const driver = openSqlite(':memory:');
    return { driver, dispose: () => driver.close() };
  },
};

function postgres(url: string): TestDatabase {
  return {
    name: 'postgres',
    async open() {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const driver = openPostgres(url, { schema, poolSize: 8 });
      return {
        driver,
        async dispose() {
          await driver.close();
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          await c.query(`DROP SCHEMA ${schema} CASCADE`);
          await c.end();
        },
      };
    },
  };
}

export const TEST_DATABASES: TestDatabase[] = [
  sqlite,
  ...(process.env.TEST_DATABASE_URL ? [postgres(process.env.TEST_DATABASE_URL)] : []),
];
