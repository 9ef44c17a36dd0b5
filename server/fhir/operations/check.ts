// MedicationRequest/$check (SPEC §4): the review as if the draft orders were added to the active regimen; stores nothing.
import { checkDraftOrders, findingsToBundle, type KnowledgeBase } from '../../clinical/index.ts';
import type { FhirContext, FhirRequest, FhirResponse } from '../context.ts';
import { FhirError } from '../errors.ts';
import { requireAccess } from '../access.ts';
import type { OperationDef } from './registry.ts';
import { loadPatientRecord } from './patient-record.ts';
import { asFhirError, parametersBody } from './clinical-errors.ts';

function patientIdOf(params: fhir4.Parameters): string {
  const ref = params.parameter?.find((x) => x.name === 'patient')?.valueReference?.reference;
  const m = ref ? /^(?:.*\/)?Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
  if (!m) throw new FhirError('invalid', '$check needs a patient parameter holding a Reference to Patient/{id}');
  return m[1];
}

export function checkOperation(kb: KnowledgeBase): OperationDef {
  return {
    name: 'check',
    levels: ['type'],
    types: ['MedicationRequest'],
    methods: ['POST'],
    definition: 'http://titrate.health/fhir/OperationDefinition/check',
    handler: async (ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> => {
      const params = parametersBody(req.body, 'check');
      const patientId = patientIdOf(params);
      const drafts = (params.parameter ?? []).filter((x) => x.name === 'medicationRequest').map((x) => x.resource);
      if (drafts.length === 0) throw new FhirError('invalid', '$check needs at least one medicationRequest parameter');
      if (drafts.some((d) => d?.resourceType !== 'MedicationRequest')) {
        throw new FhirError('invalid', 'Each medicationRequest parameter must hold a MedicationRequest resource');
      }
      const record = await loadPatientRecord(ctx, patientId, { observationCodes: kb.observedLoinc });
      if (!ctx.principal.unrestricted) requireAccess(ctx, { interaction: 'read', type: 'Patient', id: patientId, resource: record.patient });
      const now = ctx.now();
      const findings = asFhirError(() => checkDraftOrders({ ...record, now }, drafts as fhir4.MedicationRequest[], kb));
      return { status: 200, body: findingsToBundle(findings, `Patient/${patientId}`, now) };
    },
  };
}
