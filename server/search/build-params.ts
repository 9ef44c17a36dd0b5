// Builds generated/params.json: the official R4 SearchParameters, split per resource type, plus the Patient compartment.
// Run: npx tsx server/search/build-params.ts (output is committed; the server never parses the 2 MB bundle at start).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParamTable, ParamDef } from './params.ts';
import { splitUnion } from './path.ts';

const require = createRequire(import.meta.url);
const bundle = require('hl7.fhir.r4.examples/Bundle-searchParams.json') as fhir4.Bundle;
const compartment = require('hl7.fhir.r4.examples/CompartmentDefinition-patient.json') as fhir4.CompartmentDefinition;
const { RESOURCE_TYPES } = await import('../fhir/resource-types.ts');

const defs = bundle.entry!.map((e) => e.resource as fhir4.SearchParameter);
const byUrl = new Map(defs.map((d) => [d.url, d]));

/** The root type name a union branch starts from (`(Observation.value as X)` → Observation). */
function rootOf(branch: string): string {
  return /^\(*([A-Za-z]+)/.exec(branch)?.[1] ?? '';
}

/** Keeps the branches of a multi-type expression that start at `type` (or at Resource/DomainResource). */
function branchesFor(expr: string, type: string): string | undefined {
  const kept = splitUnion(expr).filter((b) => {
    const root = rootOf(b);
    return root === type || root === 'Resource' || root === 'DomainResource';
  });
  return kept.length ? kept.join(' | ') : undefined;
}

const table: ParamTable = { types: {}, compartment: {} };
for (const type of RESOURCE_TYPES) table.types[type] = {};
for (const d of defs) {
  if (!d.expression || d.type === 'special') continue;
  const bases = d.base.includes('Resource') || d.base.includes('DomainResource') ? [...RESOURCE_TYPES] : d.base;
  for (const type of bases) {
    const expr = branchesFor(d.expression, type);
    if (!expr || !table.types[type]) continue;
    const def: ParamDef = { type: d.type, expr, url: d.url };
    if (d.target?.length) def.targets = [...d.target];
    if (d.component?.length) {
      def.components = d.component.map((c) => {
        const cd = byUrl.get(c.definition);
        if (!cd) throw new Error(`component ${c.definition} of ${d.url} not found`);
        return { type: cd.type, expr: c.expression };
      });
    }
    table.types[type][d.code] = def;
  }
}
for (const r of compartment.resource ?? []) if (r.param?.length) table.compartment[r.code] = r.param;

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'generated', 'params.json');
fs.writeFileSync(out, JSON.stringify(table));
console.log(`wrote ${out}: ${Object.values(table.types).reduce((n, t) => n + Object.keys(t).length, 0)} type/parameter pairs`);
