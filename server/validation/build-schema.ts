// Builds the validation cache: ajv standalone code for the R4 JSON schema, compact element tables
// and required-binding code sets from the R4 definitions, and (optionally) US Core 6.1.0 profiles.
// Run: `tsx server/validation/build-schema.ts [--us-core path/to/us_core_610.tgz] [--force]`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { compileStructureDefinition, type TypeTable } from './element-table.ts';
import { loadSchemaValidator } from './schema-layer.ts';
import { expandValueSets, type CodeSets } from './terminology.ts';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const CACHE_FORMAT = 4;
/** larger expansions (v3 code systems, languages) are left out of the cache: their bindings go unchecked */
const MAX_EXPANSION = 5000;
export const SCHEMA_FILE = join(here, 'vendor', 'fhir.schema.4.0.1.json.gz');
export const DEFAULT_US_CORE_TGZ = resolve(here, '../../../shared/corpora/us-core-packages/us_core_610.tgz');

export function defaultCacheDir(): string {
  return resolve(here, '../../node_modules/.cache/titrate/validation');
}

export interface CoreDefinitions {
  types: Record<string, TypeTable>;
  /** written to code-sets.json, not core-definitions.json */
  extensions: Record<string, TypeTable>;
  /** constraint profiles published with the core spec (SimpleQuantity, vitalsigns, bp …) */
  coreProfiles: TypeTable[];
  codeSets: CodeSets;
}

function examplesDir(): string {
  return dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
}

function readBundle(name: string): fhir4.Resource[] {
  const bundle = JSON.parse(readFileSync(join(examplesDir(), name), 'utf8')) as fhir4.Bundle;
  return (bundle.entry ?? []).map((e) => e.resource!).filter(Boolean);
}

/** Loads the vendored schema with the ajv adjustments from the reference notes (draft-06, $id, discriminator). */
export function loadPatchedSchema(): Record<string, any> {
  const schema = JSON.parse(gunzipSync(readFileSync(SCHEMA_FILE)).toString('utf8'));
  schema.$id = schema.id;
  delete schema.id;
  schema.discriminator = { propertyName: 'resourceType' };
  const list = schema.definitions.ResourceList;
  list.type = 'object';
  list.required = ['resourceType'];
  list.discriminator = { propertyName: 'resourceType' };
  // 4.0.1 schema omissions that reject valid official content (reference notes §2.3)
  const extRef = { $ref: '#/definitions/Element' };
  schema.definitions.StructureDefinition.properties._baseDefinition ??= extRef;
  schema.definitions.ElementDefinition_Type.properties._profile ??= { type: 'array', items: extRef };
  schema.definitions.ElementDefinition_Type.properties._targetProfile ??= { type: 'array', items: extRef };
  schema.definitions.QuestionnaireResponse.properties._questionnaire ??= extRef;
  // the string/markdown pattern `[ \r\n\t\S]+` rejects NBSP and other Unicode spaces that R4 allows
  // (11 official CodeSystems use them); only control characters are excluded
  for (const t of ['string', 'markdown']) schema.definitions[t].pattern = '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]+$';
  // 4.0.1 made Expression.language extensible (text/cql.identifier …); the schema kept the 4.0.0 enum
  delete schema.definitions.Expression.properties.language.enum;
  // complex types are declared without `type: object`, so null or a string would pass for them
  for (const def of Object.values<Record<string, any>>(schema.definitions)) {
    if (def.properties && !def.type) def.type = 'object';
  }
  return schema;
}

function buildSchemaModule(): string {
  const Ajv = require('ajv').default;
  const standalone = require('ajv/dist/standalone').default;
  const ajv = new Ajv({
    strict: false,
    strictTypes: false,
    allErrors: true,
    discriminator: true,
    code: { source: true, esm: false, optimize: 1 },
  });
  ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
  const schema = loadPatchedSchema();
  stripDescriptions(schema);
  ajv.addSchema(schema);
  // Any character past Latin-1 makes V8 hold the whole module source as two-byte text (23 MB instead of 11):
  // the generated code is ASCII but for string literals, where a \u escape means the same character.
  return (standalone(ajv, { fhir: schema.$id }) as string).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Drops the `description` annotations (prose, no effect on validation) that ajv would copy into the generated
 * module with every embedded schema object. Elements named `description` (keys of `properties`) are schemas and stay.
 */
function stripDescriptions(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(stripDescriptions);
  if (!node || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (typeof o.description === 'string') delete o.description;
  for (const v of Object.values(o)) stripDescriptions(v);
}

export function buildCoreDefinitions(): CoreDefinitions {
  const types: Record<string, TypeTable> = {};
  const coreProfiles: TypeTable[] = [];
  for (const file of ['Bundle-types.json', 'Bundle-resources.json', 'Bundle-profiles-others.json']) {
    for (const r of readBundle(file)) {
      if (r.resourceType !== 'StructureDefinition') continue;
      const sd = r as fhir4.StructureDefinition;
      if (sd.derivation === 'constraint') coreProfiles.push(compileStructureDefinition(sd as never));
      else types[sd.type] = compileStructureDefinition(sd as never);
    }
  }
  const extensions: Record<string, TypeTable> = {};
  for (const r of readBundle('Bundle-extensions.json')) {
    const sd = r as fhir4.StructureDefinition;
    if (r.resourceType === 'StructureDefinition') extensions[sd.url] = compileStructureDefinition(sd as never);
  }
  const terminology = [
    ...readBundle('Bundle-valuesets.json'),
    ...readBundle('Bundle-v3-valuesets.json'),
    ...readBundle('Bundle-v2-valuesets.json'),
    ...readBundle('Bundle-valueset-expansions.json'),
  ];
  // every core ValueSet that expands locally: profiles (Titrate, US Core, submitted ones) bind to them too
  const wanted = new Set<string>();
  for (const r of terminology) if (r.resourceType === 'ValueSet') wanted.add((r as fhir4.ValueSet).url!);
  const codeSets = expandValueSets(terminology, wanted);
  for (const [url, codes] of Object.entries(codeSets)) if (codes.length > MAX_EXPANSION) delete codeSets[url];
  return { types, extensions, coreProfiles, codeSets };
}

/** Minimal ustar reader: name → file content for a gzipped npm/FHIR package. */
export function readTgz(path: string): Map<string, Buffer> {
  const buf = gunzipSync(readFileSync(path));
  const files = new Map<string, Buffer>();
  let off = 0;
  while (off + 512 <= buf.length) {
    const name = buf.toString('utf8', off, off + 100).replace(/\0.*$/s, '');
    if (!name) break;
    const prefix = buf.toString('utf8', off + 345, off + 500).replace(/\0.*$/s, '');
    const size = parseInt(buf.toString('utf8', off + 124, off + 136).replace(/\0.*$/s, '').trim() || '0', 8);
    const kind = buf.toString('utf8', off + 156, off + 157);
    off += 512;
    if (kind === '0' || kind === '\0' || kind === '') files.set(prefix ? `${prefix}/${name}` : name, buf.subarray(off, off + size));
    off += Math.ceil(size / 512) * 512;
  }
  return files;
}

export interface UsCoreDefinitions {
  version: string;
  profiles: TypeTable[];
  codeSets: CodeSets;
}

export function buildUsCore(tgz: string, core: CoreDefinitions): UsCoreDefinitions {
  const files = readTgz(tgz);
  const pkg = JSON.parse(files.get('package/package.json')!.toString('utf8'));
  const resources: fhir4.Resource[] = [];
  for (const [name, content] of files) {
    if (!/^package\/(StructureDefinition|ValueSet|CodeSystem)-.*\.json$/.test(name)) continue;
    resources.push(JSON.parse(content.toString('utf8')));
  }
  const profiles = resources
    .filter((r): r is fhir4.StructureDefinition => r.resourceType === 'StructureDefinition')
    .map((sd) => compileStructureDefinition(sd as never));
  const wanted = new Set<string>();
  for (const p of profiles) {
    for (const el of p.elements) {
      if (el.binding?.strength === 'required' && !core.codeSets[el.binding.valueSet]) wanted.add(el.binding.valueSet);
    }
  }
  return { version: pkg.version, profiles, codeSets: expandValueSets(resources, wanted) };
}

/** hash of the generators themselves: a change to how tables are compiled invalidates the cache */
export function generatorHash(): string {
  const h = createHash('sha256');
  h.update(String(CACHE_FORMAT));
  for (const f of ['build-schema.ts', 'element-table.ts', 'terminology.ts']) h.update(readFileSync(join(here, f)));
  return h.digest('hex').slice(0, 16);
}

/** true when the cache exists and was built by the current generator code (cheap: no input hashing) */
export function isCacheCurrent(dir: string): boolean {
  const stampFile = join(dir, 'stamp.json');
  if (!existsSync(stampFile)) return false;
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8')).generator === generatorHash();
  } catch {
    return false;
  }
}

function inputsHash(usCoreTgz: string | undefined): string {
  const h = createHash('sha256');
  h.update(generatorHash());
  h.update(readFileSync(SCHEMA_FILE));
  h.update(readFileSync(join(examplesDir(), 'package.json')));
  h.update(require('ajv/package.json').version);
  if (usCoreTgz && existsSync(usCoreTgz)) h.update(readFileSync(usCoreTgz));
  return h.digest('hex').slice(0, 16);
}

function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export interface BuildResult {
  dir: string;
  built: boolean;
  usCore: boolean;
}

/** Builds the cache unless the stamp says it is current. Safe to run from several processes at once. */
export function buildValidationCache(opts: { dir?: string; usCoreTgz?: string; force?: boolean } = {}): BuildResult {
  const dir = opts.dir ?? defaultCacheDir();
  const usCoreTgz = opts.usCoreTgz ?? (existsSync(DEFAULT_US_CORE_TGZ) ? DEFAULT_US_CORE_TGZ : undefined);
  const stampFile = join(dir, 'stamp.json');
  const hash = inputsHash(usCoreTgz);
  if (!opts.force && existsSync(stampFile)) {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    if (stamp.hash === hash) return { dir, built: false, usCore: stamp.usCore };
  }
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, 'fhir-schema.cjs'), buildSchemaModule());
  loadSchemaValidator(dir); // writes the V8 code cache for fast starts
  const { codeSets, ...core } = buildCoreDefinitions();
  writeAtomic(join(dir, 'core-definitions.json'), JSON.stringify(core));
  // code sets are read on the first binding check, not at start-up
  writeAtomic(join(dir, 'code-sets.json'), JSON.stringify(codeSets));
  let usCore = false;
  if (usCoreTgz && existsSync(usCoreTgz)) {
    writeAtomic(join(dir, 'us-core.json'), JSON.stringify(buildUsCore(usCoreTgz, { ...core, codeSets })));
    usCore = true;
  }
  writeAtomic(stampFile, JSON.stringify({ hash, generator: generatorHash(), usCore, builtAt: new Date().toISOString() }));
  return { dir, built: true, usCore };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--us-core');
  const started = Date.now();
  const result = buildValidationCache({
    usCoreTgz: i >= 0 ? resolve(args[i + 1]) : undefined,
    force: args.includes('--force'),
  });
  console.log(
    `validation cache ${result.built ? 'built' : 'up to date'} in ${result.dir}` +
      ` (US Core ${result.usCore ? 'included' : 'absent'}, ${Date.now() - started} ms)`,
  );
}
