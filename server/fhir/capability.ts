// CapabilityStatement generated from the interaction table, the search engine and the operation registry.
import type { FhirContext, FhirResponse, InteractionHandler } from './context.ts';
import type { Interaction } from './interaction-table.ts';
import type { OperationDef } from './operations/registry.ts';
import type { SearchEngine } from '../search/engine.ts';
import { RESOURCE_TYPES } from './resource-types.ts';

export interface CapabilityDeps {
  table: () => readonly Interaction[];
  operations: readonly OperationDef[];
  search: SearchEngine;
  profiles?: (type: string) => string[];
  software: { name: string; version: string };
  smart: boolean;
  publicBaseUrl: string;
}

const TYPE_LEVEL = new Set(['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create', 'search-type']);
const SYSTEM_LEVEL = new Set(['transaction', 'batch', 'history-system', 'search-system']);

export function buildCapabilityStatement(deps: CapabilityDeps, now: Date): Record<string, unknown> {
  const table = deps.table();
  const codes = new Set(table.map((i) => i.code));
  const conditional = new Set(table.filter((i) => i.conditional).map((i) => i.code));
  const typeInteractions = [...codes].filter((c) => TYPE_LEVEL.has(c)).map((code) => ({ code }));
  const systemInteractions = [...codes].filter((c) => SYSTEM_LEVEL.has(c)).map((code) => ({ code }));
  if (codes.has('transaction')) systemInteractions.push({ code: 'batch' });
  const resources = RESOURCE_TYPES.map((type) => {
    const ops = deps.operations.filter((o) => (o.levels.includes('type') || o.levels.includes('instance')) && (!o.types || o.types.includes(type)));
    const entry: Record<string, unknown> = {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: typeInteractions,
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'full-support',
      conditionalUpdate: conditional.has('update'),
      conditionalDelete: conditional.has('delete') ? 'single' : 'not-supported',
      searchParam: deps.search.supportedParams(type).map((p) => ({ name: p.name, type: p.type, ...(p.definition ? { definition: p.definition } : {}) })),
    };
    const supported = deps.profiles?.(type) ?? [];
    if (supported.length) entry.supportedProfile = supported;
    if (ops.length) entry.operation = ops.map((o) => ({ name: o.name, definition: o.definition }));
    return entry;
  });
  const security: Record<string, unknown> = { cors: true };
  if (deps.smart) {
    security.service = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }];
    security.extension = [
      {
        url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
        extension: [
          { url: 'authorize', valueUri: `${deps.publicBaseUrl}/auth/authorize` },
          { url: 'token', valueUri: `${deps.publicBaseUrl}/auth/token` },
          { url: 'introspect', valueUri: `${deps.publicBaseUrl}/auth/introspect` },
          { url: 'revoke', valueUri: `${deps.publicBaseUrl}/auth/revoke` },
        ],
      },
    ];
  }
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: now.toISOString(),
    kind: 'instance',
    software: deps.software,
    implementation: { description: 'Titrate FHIR R4 server', url: `${deps.publicBaseUrl}/fhir` },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        security,
        resource: resources,
        interaction: systemInteractions,
        operation: deps.operations.filter((o) => o.levels.includes('system')).map((o) => ({ name: o.name, definition: o.definition })),
      },
    ],
  };
}

export function createCapabilitiesHandler(deps: CapabilityDeps): InteractionHandler {
  let cached: { at: number; json: string } | undefined;
  return async (ctx: FhirContext): Promise<FhirResponse> => {
    if (!cached) cached = { at: Date.now(), json: JSON.stringify(buildCapabilityStatement(deps, ctx.now())) };
    return { status: 200, body: cached.json };
  };
}
