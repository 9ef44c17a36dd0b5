// Compiles the simple FHIRPath shapes of SearchParameter expressions to plain property access
// (https://hl7.org/fhir/R4/searchparameter.html#expression); returns undefined for anything else.
import { model, nextContext } from './model.ts';

/** Values reached by an expression: raw JSON nodes (objects or primitives), arrays flattened. */
export type Getter = (node: unknown, root?: unknown) => unknown[];

type Step = (values: unknown[], root: unknown) => unknown[];

/** Splits an expression on top-level `|` (outside parentheses and quotes). */
export function splitUnion(expr: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (ch === "'") quote = !quote;
    else if (!quote && ch === '(') depth++;
    else if (!quote && ch === ')') depth--;
    else if (!quote && depth === 0 && ch === '|') {
      out.push(expr.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(expr.slice(start).trim());
  return out;
}

const upper = (s: string) => s[0].toUpperCase() + s.slice(1);

function anyChoiceStep(name: string): Step {
  const plain = propStep(name);
  return (values, root) => {
    const direct = plain(values, root);
    if (direct.length) return direct;
    const out: unknown[] = [];
    for (const v of values) {
      if (typeof v !== 'object') continue;
      for (const k in v as Record<string, unknown>) {
        if (k.length > name.length && k.startsWith(name) && k[name.length] >= 'A' && k[name.length] <= 'Z') push(out, (v as Record<string, unknown>)[k]);
      }
    }
    return out;
  };
}

function push(out: unknown[], v: unknown): void {
  if (v === undefined || v === null) return;
  if (Array.isArray(v)) {
    for (const x of v) if (x !== undefined && x !== null) out.push(x);
  } else out.push(v);
}

function propStep(name: string): Step {
  return (values) => {
    const out: unknown[] = [];
    for (const v of values) if (typeof v === 'object') push(out, (v as Record<string, unknown>)[name]);
    return out;
  };
}

function choiceStep(name: string, types: string[]): Step {
  const keys = types.map((t) => name + upper(t));
  return (values) => {
    const out: unknown[] = [];
    for (const v of values) {
      if (typeof v !== 'object') continue;
      const o = v as Record<string, unknown>;
      for (const k of keys) push(out, o[k]);
    }
    return out;
  };
}

/** A reference node whose target is of `type` (relative, absolute or contained). */
function refIsType(ref: unknown, type: string, root: unknown): boolean {
  const r = (ref as { reference?: unknown } | null)?.reference;
  if (typeof r !== 'string') return (ref as { type?: unknown } | null)?.type === type;
  if (r.startsWith('#')) {
    const contained = (root as { contained?: { id?: string; resourceType?: string }[] }).contained ?? [];
    return contained.some((c) => `#${c.id}` === r && c.resourceType === type);
  }
  const parts = r.replace(/\/_history\/[^/]+$/, '').split('/');
  return parts.length >= 2 && parts[parts.length - 2] === type;
}

const IDENT = /^[A-Za-z][A-Za-z0-9_]*/;

class Parser {
  pos = 0;
  constructor(readonly s: string) {}
  rest(): string {
    return this.s.slice(this.pos);
  }
  eat(re: RegExp): RegExpExecArray | null {
    const m = re.exec(this.rest());
    if (m) this.pos += m[0].length;
    return m;
  }
}

/**
 * Compiles one union branch. `ctx` is the type context for choice detection; `rootType` the resource
 * type a branch may start with (absent for composite component expressions, which start at a property).
 */
function compileBranch(src: string, rootType: string | undefined, ctx0: string | undefined): Step[] | undefined {
  const p = new Parser(src.trim());
  const steps: Step[] = [];
  let ctx = ctx0;
  let lastProp: { name: string; ctxBefore: string | undefined } | undefined;
  let parenDepth = 0;
  while (p.eat(/^\(/)) parenDepth++;
  let first = true;
  while (p.pos < p.s.length) {
    if (!first && p.eat(/^\)/)) {
      if (parenDepth-- <= 0) return undefined;
      continue;
    }
    if (!first && !p.eat(/^\./)) {
      const asType = p.eat(/^\s+as\s+([A-Za-z]+)/);
      if (!asType || !lastProp) return undefined;
      steps.pop();
      steps.push(propStep(lastProp.name + upper(asType[1])));
      ctx = asType[1][0] === asType[1][0].toUpperCase() ? asType[1] : undefined;
      lastProp = undefined;
      continue;
    }
    const fn = p.eat(/^(as|ofType)\(([A-Za-z]+)\)/);
    if (fn) {
      if (!lastProp) return undefined;
      steps.pop();
      steps.push(propStep(lastProp.name + upper(fn[2])));
      ctx = fn[2];
      lastProp = undefined;
      first = false;
      continue;
    }
    const resolveIs = p.eat(/^where\(resolve\(\) is ([A-Za-z]+)\)/);
    if (resolveIs) {
      const type = resolveIs[1];
      steps.push((values, root) => values.filter((v) => refIsType(v, type, root)));
      lastProp = undefined;
      continue;
    }
    const eq = p.eat(/^where\(([A-Za-z]+)\s*=\s*'([^']*)'\)/);
    if (eq) {
      const [, prop, lit] = eq;
      steps.push((values) => values.filter((v) => typeof v === 'object' && (v as Record<string, unknown>)[prop] === lit));
      lastProp = undefined;
      continue;
    }
    const id = p.eat(IDENT);
    if (!id) return undefined;
    const name = id[0];
    if (first && rootType && (name === rootType || name === 'Resource' || name === 'DomainResource')) {
      first = false;
      continue;
    }
    first = false;
    const full = ctx ? `${ctx}.${name}` : undefined;
    const choice = full ? model().choices[full] : undefined;
    steps.push(choice ? choiceStep(name, choice) : !ctx && model().choiceNames.has(name) ? anyChoiceStep(name) : propStep(name));
    lastProp = { name, ctxBefore: ctx };
    ctx = choice ? undefined : nextContext(ctx, name);
    const index = p.eat(/^\[(\d+)\]/);
    if (index) {
      const n = Number(index[1]);
      steps.push((values) => (values.length > n ? [values[n]] : []));
      lastProp = undefined;
    }
  }
  if (parenDepth !== 0) return undefined;
  return steps;
}

/**
 * Compiles an expression to a getter, or undefined when it needs the full FHIRPath engine.
 * `ctx` is the type path the expression starts from (a resource type, or e.g. `Observation.component`).
 */
/** Hand-compiled expressions too irregular for the path grammar (FHIRPath semantics spelled out). */
const SPECIAL: Record<string, Getter> = {
  // `false and {}` is false: a patient without deceased[x] is indexed as deceased=false.
  'Patient.deceased.exists() and Patient.deceased != false': (r) => {
    const p = r as { deceasedBoolean?: boolean; deceasedDateTime?: string };
    return [p.deceasedDateTime !== undefined || p.deceasedBoolean === true];
  },
};

export function compilePath(expr: string, rootType: string | undefined, ctx: string | undefined): Getter | undefined {
  if (SPECIAL[expr]) return SPECIAL[expr];
  const branches: Step[][] = [];
  for (const b of splitUnion(expr)) {
    const steps = compileBranch(b, rootType, ctx);
    if (!steps) return undefined;
    branches.push(steps);
  }
  return (node, root = node) => {
    const out: unknown[] = [];
    for (const steps of branches) {
      let values: unknown[] = [node];
      for (const step of steps) {
        if (values.length === 0) break;
        values = step(values, root);
      }
      for (const v of values) out.push(v);
    }
    return out;
  };
}
