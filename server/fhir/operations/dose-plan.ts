// MedicationRequest/{id}/$taper and /$titrate (SPEC §4): a draft CarePlan of dated dose steps; stores nothing.
import { planParamsFromParameters, planTaper, planTitration, type KnowledgeBase } from '../../clinical/index.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import type { OperationDef } from './registry.ts';
import { loadPatientRecord } from './patient-record.ts';
import { asFhirError, parametersBody } from './clinical-errors.ts';
import { FhirError } from '../errors.ts';

function planOperation(kb: KnowledgeBase, name: 'taper' | 'titrate'): OperationDef {
  return {
    name,
    levels: ['instance'],
    types: ['MedicationRequest'],
    methods: ['POST'],
    definition: `http://titrate.health/fhir/OperationDefinition/${name}`,
    handler: async (ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> => {
      const params = req.body === undefined ? undefined : parametersBody(req.body, name);
      const stored = await ctx.store.read('MedicationRequest', p.id!);
      const request = JSON.parse(stored!.json!) as fhir4.MedicationRequest;
      const patientId = /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(request.subject?.reference ?? '')?.[1];
      // The co-medication context (e.g. valproate for a lamotrigine titration); Observations are not used. A subject
      // that is not stored plans without context; any other failure (access, too-costly) is the answer.
      const record = patientId
        ? await loadPatientRecord(ctx, patientId, { observationCodes: [] }).catch((err: unknown) => {
            if (err instanceof FhirError && err.kind === 'not-found') return undefined;
            throw err;
          })
        : undefined;
      const context = {
        now: ctx.now(),
        regimen: record?.medicationRequests.filter((m) => m.id !== request.id),
        medications: record?.medications,
        patient: request.subject,
      };
      const plan = asFhirError(() => {
        const planParams = planParamsFromParameters(params);
        return name === 'taper' ? planTaper(request, planParams, context, kb) : planTitration(request, planParams, context, kb);
      });
      return { status: 200, body: plan };
    },
  };
}

export const taperOperation = (kb: KnowledgeBase) => planOperation(kb, 'taper');
export const titrateOperation = (kb: KnowledgeBase) => planOperation(kb, 'titrate');
