// Compiles a StructureDefinition snapshot into the compact element table the walker checks
// (https://hl7.org/fhir/R4/elementdefinition.html); used at cache-build time and for profiles/.

export interface TypeRef {
  code: string;
  profiles?: string[];
  targets?: string[];
}

export interface Constraint {
  key: string;
  severity: 'error' | 'warning';
  human: string;
  expression: string;
}

export interface Discriminator {
  type: string;
  path: string;
}

export interface ElementRule {
  id: string;
  path: string;
  min: number;
  /** -1 for unbounded */
  max: number;
  types: TypeRef[];
  binding?: { strength: string; valueSet: string };
  /** additional bindings with purpose 'required' and no usage context (R5 ElementDefinition.binding.additional, used in R4 via its extension) */
  additionalRequired?: string[];
  constraints?: Constraint[];
  contentRef?: string;
  fixed?: unknown;
  pattern?: unknown;
  sliceName?: string;
  slicing?: { discriminator: Discriminator[]; rules: string };
  maxLength?: number;
  isModifier?: boolean;
  minValue?: unknown;
  maxValue?: unknown;
}

export interface TypeTable {
  url: string;
  /** the FHIR type this table constrains (Observation, Quantity …) */
  type: string;
  kind: string;
  derivation: 'specialization' | 'constraint';
  baseDefinition?: string;
  abstract: boolean;
  /** extension definitions: where the extension may be used (context expressions) */
  context?: string[];
  elements: ElementRule[];
}

interface SdLike {
  url: string;
  type: string;
  kind: string;
  abstract?: boolean;
  derivation?: string;
  baseDefinition?: string;
  snapshot?: { element: fhir4.ElementDefinition[] };
  context?: { type: string; expression: string }[];
}

/**
 * Invariants the walker implements natively (every element / every resource; fhirpath would dominate
 * the cost): dropped from compiled tables, which also keeps the cache small.
 */
export const NATIVE_CONSTRAINT_KEYS = new Set(['ele-1', 'ext-1', 'dom-2', 'dom-3', 'dom-4', 'dom-5', 'dom-6', 'txt-1', 'txt-2']);

const FHIRPATH_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';

/** `http://hl7.org/fhirpath/System.String` → the FHIR primitive named by the fhir-type extension */
function typeCode(t: fhir4.ElementDefinitionType): string {
  if (t.code.startsWith('http://hl7.org/fhirpath/')) {
    const ext = t.extension?.find((e) => e.url === FHIRPATH_TYPE_EXT);
    return (ext?.valueUrl ?? ext?.valueUri ?? 'string') as string;
  }
  return t.code;
}

function fixedOrPattern(el: Record<string, unknown>, prefix: 'fixed' | 'pattern' | 'minValue' | 'maxValue'): unknown {
  for (const k of Object.keys(el)) if (k.startsWith(prefix) && k.length > prefix.length) return el[k];
  return undefined;
}

const ADDITIONAL_BINDING = new Set([
  'http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional',
  'http://hl7.org/fhir/tools/StructureDefinition/additional-binding',
]);

export function compileElement(el: fhir4.ElementDefinition): ElementRule {
  const rule: ElementRule = {
    id: el.id ?? el.path,
    path: el.path,
    min: el.min ?? 0,
    max: el.max === '*' || el.max === undefined ? -1 : Number(el.max),
    types: (el.type ?? []).map((t) => {
      const ref: TypeRef = { code: typeCode(t) };
      if (t.profile?.length) ref.profiles = t.profile;
      if (t.targetProfile?.length) ref.targets = t.targetProfile;
      return ref;
    }),
  };
  if (el.binding?.valueSet && (el.binding.strength === 'required' || el.binding.strength === 'extensible')) {
    rule.binding = { strength: el.binding.strength, valueSet: el.binding.valueSet.split('|')[0] };
  }
  const additional = (el.binding?.extension ?? [])
    .filter((e) => ADDITIONAL_BINDING.has(e.url))
    .map((e) => new Map((e.extension ?? []).map((x) => [x.url, x.valueCode ?? x.valueCanonical ?? x.valueUsageContext])))
    .filter((m) => m.get('purpose') === 'required' && typeof m.get('valueSet') === 'string' && !m.has('usage'))
    .map((m) => (m.get('valueSet') as string).split('|')[0]);
  if (additional.length) rule.additionalRequired = additional;
  const constraints = (el.constraint ?? []).filter((c) => c.expression && !NATIVE_CONSTRAINT_KEYS.has(c.key));
  if (constraints.length) {
    rule.constraints = constraints.map((c) => ({
      key: c.key,
      severity: c.severity === 'warning' ? 'warning' : 'error',
      human: c.human,
      expression: c.expression!,
    }));
  }
  if (el.contentReference) rule.contentRef = el.contentReference.slice(el.contentReference.indexOf('#') + 1);
  const fixed = fixedOrPattern(el as unknown as Record<string, unknown>, 'fixed');
  if (fixed !== undefined) rule.fixed = fixed;
  const pattern = fixedOrPattern(el as unknown as Record<string, unknown>, 'pattern');
  if (pattern !== undefined) rule.pattern = pattern;
  if (el.sliceName) rule.sliceName = el.sliceName;
  if (el.slicing) {
    rule.slicing = {
      discriminator: (el.slicing.discriminator ?? []).map((d) => ({ type: d.type, path: d.path })),
      rules: el.slicing.rules ?? 'open',
    };
  }
  if (el.maxLength) rule.maxLength = el.maxLength;
  if (el.isModifier) rule.isModifier = true;
  const minValue = fixedOrPattern(el as unknown as Record<string, unknown>, 'minValue');
  if (minValue !== undefined) rule.minValue = minValue;
  const maxValue = fixedOrPattern(el as unknown as Record<string, unknown>, 'maxValue');
  if (maxValue !== undefined) rule.maxValue = maxValue;
  return rule;
}

export function compileStructureDefinition(sd: SdLike): TypeTable {
  return {
    url: sd.url,
    type: sd.type,
    kind: sd.kind,
    derivation: sd.derivation === 'constraint' ? 'constraint' : 'specialization',
    baseDefinition: sd.baseDefinition,
    abstract: sd.abstract ?? false,
    ...(sd.context?.length ? { context: sd.context.map((c) => c.expression) } : {}),
    elements: (sd.snapshot?.element ?? []).map(compileElement),
  };
}
