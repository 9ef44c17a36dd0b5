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
  /** refuse active HTML (script, frames, event handlers) in string/markdown values; default from createValidator */
  securityChecks?: boolean;
  /** refuse markup in markdown values (HL7 Java validator "noHtmlInMarkdown" mode); default false */
  noHtmlInMarkdown?: boolean;
  /** severity for extensions with no known definition outside hl7.org/fhir (default 'warning': EHR vendor extensions) */
  unknownExtensions?: 'warning' | 'error';
  /** accept example.org/example.com URLs; default true (false suits production feeds) */
  allowExampleUrls?: boolean;
  /** canonical URL → conformance resource (Questionnaire for QuestionnaireResponse.questionnaire …), after profiles/ */
  resolveCanonical?: (url: string) => fhir4.Resource | undefined;
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
  /** extra conformance resources (StructureDefinition, ValueSet, CodeSystem, Questionnaire) loaded like profiles/ */
  resources?: fhir4.Resource[];
  /** default for ValidateOptions.securityChecks (true: Titrate shows these values inside EHR iframes) */
  securityChecks?: boolean;
  /** where build-schema.ts put the cache (default node_modules/.cache/titrate/validation) */
  cacheDir?: string;
}

export function isError(issue: ValidationIssue): boolean {
  return issue.severity === 'error' || issue.severity === 'fatal';
}
