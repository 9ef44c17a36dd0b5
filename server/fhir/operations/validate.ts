// $validate at type and instance level (R4 resource-operation-validate): mode create|update|delete, profile.
import type { FhirContext, FhirRequest, FhirResponse, ResourceValidator, RouteParams } from '../context.ts';
import { FhirError, operationOutcome, type OutcomeIssue } from '../errors.ts';
import type { OperationDef } from './registry.ts';

type Mode = 'create' | 'update' | 'delete';
const MODES = new Set(['create', 'update', 'delete']);

interface ValidateInput {
  resource?: Record<string, unknown>;
  mode?: Mode;
  profiles: string[];
}

function readInput(req: FhirRequest): ValidateInput {
  const profiles = req.query.filter(([k]) => k === 'profile').map(([, v]) => v);
  let mode = req.query.find(([k]) => k === 'mode')?.[1];
  const body = req.body as Record<string, unknown> | undefined;
  let resource: Record<string, unknown> | undefined;
  if (body && body.resourceType === 'Parameters') {
    for (const p of (body.parameter as fhir4.ParametersParameter[] | undefined) ?? []) {
      if (p.name === 'resource') resource = p.resource as Record<string, unknown> | undefined;
      else if (p.name === 'mode') mode = p.valueCode ?? p.valueString;
      else if (p.name === 'profile') profiles.push(p.valueUri ?? p.valueCanonical ?? p.valueString ?? '');
    }
  } else if (body && typeof body === 'object') {
    resource = body;
  }
  if (mode !== undefined && !MODES.has(mode)) throw new FhirError('invalid', `mode must be create, update or delete, got "${String(mode).slice(0, 20)}"`);
  return { resource, mode: mode as Mode | undefined, profiles: profiles.filter(Boolean) };
}

function outcomeOf(issues: OutcomeIssue[]): fhir4.OperationOutcome {
  if (issues.length === 0) return operationOutcome([{ severity: 'information', code: 'informational', diagnostics: 'No issues found' }]);
  return operationOutcome(issues);
}

export function validateOperation(validator: ResourceValidator): OperationDef {
  return {
    name: 'validate',
    levels: ['type', 'instance'],
    methods: ['GET', 'POST'],
    definition: 'http://hl7.org/fhir/OperationDefinition/Resource-validate',
    handler: async (ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> => {
      const input = readInput(req);
      if (input.mode === 'delete') {
        // Titrate keeps no referential-integrity rule that would block a delete.
        if (!p.id) throw new FhirError('invalid', 'mode=delete needs an instance: [type]/[id]/$validate');
        return { status: 200, body: outcomeOf([]) };
      }
      let resource = input.resource;
      if (!resource && p.id) {
        const stored = await ctx.store.read(p.type!, p.id);
        resource = stored?.json ? (JSON.parse(stored.json) as Record<string, unknown>) : undefined;
      }
      if (!resource) throw new FhirError('invalid', '$validate needs a resource (the body, or a Parameters with a resource part)');
      if (resource.resourceType !== p.type) throw new FhirError('invalid', `The resource is a ${String(resource.resourceType).slice(0, 64)}, not a ${p.type}`);
      if (input.mode === 'update' && p.id && resource.id !== p.id) {
        return { status: 200, body: outcomeOf([{ severity: 'error', code: 'invalid', diagnostics: 'mode=update: the resource id does not match the URL', expression: [`${p.type}.id`] }]) };
      }
      const issues = validator.validate(resource, { mode: input.mode ?? 'create', ...(input.profiles.length ? { profiles: input.profiles } : {}) });
      return { status: 200, body: outcomeOf(issues) };
    },
  };
}
