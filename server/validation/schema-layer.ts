// Layer 1: the official R4 JSON schema through the prebuilt ajv standalone module; ajv errors → issues.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import vm from 'node:vm';
import type { ValidationIssue } from './types.ts';

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, any>;
  message?: string;
}

type SchemaFn = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/**
 * Loads the 11 MB generated module through vm.Script with a V8 code cache kept next to it: this skips
 * loader hooks (tsx) and most of the parse/compile cost on every start after the first.
 */
export function loadSchemaValidator(cacheDir: string): SchemaFn {
  const file = resolve(cacheDir, 'fhir-schema.cjs');
  const codeCache = `${file}.v8cache`;
  const cachedData = existsSync(codeCache) ? readFileSync(codeCache) : undefined;
  const script = new vm.Script(`(function (module, exports, require) {${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    cachedData,
  });
  const mod: { exports: Record<string, any> } = { exports: {} };
  // ajv runtime helpers resolve from this project, wherever the cache directory is
  script.runInThisContext()(mod, mod.exports, createRequire(import.meta.url));
  if (!cachedData || script.cachedDataRejected) {
    try {
      const tmp = `${codeCache}.${process.pid}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, codeCache);
    } catch {
      // a read-only cache directory only costs start-up time
    }
  }
  return (mod.exports.fhir ?? mod.exports.default?.fhir) as SchemaFn;
}

/** `/entry/0/resource/name` on a Bundle → `Bundle.entry[0].resource.name` */
export function pointerToPath(root: string, pointer: string): string {
  let out = root;
  for (const seg of pointer.split('/').slice(1)) {
    const s = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(s) ? `[${s}]` : `.${s}`;
  }
  return out;
}

function describe(e: AjvError): { code: string; text: string; extra?: string } {
  switch (e.keyword) {
    case 'additionalProperties':
      return { code: 'structure', text: `Unrecognized property '${e.params.additionalProperty}'`, extra: e.params.additionalProperty };
    case 'required':
      return { code: 'required', text: `Missing required property '${e.params.missingProperty}'`, extra: e.params.missingProperty };
    case 'type':
      return { code: 'structure', text: `Wrong JSON type: expected ${e.params.type}` };
    case 'pattern':
      return { code: 'value', text: `Value does not match the primitive format ${e.params.pattern}` };
    case 'enum':
      return { code: 'code-invalid', text: `Value is not one of ${(e.params.allowedValues as unknown[]).slice(0, 12).join(', ')}` };
    case 'const':
      return { code: 'value', text: `Value must be '${e.params.allowedValue}'` };
    case 'discriminator':
      return { code: 'structure', text: e.params.error === 'mapping' ? 'Unknown resourceType' : 'Missing resourceType' };
    case 'minItems':
      return { code: 'structure', text: 'Array cannot be empty - the property should not be present if it has no values' };
    default:
      return { code: 'structure', text: e.message ?? e.keyword };
  }
}

/** Runs the schema; issues carry FHIRPath-style locations rooted at the resource type. */
export function checkSchema(validate: SchemaFn, resource: unknown): ValidationIssue[] {
  if (validate(resource)) return [];
  const root = (resource as { resourceType?: unknown })?.resourceType;
  const rootName = typeof root === 'string' ? root : 'Resource';
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const e of validate.errors ?? []) {
    // oneOf/anyOf wrappers repeat the branch errors; the branch errors say more
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    const d = describe(e);
    let path = pointerToPath(rootName, e.instancePath);
    if (d.extra !== undefined) path += `.${d.extra}`;
    const key = `${path}|${d.text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ severity: 'error', code: d.code, diagnostics: d.text, expression: [path] });
  }
  return issues;
}
