// The storage drivers the auth suites run on: in-memory SQLite always, PostgreSQL (own schema) with TEST_DATABASE_URL.
import { randomBytes } from 'node:crypto';
import { openPostgres } from '../../server/store/postgres.ts';
import { openSqlite } from '../../server/store/sqlite.ts';
import type { SqlDriver } from '../../server/store/driver.ts';

export interface TestDriver {
  readonly driver: SqlDriver;
  close(): Promise<void>;
}

async function openIsolatedPostgres(url: string): Promise<TestDriver> {
  const schema = `auth_test_${randomBytes(6).toString('hex')}`;
  const admin = openPostgres(url, { poolSize: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const driver = openPostgres(url, { poolSize: 4, schema });
  return {
    driver,
    async close() {
      await driver.close();
      await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
      await admin.close();
    },
  };
}

export const DRIVERS: readonly { name: string; open: () => Promise<TestDriver> }[] = [
  {
    name: 'sqlite',
    open: async () => {
      const driver = openSqlite(':memory:');
      return { driver, close: () => driver.close() };
    },
  },
  ...(process.env.TEST_DATABASE_URL ? [{ name: 'postgres', open: () => openIsolatedPostgres(process.env.TEST_DATABASE_URL as string) }] : []),
];
