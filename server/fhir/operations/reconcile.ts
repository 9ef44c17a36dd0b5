// Patient/{id}/$reconcile (SPEC §4): two or more medication lists side by side, matched per medication concept.
import { reconcile, reconcileToParameters, sourcesFromParameters, type KnowledgeBase, type ReconcileSource } from '../../clinical/index.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import { FhirError } from '../errors.ts';
import { filterVisible } from '../access.ts';
import type { OperationDef } from './registry.ts';
import { loadPatientRecord } from './patient-record.ts';
import { asFhirError, parametersBody } from './clinical-errors.ts';

/** Stored references named by List items in the sources, read up front so the resolver can stay synchronous. */
async function preloadListItems(ctx: FhirContext, params: fhir4.Parameters): Promise<Map<string, fhir4.FhirResource>> {
  const wanted = new Map<string, { type: string; id: string }>();
  for (const p of params.parameter ?? []) {
    const list = p.part?.find((x) => x.name === 'list')?.resource;
    if (list?.resourceType !== 'List') continue;
    for (const item of list.entry ?? []) {
      const ref = item.item?.reference ?? '';
      const m = /^(MedicationRequest|MedicationStatement)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
      if (m) wanted.set(ref, { type: m[1], id: m[2] });
    }
  }
  const out = new Map<string, fhir4.FhirResource>();
  for (const [ref, { type, id }] of wanted) {
    const rows = filterVisible(ctx, await ctx.store.readMany(type, [id]), 'read');
    if (rows[0]?.json) out.set(ref, JSON.parse(rows[0].json) as fhir4.FhirResource);
  }
  return out;
}

/** Without source parameters: the stored entries, one source per origin (meta.source) or per resource type. */
async function storedSources(ctx: FhirContext, patientId: string): Promise<ReconcileSource[]> {
  // Reconciliation compares medication entries only: no Observations are read.
  const record = await loadPatientRecord(ctx, patientId, { observationCodes: [] });
  const bySource = new Map<string, ReconcileSource>();
  for (const entry of record.medicationRequests) {
    const label = entry.meta?.source ?? (entry.resourceType === 'MedicationRequest' ? 'Titrate orders' : 'Medication statements');
    const source = bySource.get(label) ?? { label, entries: [], medications: record.medications };
    source.entries.push(entry);
    if (!source.date || (entry.meta?.lastUpdated ?? '') > source.date) source.date = entry.meta?.lastUpdated;
    bySource.set(label, source);
  }
  return [...bySource.values()];
}

export function reconcileOperation(kb: KnowledgeBase): OperationDef {
  return {
    name: 'reconcile',
    levels: ['instance'],
    types: ['Patient'],
    methods: ['POST'],
    definition: 'http://titrate.health/fhir/OperationDefinition/reconcile',
    handler: async (ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> => {
      const params = req.body === undefined ? { resourceType: 'Parameters' as const } : parametersBody(req.body, 'reconcile');
      const given = (params.parameter ?? []).filter((x) => x.name === 'source');
      let sources: ReconcileSource[];
      if (given.length > 0) {
        const preloaded = await preloadListItems(ctx, params);
        sources = asFhirError(() => sourcesFromParameters(params, (ref) => preloaded.get(ref)));
      } else {
        sources = await storedSources(ctx, p.id!);
      }
      if (sources.length < 2) throw new FhirError('invalid', `$reconcile needs two or more sources; found ${sources.length}`);
      const groups = asFhirError(() => reconcile(sources, kb));
      return { status: 200, body: reconcileToParameters(groups) };
    },
  };
}
