// Builds patient-compartment.json: resource type → reference paths, from the R4 Patient
// CompartmentDefinition and the SearchParameters it names (https://hl7.org/fhir/R4/compartmentdefinition-patient.html).
// Run: `tsx server/auth/build-compartment-table.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

interface SearchParam { code: string; base: string[]; expression?: string }

/** type → { params: the CompartmentDefinition's search parameter codes, paths: the reference paths they index }. */
export type CompartmentTable = Record<string, { params: string[]; paths: string[] }>;

export function buildCompartmentTable(compartment: fhir4.CompartmentDefinition, params: readonly SearchParam[]): CompartmentTable {
  const table: CompartmentTable = {};
  for (const entry of compartment.resource ?? []) {
    const type = entry.code;
    const paths = new Set<string>();
    for (const code of entry.param ?? []) {
      const sp = params.find((p) => p.code === code && p.base.includes(type));
      if (!sp?.expression) throw new Error(`no SearchParameter ${type}.${code}`);
      for (const alt of sp.expression.split('|')) {
        // `X.subject.where(resolve() is Patient)`: the reference test itself checks the target type.
        const path = alt.trim().replace(/\.where\(resolve\(\) is Patient\)$/, '');
        if (!path.startsWith(`${type}.`)) continue;
        if (!/^[A-Za-z]+(\.[A-Za-z]+)+$/.test(path)) throw new Error(`unsupported expression ${alt}`);
        paths.add(path.slice(type.length + 1));
      }
    }
    if (paths.size > 0) table[type] = { params: [...(entry.param ?? [])], paths: [...paths] };
  }
  return table;
}

function main(): void {
  const dir = dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
  const compartment = JSON.parse(readFileSync(join(dir, 'CompartmentDefinition-patient.json'), 'utf8')) as fhir4.CompartmentDefinition;
  const bundle = JSON.parse(readFileSync(join(dir, 'Bundle-searchParams.json'), 'utf8')) as fhir4.Bundle;
  const params = (bundle.entry ?? []).map((e) => e.resource as unknown as SearchParam);
  const table = buildCompartmentTable(compartment, params);
  writeFileSync(join(here, 'patient-compartment.json'), `${JSON.stringify(table).replace(/\]\},"/g, ']},\n"')}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
