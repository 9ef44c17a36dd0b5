// The interaction table: every FHIR URL this server answers. Routes, batch/transaction dispatch and the
// CapabilityStatement are all built from it, so the three cannot drift (STYLE §2).
import { FhirError } from './errors.ts';
import type { FhirContext, FhirRequest, FhirResponse, HttpMethod, InteractionHandler, RouteParams } from './context.ts';
import { isResourceType } from './resource-types.ts';
import { isValidId } from './ids.ts';
import { readResource } from './interactions/read.ts';
import { vreadResource } from './interactions/vread.ts';
import { createResource } from './interactions/create.ts';
import { conditionalUpdate, updateResource } from './interactions/update.ts';
import { patchResource } from './interactions/patch.ts';
import { conditionalDelete, deleteResource } from './interactions/delete.ts';
import { historyInteraction } from './interactions/history.ts';
import { searchInteraction } from './interactions/search.ts';
import { findOperation, type OperationDef, type OperationLevel } from './operations/registry.ts';
import { requireAccess } from './access.ts';

/** R4 CapabilityStatement interaction codes (restful-interaction). */
export type InteractionCode =
  | 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'history-instance' | 'history-type' | 'create' | 'search-type'
  | 'transaction' | 'batch' | 'history-system' | 'search-system' | 'capabilities' | 'operation';

export interface Interaction {
  readonly code: InteractionCode;
  readonly method: HttpMethod;
  /** Segments: ':type', ':id', ':vid', ':op' ($name), ':ctype' (compartment type) or a literal. */
  readonly pattern: readonly string[];
  readonly handler: InteractionHandler;
  /** Conditional variant of the interaction (CapabilityStatement conditional* flags). */
  readonly conditional?: boolean;
}

export interface TableDeps {
  operations: readonly OperationDef[];
  capabilities: InteractionHandler;
  bundle: InteractionHandler;
}

function operationHandler(ops: readonly OperationDef[], level: OperationLevel): InteractionHandler {
  return async (ctx: FhirContext, req: FhirRequest, p: RouteParams): Promise<FhirResponse> => {
    const op = findOperation(ops, p.operation!, level, p.type);
    if (!op) throw new FhirError('not-supported', `Operation $${p.operation} is not supported at ${level} level${p.type ? ` on ${p.type}` : ''}`);
    if (!op.methods.includes(req.method as 'GET' | 'POST')) throw new FhirError('not-supported', `$${op.name} does not take ${req.method}`);
    if (level === 'instance') {
      const current = await ctx.store.read(p.type!, p.id!);
      if (!current) throw new FhirError('not-found', `${p.type}/${p.id} is not known`);
      if (current.deleted) throw new FhirError('gone', `${p.type}/${p.id} was deleted`);
      if (!ctx.principal.unrestricted) {
        requireAccess(ctx, { interaction: 'operation', type: p.type!, id: p.id, resource: JSON.parse(current.json!), permission: op.permission });
      }
    } else if (!ctx.principal.unrestricted) {
      requireAccess(ctx, { interaction: 'operation', type: p.type ?? '*', permission: op.permission });
    }
    return op.handler(ctx, req, p);
  };
}

export function buildInteractionTable(deps: TableDeps): Interaction[] {
  const ops = deps.operations;
  return [
    { code: 'capabilities', method: 'GET', pattern: ['metadata'], handler: deps.capabilities },
    { code: 'transaction', method: 'POST', pattern: [], handler: deps.bundle },
    { code: 'history-system', method: 'GET', pattern: ['_history'], handler: historyInteraction },
    { code: 'operation', method: 'GET', pattern: [':op'], handler: operationHandler(ops, 'system') },
    { code: 'operation', method: 'POST', pattern: [':op'], handler: operationHandler(ops, 'system') },
    { code: 'search-type', method: 'GET', pattern: [':type'], handler: searchInteraction },
    { code: 'search-type', method: 'POST', pattern: [':type', '_search'], handler: searchInteraction },
    { code: 'create', method: 'POST', pattern: [':type'], handler: createResource },
    { code: 'update', method: 'PUT', pattern: [':type'], handler: conditionalUpdate, conditional: true },
    { code: 'patch', method: 'PATCH', pattern: [':type'], handler: patchResource, conditional: true },
    { code: 'delete', method: 'DELETE', pattern: [':type'], handler: conditionalDelete, conditional: true },
    { code: 'history-type', method: 'GET', pattern: [':type', '_history'], handler: historyInteraction },
    { code: 'operation', method: 'GET', pattern: [':type', ':op'], handler: operationHandler(ops, 'type') },
    { code: 'operation', method: 'POST', pattern: [':type', ':op'], handler: operationHandler(ops, 'type') },
    { code: 'read', method: 'GET', pattern: [':type', ':id'], handler: readResource },
    { code: 'update', method: 'PUT', pattern: [':type', ':id'], handler: updateResource },
    { code: 'patch', method: 'PATCH', pattern: [':type', ':id'], handler: patchResource },
    { code: 'delete', method: 'DELETE', pattern: [':type', ':id'], handler: deleteResource },
    { code: 'history-instance', method: 'GET', pattern: [':type', ':id', '_history'], handler: historyInteraction },
    { code: 'vread', method: 'GET', pattern: [':type', ':id', '_history', ':vid'], handler: vreadResource },
    { code: 'operation', method: 'GET', pattern: [':type', ':id', ':op'], handler: operationHandler(ops, 'instance') },
    { code: 'operation', method: 'POST', pattern: [':type', ':id', ':op'], handler: operationHandler(ops, 'instance') },
    { code: 'search-type', method: 'GET', pattern: ['Patient', ':id', ':ctype'], handler: searchInteraction },
  ];
}

function bindSegment(token: string, seg: string, params: RouteParams): boolean {
  switch (token) {
    case ':type':
      if (seg.startsWith('$') || seg.startsWith('_')) return false;
      params.type = seg;
      return true;
    case ':id':
      if (seg.startsWith('$') || seg.startsWith('_')) return false;
      params.id = seg;
      return true;
    case ':vid':
      params.vid = seg;
      return true;
    case ':op':
      if (!seg.startsWith('$') || seg.length < 2) return false;
      params.operation = seg.slice(1);
      return true;
    case ':ctype':
      if (!isResourceType(seg)) return false;
      params.compartmentType = seg;
      params.type = 'Patient';
      return true;
    default:
      return token === seg;
  }
}

/** Finds the interaction for a method and path; unknown types → 404, bad ids → 400, wrong method → 405-like 404. */
export function matchInteraction(table: readonly Interaction[], method: HttpMethod, segments: readonly string[]): { interaction: Interaction; params: RouteParams } {
  const m = method === 'HEAD' ? 'GET' : method;
  let pathKnown = false;
  for (const interaction of table) {
    if (interaction.pattern.length !== segments.length) continue;
    const params: RouteParams = {};
    if (!interaction.pattern.every((token, i) => bindSegment(token, segments[i], params))) continue;
    pathKnown = true;
    if (interaction.method !== m) continue;
    if (params.type !== undefined && !isResourceType(params.type)) {
      throw new FhirError('not-supported', `Unknown resource type "${params.type.slice(0, 64)}"`);
    }
    if (params.id !== undefined && !isValidId(params.id)) {
      throw new FhirError('invalid', `"${params.id.slice(0, 80)}" is not a valid FHIR id`);
    }
    return { interaction, params };
  }
  if (segments.length > 0 && !segments[0].startsWith('$') && !segments[0].startsWith('_') && segments[0] !== 'metadata' && !isResourceType(segments[0])) {
    throw new FhirError('not-supported', `Unknown resource type "${segments[0].slice(0, 64)}"`);
  }
  throw new FhirError('not-supported', pathKnown ? `${method} is not supported on this URL` : 'No FHIR interaction has this URL');
}
