// Rebuilds every search index row from the current resources, in batches (after a parameter table change).
import type { IndexHook, ResourceStore } from '../store/resource-store.ts';
import type { BatchIndexHook } from './indexer.ts';
import { INDEX_TABLES } from './schema.ts';

/** Re-indexes all live resources; returns how many. Batches of `batch` resources per transaction. */
export async function reindex(store: ResourceStore, hook: IndexHook, batch = 1000): Promise<number> {
  await store.transaction(async (s) => {
    for (const t of Object.keys(INDEX_TABLES)) await s.sql.run(`DELETE FROM ${t}`);
  });
  let done = 0;
  let after: [string, string] = ['', ''];
  for (;;) {
    const rows = await store.sql.query<{ type: string; id: string; content: string }>(
      `SELECT type, id, content FROM resources WHERE deleted = 0 AND (type > ? OR (type = ? AND id > ?)) ORDER BY type, id LIMIT ?`,
      [after[0], after[0], after[1], batch],
    );
    if (rows.length === 0) return done;
    // Rows were all deleted above: index as a first version (no per-resource DELETE).
    const items = rows.map((r) => {
      const resource = JSON.parse(r.content) as Record<string, unknown>;
      resource.meta = { ...(resource.meta as object), versionId: '1' };
      return { type: r.type, id: r.id, resource };
    });
    await store.transaction(async (s) => {
      const batch = hook as Partial<BatchIndexHook>;
      if (batch.writeMany) await batch.writeMany(s.sql, items);
      else for (const it of items) await hook.write(s.sql, it.type, it.id, it.resource);
    });
    done += rows.length;
    after = [rows[rows.length - 1].type, rows[rows.length - 1].id];
  }
}
