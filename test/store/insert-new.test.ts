// insertNew, the create/ingest write path: SQLite group commit keeps each call atomic on its own; PostgreSQL's
// one-statement insertBatch stores every table; server ids are time-ordered UUIDs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASES } from '../builders/databases.ts';
import type { SqlDriver } from '../../server/store/driver.ts';
import { migrate, CORE_MIGRATIONS } from '../../server/store/migrations.ts';
import { ResourceStore } from '../../server/store/resource-store.ts';
import { createSearchEngine } from '../../server/search/index.ts';
import { newId } from '../../server/fhir/ids.ts';

const NOW = '2026-01-01T00:00:00.000Z';
const patient = (family: string) => ({ resourceType: 'Patient', name: [{ family }], gender: 'female' });

describe.each(TEST_DATABASES)('insertNew on $name', (db) => {
  let driver: SqlDriver;
  let dispose: () => Promise<void>;
  let store: ResourceStore;
  beforeAll(async () => {
    ({ driver, dispose } = await db.open());
    const search = createSearchEngine({ baseUrl: 'http://localhost/fhir' });
    await migrate(driver, [...CORE_MIGRATIONS, ...search.migrations]);
    store = ResourceStore.open(driver, search.indexHook);
  });
  afterAll(async () => dispose());

  it('stores resource, history and index rows for concurrent creates', async () => {
    const ids = Array.from({ length: 12 }, () => newId());
    const stored = await Promise.all(ids.map((id, i) => store.insertNew([{ type: 'Patient', id, resource: patient(`Group${i}`) }], NOW)));
    expect(stored.map((s) => s[0].id)).toEqual(ids);
    for (const id of ids) {
      expect((await store.read('Patient', id))?.version).toBe(1);
      expect(await store.vread('Patient', id, 1)).not.toBeNull();
    }
    const rows = await driver.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM sp_string WHERE res_type = 'Patient' AND param = 'family' AND res_id IN (${ids.map(() => '?').join(', ')})`,
      ids,
    );
    expect(Number(rows[0].n)).toBe(12);
  });

  it('fails only the call whose write fails when calls share a commit', async () => {
    const taken = newId();
    await store.insertNew([{ type: 'Patient', id: taken, resource: patient('First') }], NOW);
    const fresh = [newId(), newId()];
    const sibling = newId();
    const results = await Promise.allSettled([
      store.insertNew([{ type: 'Patient', id: fresh[0], resource: patient('A') }], NOW),
      store.insertNew([{ type: 'Patient', id: sibling, resource: patient('B') }, { type: 'Patient', id: taken, resource: patient('Dup') }], NOW),
      store.insertNew([{ type: 'Patient', id: fresh[1], resource: patient('C') }], NOW),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    for (const id of fresh) expect(await store.read('Patient', id)).not.toBeNull();
    expect(await store.read('Patient', sibling)).toBeNull();
    const count = await driver.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM resource_history WHERE id = ?`, [taken]);
    expect(Number(count[0].n)).toBe(1);
  });
});

describe('server-assigned ids', () => {
  it('are UUIDv7: valid FHIR ids, unique, ordered by creation time', async () => {
    const first = newId();
    await new Promise((r) => setTimeout(r, 3));
    const ids = Array.from({ length: 1000 }, () => newId());
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids.every((id) => id > first)).toBe(true);
    expect(Math.abs(parseInt(first.replaceAll('-', '').slice(0, 12), 16) - Date.now())).toBeLessThan(5000);
  });
});
