// Titrate's conformance resources (profiles/: StructureDefinition, ValueSet, CodeSystem, OperationDefinition)
// stored at start so they are readable and searchable through the API like any resource.
import type { ResourceStore } from '../store/resource-store.ts';
import { isValidId } from './ids.ts';

/** Writes each resource whose stored content differs; returns how many were written. */
export async function publishConformance(store: ResourceStore, resources: readonly Record<string, unknown>[], now: string): Promise<number> {
  let written = 0;
  for (const r of resources) {
    const type = String(r.resourceType);
    const id = typeof r.id === 'string' && isValidId(r.id) ? r.id : undefined;
    if (!id) continue;
    const current = await store.read(type, id);
    if (current?.json && !current.deleted) {
      const { meta: _m, ...stored } = JSON.parse(current.json) as Record<string, unknown>;
      const { meta: _n, ...given } = r;
      if (JSON.stringify(stored) === JSON.stringify({ ...given, id })) continue;
    }
    await store.put(type, id, r, now);
    written++;
  }
  return written;
}
