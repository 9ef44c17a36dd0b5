// MedicationRequest/{id}/$taper and /$titrate (SPEC §4): a draft CarePlan of dated dose steps; stores nothing.
import { planParamsFromParameters, planTaper, planTitration, type KnowledgeBase } from '../../clinical/index.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import type { OperationDef } from './registry.ts';
import { loadPatientRecord } from './patient-record.ts';
import { asFhirError, parametersBody } from './clinical-errors.ts';

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
      const record = patientId ? await loadPatientRecord(ctx, patientId, { observationCodes: kb.observedLoinc }).catch(() => undefined) : undefined;
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
