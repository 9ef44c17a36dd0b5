// Patient/{id}/$medication-review (SPEC §4): DetectedIssues for the patient's active psychotropic regimen.
import { findingsToBundle, reviewMedications, type KnowledgeBase } from '../../clinical/index.ts';
import type { FhirContext, FhirRequest, FhirResponse, RouteParams } from '../context.ts';
import type { OperationDef } from './registry.ts';
import { loadPatientRecord } from './patient-record.ts';
import { asFhirError } from './clinical-errors.ts';

export function medicationReviewOperation(kb: KnowledgeBase): OperationDef {
  return {
    name: 'medication-review',
    levels: ['instance'],
    types: ['Patient'],
    methods: ['GET', 'POST'],
    definition: 'http://titrate.health/fhir/OperationDefinition/medication-review',
    handler: async (ctx: FhirContext, _req: FhirRequest, p: RouteParams): Promise<FhirResponse> => {
      const record = await loadPatientRecord(ctx, p.id!, { observationCodes: kb.observedLoinc });
      const now = ctx.now();
      const findings = asFhirError(() => reviewMedications({ ...record, now }, kb));
      return { status: 200, body: findingsToBundle(findings, `Patient/${p.id}`, now) };
    },
  };
}
