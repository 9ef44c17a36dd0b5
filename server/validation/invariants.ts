// Invariant evaluation: ElementDefinition.constraint expressions compiled once with fhirpath, with a
// synchronous resolve() (reference notes §3) and native versions of the per-element/narrative rules.
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4';
import { NATIVE_CONSTRAINT_KEYS } from './element-table.ts';

type Compiled = (data: unknown, env?: Record<string, unknown>) => unknown[];

export interface ResolveScope {
  root: Record<string, any>;
  /** %resource: the resource whose content is being checked */
  resource?: unknown;
  resolveReference?: (reference: string) => fhir4.Resource | undefined;
}

/**
 * Constraints handled natively by the walker (every element / every resource, so fhirpath would
 * dominate the cost) or not evaluable without external content.
 */
export const NATIVE_KEYS = NATIVE_CONSTRAINT_KEYS;

/** R4 invariants with published errata, replaced as the HL7 Java validator does */
const ERRATA: Record<string, string> = {
  // R4 says "> 2"; the rule text and R4B/R5 say more than one enableWhen
  'que-12': 'enableWhen.count() > 1 implies enableBehavior.exists()',
};

export function fixedExpression(key: string, expression: string): string {
  return ERRATA[key] ?? expression;
}

let scope: ResolveScope | undefined;

type Node = Record<string, any>;
const has = (v: unknown) => v !== undefined && v !== null;
const UCUM = 'http://unitsofmeasure.org';

/**
 * The datatype invariants met on nearly every resource, written out in JS because fhirpath costs
 * 5–20 µs per evaluation (reference notes §3); each mirrors the R4 expression quoted beside it.
 */
export const NATIVE_INVARIANTS: Record<string, (n: Node, s: ResolveScope) => boolean | undefined> = {
  // start.hasValue().not() or end.hasValue().not() or (start <= end): decided here when both have the
  // same precision and zone form; otherwise (undefined) fhirpath decides
  'per-1': (n) => {
    if (typeof n.start !== 'string' || typeof n.end !== 'string') return true;
    if (n.start.length !== n.end.length || (n.start.length > 10 && !(n.start.endsWith('Z') && n.end.endsWith('Z')))) return undefined;
    return n.start <= n.end;
  },
  // low.empty() or high.empty() or (low <= high)
  'rng-2': (n) => {
    if (!n.low || !n.high) return true;
    if (typeof n.low.value !== 'number' || typeof n.high.value !== 'number' || n.low.code !== n.high.code || n.low.system !== n.high.system) return undefined;
    return n.low.value <= n.high.value;
  },
  // reference.startsWith('#').not() or (reference.substring(1) in %rootResource.contained.id)
  'ref-1': (n, s) =>
    typeof n.reference !== 'string' ||
    !n.reference.startsWith('#') ||
    n.reference === '#' ||
    (Array.isArray(s.root.contained) && s.root.contained.some((c: Node) => c?.id === n.reference.slice(1))),
  'tim-1': (n) => !has(n.duration) || has(n.durationUnit),
  'tim-2': (n) => !has(n.period) || has(n.periodUnit),
  'tim-4': (n) => typeof n.duration !== 'number' || n.duration >= 0,
  'tim-5': (n) => typeof n.period !== 'number' || n.period >= 0,
  'tim-6': (n) => !has(n.periodMax) || has(n.period),
  'tim-7': (n) => !has(n.durationMax) || has(n.duration),
  'tim-8': (n) => !has(n.countMax) || has(n.count),
  'tim-9': (n) =>
    !has(n.offset) || (Array.isArray(n.when) && n.when.length > 0 && !n.when.some((w: string) => ['C', 'CM', 'CD', 'CV'].includes(w))),
  'tim-10': (n) => !has(n.timeOfDay) || !has(n.when),
  // code.empty() or system.exists()
  'qty-3': (n) => !has(n.code) || has(n.system),
  'sqty-1': (n) => !has(n.comparator),
  // (numerator.empty() xor denominator.exists()) and (numerator.exists() or extension.exists())
  'rat-1': (n) => !has(n.numerator) !== has(n.denominator) && (has(n.numerator) || has(n.extension)),
  'drt-1': (n) => !has(n.code) || (n.system === UCUM && has(n.value)),
  'att-1': (n) => !has(n.data) || has(n.contentType),
  'cpt-2': (n) => !has(n.value) || has(n.system),
};

const ResourceNode = (
  fhirpath.evaluate({ resourceType: 'Basic' }, 'Basic', undefined, r4model, { resolveInternalTypes: false })[0] as {
    constructor: { makeResNode: (...a: unknown[]) => unknown };
  }
).constructor;

function referenceString(item: any): string | undefined {
  const data = item?.data !== undefined ? item.data : item;
  if (typeof data === 'string') return data;
  if (data && typeof data.reference === 'string') return data.reference;
  return undefined;
}

/** `Patient/1`, `http://x/fhir/Patient/1/_history/2`, `#med`, `urn:uuid:…` → a resource or a typed stub */
export function resolveWithin(current: ResolveScope | undefined, ref: string): Record<string, any> | undefined {
  if (!current) return undefined;
  const root = current.root;
  if (ref.startsWith('#')) {
    return (root.contained as any[] | undefined)?.find((c) => c?.id === ref.slice(1));
  }
  if (root.resourceType === 'Bundle' && Array.isArray(root.entry)) {
    const hit = root.entry.find((e: any) => e?.fullUrl === ref || (e?.resource && `${e.resource.resourceType}/${e.resource.id}` === ref));
    if (hit?.resource) return hit.resource;
  }
  const found = current.resolveReference?.(ref);
  if (found) return found as Record<string, any>;
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(ref);
  return m ? { resourceType: m[1], id: m[2] } : undefined;
}

const invocationTable = {
  resolve: {
    fn(this: unknown, inputs: unknown[]) {
      const out: unknown[] = [];
      for (const input of inputs) {
        const ref = referenceString(input);
        const target = ref ? resolveWithin(scope, ref) : undefined;
        if (target) out.push(ResourceNode.makeResNode(this, target, null, null, null, null));
      }
      return out;
    },
    arity: { 0: [] },
    internalStructures: true,
  },
};

export interface ConstraintFailure {
  failed: boolean;
  /** compile/evaluation problem: the invariant could not be checked */
  error?: string;
}

export class InvariantEngine {
  private readonly compiled = new Map<string, Compiled | Error>();

  compile(base: string, expression: string): Compiled | Error {
    const key = `${base}\u0000${expression}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      try {
        fn = fhirpath.compile({ base, expression }, r4model, { userInvocationTable: invocationTable as never, traceFn: () => undefined }) as Compiled;
      } catch (e) {
        fn = e instanceof Error ? e : new Error(String(e));
      }
      this.compiled.set(key, fn);
    }
    return fn;
  }

  /**
   * evaluates a constraint on one node; it holds when the result is [true] or empty (unknown, e.g. dates of
   * different precision). The HL7 Java validator counts empty as failed (FHIRPathEngine.convertToBoolean).
   */
  check(base: string, expression: string, node: unknown, env: ResolveScope): ConstraintFailure {
    const fn = this.compile(base, expression);
    if (fn instanceof Error) return { failed: false, error: fn.message };
    const previous = scope;
    scope = env;
    try {
      const result = fn(node, { resource: env.resource, rootResource: env.root });
      if (result.length === 0) return { failed: false };
      return { failed: !(result.length === 1 && result[0] === true) };
    } catch (e) {
      return { failed: false, error: e instanceof Error ? e.message : String(e) };
    } finally {
      scope = previous;
    }
  }
}

/** Runs an arbitrary FHIRPath expression on a resource (used by profile rules and tests). */
export function evaluatePath(resource: unknown, expression: string, env: ResolveScope): unknown[] {
  const previous = scope;
  scope = env;
  try {
    return fhirpath.evaluate(resource as object, expression, { resource, rootResource: env.root }, r4model, {
      userInvocationTable: invocationTable as never,
      traceFn: () => undefined,
    }) as unknown[];
  } finally {
    scope = previous;
  }
}
