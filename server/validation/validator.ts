// createValidator: schema (layer 1) + core StructureDefinitions (layer 2) + claimed profiles (layer 3).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildValidationCache, defaultCacheDir, isCacheCurrent, type CoreDefinitions, type UsCoreDefinitions } from './build-schema.ts';
import { checkBundle } from './bundle-rules.ts';
import { checkBundleSignature } from './signature-rules.ts';
import { checkStructureDefinition } from './structure-definition-rules.ts';
import { checkCapabilityStatement, checkMeasureReport, checkSearchParameter } from './conformance-rules.ts';
import { checkQuestionnaireResponse } from './questionnaire-response.ts';
import type { TypeTable } from './element-table.ts';
import { InvariantEngine } from './invariants.ts';
import { loadProfiles, defaultProfilesDir, type LoadedProfiles } from './profiles.ts';
import { checkSchema, loadSchemaValidator } from './schema-layer.ts';
import { checkDomainResource, walkTable, type WalkerDeps, type WalkState } from './structure-walker.ts';
import { Terminology, type CodeSets } from './terminology.ts';
import type { CreateValidatorOptions, ValidateOptions, ValidationIssue, Validator } from './types.ts';

export type { ValidationIssue, Validator, ValidateOptions, CreateValidatorOptions } from './types.ts';

const SEVERITY_ORDER = { fatal: 0, error: 1, warning: 2, information: 3 } as const;

function loadJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

interface LoadedCore {
  schema: ReturnType<typeof loadSchemaValidator>;
  core: CoreDefinitions;
  usCore?: UsCoreDefinitions;
}

const codeSetCache = new Map<string, CodeSets>();

function codeSets(cacheDir: string): CodeSets {
  let sets = codeSetCache.get(cacheDir);
  if (!sets) codeSetCache.set(cacheDir, (sets = loadJson<CodeSets>(join(cacheDir, 'code-sets.json'))));
  return sets;
}

/** the cache is immutable once built: validators created in one process share it */
const loaded = new Map<string, LoadedCore>();

function loadCore(cacheDir: string, usCore: boolean): LoadedCore {
  const key = `${cacheDir}|${usCore}`;
  let hit = loaded.get(key);
  if (hit) return hit;
  if (!isCacheCurrent(cacheDir)) buildValidationCache({ dir: cacheDir });
  const other = loaded.get(`${cacheDir}|${!usCore}`);
  const usCorePath = join(cacheDir, 'us-core.json');
  hit = {
    schema: other?.schema ?? loadSchemaValidator(cacheDir),
    core: other?.core ?? loadJson<CoreDefinitions>(join(cacheDir, 'core-definitions.json')),
    usCore: usCore && existsSync(usCorePath) ? (other?.usCore ?? loadJson<UsCoreDefinitions>(usCorePath)) : undefined,
  };
  loaded.set(key, hit);
  return hit;
}

export async function createValidator(opts: CreateValidatorOptions = {}): Promise<Validator> {
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const { schema, core, usCore } = loadCore(cacheDir, opts.usCore !== false);

  const byUrl = new Map<string, TypeTable>();
  const coreConstraintKeys = new Set<string>();
  for (const t of Object.values(core.types)) {
    byUrl.set(t.url, t);
    for (const el of t.elements) for (const c of el.constraints ?? []) coreConstraintKeys.add(c.key);
  }
  for (const t of [...Object.values(core.extensions), ...core.coreProfiles]) {
    byUrl.set(t.url, t);
    for (const el of t.elements) for (const c of el.constraints ?? []) coreConstraintKeys.add(c.key);
  }
  for (const t of usCore?.profiles ?? []) byUrl.set(t.url, t);

  const profiles: LoadedProfiles = loadProfiles(opts.profilesDir ?? defaultProfilesDir(), opts.resources ?? []);
  for (const t of profiles.tables) byUrl.set(t.url, t);
  // ImplementationGuide.global: profiles that apply to every resource of a type
  const globalProfiles = new Map<string, string[]>();
  for (const r of opts.resources ?? []) {
    if (r.resourceType !== 'ImplementationGuide') continue;
    for (const g of (r as fhir4.ImplementationGuide).global ?? []) globalProfiles.set(g.type, [...(globalProfiles.get(g.type) ?? []), g.profile]);
  }
  const byCanonical = new Map<string, fhir4.Resource>();
  for (const r of profiles.resources) {
    const url = (r as { url?: string }).url;
    if (url) byCanonical.set(url, r);
  }
  // every supplied resource with a canonical URL (Measure, SearchParameter …), for rules that follow one
  const suppliedByUrl = new Map<string, fhir4.Resource>();
  for (const r of opts.resources ?? []) {
    const url = (r as { url?: string }).url;
    if (url && !suppliedByUrl.has(url)) suppliedByUrl.set(url, r);
  }
  const terminology = new Terminology(() => [codeSets(cacheDir), usCore?.codeSets ?? {}, profiles.codeSets]);
  const deps: WalkerDeps = { core: core.types, byUrl, terminology, invariants: new InvariantEngine(), coreConstraintKeys };

  function validateResource(
    res: Record<string, any>,
    path: string,
    container: Record<string, any> | undefined,
    extraProfiles: string[],
    st: Omit<WalkState, 'resource' | 'profileMode' | 'validateNested'> & { resolveCanonical?: ValidateOptions['resolveCanonical'] },
  ): void {
    const rt = res.resourceType;
    const table = typeof rt === 'string' ? core.types[rt] : undefined;
    if (!table) return; // the schema reports unknown resource types
    const state: WalkState = {
      ...st,
      scope: { ...st.scope, root: container ?? res },
      resource: res,
      profileMode: false,
      validateNested: (nested, nestedPath, parent) => {
        if (!nested || typeof nested !== 'object' || Array.isArray(nested)) return;
        const inContained = /\.contained\[\d+\]$/.test(nestedPath);
        validateResource(nested as Record<string, any>, nestedPath, inContained ? parent : undefined, [], st);
      },
    };
    walkTable(deps, state, table, res, path);
    checkDomainResource(state, res, path, container !== undefined);
    if (rt === 'Bundle') state.issues.push(...checkBundle(res, path, (t) => core.types[t]?.kind === 'resource'), ...checkBundleSignature(res, path));
    if (rt === 'StructureDefinition') {
      state.issues.push(...checkStructureDefinition(res, path, (url) => (byCanonical.get(url) ?? suppliedByUrl.get(url) ?? st.resolveCanonical?.(url)) as Record<string, any> | undefined));
    }
    if (rt === 'SearchParameter' || rt === 'CapabilityStatement' || rt === 'MeasureReport') {
      const resolve = (url: string) => (byCanonical.get(url) ?? suppliedByUrl.get(url) ?? st.resolveCanonical?.(url)) as Record<string, any> | undefined;
      const check = rt === 'SearchParameter' ? checkSearchParameter : rt === 'CapabilityStatement' ? checkCapabilityStatement : checkMeasureReport;
      state.issues.push(...check(res, path, resolve));
    }
    if (rt === 'QuestionnaireResponse') {
      const resolve = (url: string) => byCanonical.get(url) ?? st.resolveCanonical?.(url);
      state.issues.push(...checkQuestionnaireResponse(res, path, resolve, (t) => core.types[t]?.kind === 'resource', (vs, system, code) => terminology.hasCode(vs, system, code)));
    }
    const claimed = [...(Array.isArray(res.meta?.profile) ? res.meta.profile : []), ...extraProfiles, ...(globalProfiles.get(rt) ?? [])];
    for (const raw of new Set(claimed)) {
      if (typeof raw !== 'string') continue;
      const url = raw.split('|')[0];
      const profile = byUrl.get(url);
      if (!profile) {
        state.issues.push({
          severity: 'warning',
          code: 'not-supported',
          diagnostics: `Profile ${url} is not known to this server; the resource was not checked against it`,
          expression: [`${path}.meta.profile`],
        });
        continue;
      }
      // a claimed 'specialization' of the same type (mislabelled constraint) is still checked; the base definition itself is not walked twice
      if (profile.type !== rt || profile === table || (profile.derivation !== 'constraint' && profile.url === table.url)) continue;
      walkTable(deps, { ...state, profileMode: true, profileUrl: url }, profile, res, path);
    }
  }

  return {
    validate(resource: unknown, vopts: ValidateOptions = {}): ValidationIssue[] {
      if (vopts.mode === 'delete') return [];
      if (!resource || typeof resource !== 'object' || Array.isArray(resource)) {
        return [{ severity: 'fatal', code: 'structure', diagnostics: 'A resource must be a JSON object', expression: [] }];
      }
      const res = resource as Record<string, any>;
      if (typeof res.resourceType !== 'string') {
        return [{ severity: 'fatal', code: 'structure', diagnostics: 'The JSON object has no resourceType', expression: [] }];
      }
      const issues: ValidationIssue[] = [];
      try {
        const schemaIssues = checkSchema(schema, res);
        issues.push(...schemaIssues);
        if (vopts.mode === 'update' && !res.id) {
          issues.push({ severity: 'error', code: 'required', diagnostics: 'An update must carry the resource id', expression: [`${res.resourceType}.id`] });
        }
        const walked: ValidationIssue[] = [];
        validateResource(res, res.resourceType, undefined, vopts.profiles ?? [], {
          issues: walked,
          seen: new Set(),
          scope: { root: res, resolveReference: vopts.resolveReference },
          securityChecks: vopts.securityChecks ?? opts.securityChecks ?? true,
          noHtmlInMarkdown: vopts.noHtmlInMarkdown ?? false,
          allowExampleUrls: vopts.allowExampleUrls ?? true,
          unknownExtensions: vopts.unknownExtensions ?? 'warning',
          resolveCanonical: vopts.resolveCanonical,
        });
        const schemaKeys = new Set(schemaIssues.map((i) => `${i.code}|${i.expression[0]}`));
        for (const i of walked) if (!schemaKeys.has(`${i.code}|${i.expression[0]}`)) issues.push(i);
      } catch (e) {
        // never throw for invalid input: a crash inside a rule becomes an issue
        issues.push({
          severity: 'error',
          code: 'exception',
          diagnostics: `Validation could not complete: ${e instanceof Error ? e.message : String(e)}`,
          expression: [String(res.resourceType)],
        });
      }
      // errors first (the write gate reports them first); the sort is stable within a severity
      return issues.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
    },
    conformanceResources: () => profiles.resources.map((r) => structuredClone(r)),
    profileUrls(type: string): string[] {
      return [...byUrl.values()]
        .filter((t) => t.derivation === 'constraint' && t.type === type && (profiles.urls.has(t.url) || t.url.includes('/us/core/')))
        .map((t) => t.url);
    },
  };
}
