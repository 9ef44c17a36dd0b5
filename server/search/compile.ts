// SearchParameter → CompiledParam: a getter per expression (property access, fhirpath for the rest) and aliases
// that let a parameter read another's rows instead of writing duplicates.
import { createRequire } from 'node:module';
import type { ParamDef, ParamType } from './params.ts';
import { compilePath, splitUnion, type Getter } from './path.ts';

const require = createRequire(import.meta.url);

export interface CompiledParam {
  name: string;
  type: ParamType;
  def: ParamDef;
  get: Getter;
  components?: { type: ParamType; get: Getter }[];
  /**
   * Where the rows live. Usually [name]; an alias reads other parameters' rows instead of writing its own
   * (phonetic = name; patient = subject with a Patient target; combo-code = code ∪ component-code).
   */
  stored: string[];
  /** For `X.where(resolve() is T)` aliases: the target type the rows must have. */
  targetType?: string;
}

/** resolve() without I/O: a typed stub built from the reference string, enough for `resolve() is Patient`. */
const resolveSync = {
  internalStructures: true,
  arity: { 0: [] },
  fn(this: unknown, inputs: { data?: { reference?: string }; constructor: { makeResNode: Function } }[]) {
    const out: unknown[] = [];
    for (const node of inputs) {
      const ref = node?.data?.reference;
      const m = typeof ref === 'string' ? /([A-Za-z]+)\/([^/]+)(\/_history\/[^/]+)?$/.exec(ref) : null;
      if (m) out.push(node.constructor.makeResNode(this, { resourceType: m[1], id: m[2] }, null, null, null, null));
    }
    return out;
  },
};

/** The FHIRPath engine for expressions plain property access cannot express (about 1 in 800). */
function compileFhirpath(expr: string): Getter {
  let fn: ((r: unknown, env: Record<string, unknown>) => unknown[]) | undefined;
  return (node, root) => {
    // Loaded on first use: the fhirpath package costs ~300 ms to import, and only 3 of 2,571 expressions need it.
    fn ??= require('fhirpath').compile(expr, require('fhirpath/fhir-context/r4'), { userInvocationTable: { resolve: resolveSync } }) as never;
    try {
      return fn!(node, { resource: root ?? node });
    } catch {
      return [];
    }
  };
}

export function compileParam(type: string, name: string, def: ParamDef): CompiledParam {
  const get = compilePath(def.expr, type, type) ?? compileFhirpath(def.expr);
  const ctx = /^[A-Za-z]+(\.[a-z][A-Za-z]*)*$/.test(def.expr) ? def.expr : undefined;
  const components = def.components?.map((c) => ({ type: c.type, get: compilePath(c.expr, undefined, ctx) ?? compileFhirpath(c.expr) }));
  return { name, type: def.type, def, get, components, stored: [name] };
}

const shape = (d: ParamDef, expr = d.expr) => `${d.type}\u0000${expr}\u0000${JSON.stringify(d.components ?? [])}`;

/** Marks parameters whose rows another parameter already writes (fewer rows per resource, same answers). */
export function findAliases(params: Map<string, CompiledParam>): void {
  const byShape = new Map<string, string>();
  for (const p of params.values()) {
    const key = shape(p.def);
    const first = byShape.get(key);
    if (first) p.stored = [first];
    else byShape.set(key, p.name);
  }
  for (const p of params.values()) {
    if (p.stored[0] !== p.name) continue;
    const resolveIs = /^(.+)\.where\(resolve\(\) is ([A-Za-z]+)\)$/.exec(p.def.expr);
    const base = resolveIs && p.type === 'reference' ? byShape.get(shape(p.def, resolveIs[1])) : undefined;
    if (base && base !== p.name) {
      p.stored = [base];
      p.targetType = resolveIs![2];
      continue;
    }
    // A union of other parameters' whole expressions: cover the branches greedily, longest run first.
    const branches = splitUnion(p.def.expr);
    if (branches.length < 2) continue;
    const members: string[] = [];
    for (let i = 0; i < branches.length; ) {
      let k = branches.length - i;
      for (; k > 0; k--) {
        const m = byShape.get(shape(p.def, branches.slice(i, i + k).join(' | ')));
        if (m && m !== p.name && params.get(m)!.stored[0] === m) {
          members.push(m);
          break;
        }
      }
      if (k === 0) break;
      i += k;
    }
    if (members.length > 1 && members.reduce((n, m) => n + splitUnion(params.get(m)!.def.expr).length, 0) === branches.length) p.stored = members;
  }
}

