// Loads Titrate's conformance resources from profiles/ (StructureDefinition, ValueSet, CodeSystem, ConceptMap).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileStructureDefinition, type TypeTable } from './element-table.ts';
import { generateSnapshot } from './snapshot.ts';
import { expandValueSets, type CodeSets } from './terminology.ts';

export const TITRATE_SD_BASE = 'http://titrate.health/fhir/StructureDefinition/';
const CONFORMANCE_TYPES = new Set(['StructureDefinition', 'ValueSet', 'CodeSystem', 'ConceptMap']);

export function defaultProfilesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../profiles');
}

export interface ProfileFile {
  file: string;
  resource?: fhir4.Resource;
  error?: string;
}

export interface LoadedProfiles {
  resources: fhir4.Resource[];
  tables: TypeTable[];
  urls: Set<string>;
  codeSets: CodeSets;
}

/** every JSON file in profiles/ (OperationDefinitions too: the CLI checks them; the validator loads only its types) */
export function readProfileFiles(dir: string): ProfileFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      try {
        return { file, resource: JSON.parse(readFileSync(join(dir, file), 'utf8')) as fhir4.Resource };
      } catch (e) {
        return { file, error: e instanceof Error ? e.message : String(e) };
      }
    });
}

export function loadProfiles(dir: string, extra: fhir4.Resource[] = []): LoadedProfiles {
  const resources = [...readProfileFiles(dir).map((f) => f.resource), ...extra].filter(
    (r): r is fhir4.Resource => !!r && (CONFORMANCE_TYPES.has(r.resourceType) || r.resourceType === 'Questionnaire'),
  );
  const sds = new Map<string, fhir4.StructureDefinition>();
  for (const r of resources) if (r.resourceType === 'StructureDefinition') sds.set((r as fhir4.StructureDefinition).url, r as fhir4.StructureDefinition);
  const withSnapshot = (sd: fhir4.StructureDefinition, depth = 0): fhir4.StructureDefinition => {
    if (sd.snapshot?.element?.length || depth > 5) return sd;
    const { elements } = generateSnapshot(sd, (url) => {
      const base = sds.get(url);
      return base ? withSnapshot(base, depth + 1) : undefined;
    });
    return { ...sd, snapshot: { element: elements } };
  };
  const tables = [...sds.values()]
    .map((sd) => withSnapshot(sd))
    .filter((sd) => sd.snapshot?.element?.length)
    .map((sd) => compileStructureDefinition(sd as never));
  const wanted = new Set<string>();
  for (const r of resources) if (r.resourceType === 'ValueSet') wanted.add((r as fhir4.ValueSet).url!);
  return {
    resources,
    tables,
    urls: new Set(tables.map((t) => t.url)),
    codeSets: expandValueSets(resources, wanted),
  };
}
