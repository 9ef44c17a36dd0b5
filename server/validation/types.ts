// Public shapes of the validation engine (issue codes from https://hl7.org/fhir/R4/valueset-issue-type.html).

export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';

export interface ValidationIssue {
  severity: IssueSeverity;
  /** FHIR issue-type code: structure, required, value, invariant, code-invalid, invalid … */
  code: string;
  diagnostics: string;
  /** FHIRPath locations, e.g. MedicationRequest.dosageInstruction[0].timing */
  expression: string[];
}

export interface ValidateOptions {
  /** profiles to check in addition to those claimed in meta.profile */
  profiles?: string[];
  mode?: 'create' | 'update' | 'delete';
  /** synchronous lookup used by resolve() and referenced-Medication rules; undefined = not available */
  resolveReference?: (reference: string) => fhir4.Resource | undefined;
}

export interface Validator {
  validate(resource: unknown, opts?: ValidateOptions): ValidationIssue[];
  /** StructureDefinitions, ValueSets, CodeSystems and ConceptMaps loaded from profiles/ */
  conformanceResources(): fhir4.Resource[];
  /** Titrate (and loaded US Core) profile canonicals whose type is `type` */
  profileUrls(type: string): string[];
}

export interface CreateValidatorOptions {
  profilesDir?: string;
  /** load the cached US Core 6.1.0 profiles so claims of them are checked (default true when cached) */
  usCore?: boolean;
  /** where build-schema.ts put the cache (default node_modules/.cache/titrate/validation) */
  cacheDir?: string;
}

export function isError(issue: ValidationIssue): boolean {
  return issue.severity === 'error' || issue.severity === 'fatal';
}
