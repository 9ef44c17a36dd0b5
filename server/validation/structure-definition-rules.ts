// Rules on a submitted StructureDefinition (constraint) that its own invariants leave to the validator
// (https://hl7.org/fhir/R4/profiling.html, https://hl7.org/fhir/R4/elementdefinition.html):
// differential paths name real elements (renamed choices name one of the allowed types), slicing
// discriminator paths exist on the sliced element, and a fixed value of the base is not changed.
import { isDeepStrictEqual } from 'node:util';
import { loadCoreDefinition } from './snapshot.ts';
import type { ValidationIssue } from './types.ts';

type Ed = fhir4.ElementDefinition;
type Node = Record<string, any>;

const CORE = 'http://hl7.org/fhir/StructureDefinition/';
const coreCache = new Map<string, Ed[] | undefined>();

/** snapshot elements of a core type or resource */
function coreElements(type: string): Ed[] | undefined {
  if (!coreCache.has(type)) coreCache.set(type, loadCoreDefinition(CORE + type)?.snapshot?.element);
  return coreCache.get(type);
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The element definitions a path (from the type's root, slice names removed) can reach, following
 * datatypes, renamed choices and contentReference; undefined when the path names no element, 'unknown'
 * when it cannot be decided (passes through an abstract Resource or an unknown type).
 */
function resolvePath(root: string, segments: string[]): Ed | 'unknown' | undefined {
  let elements = coreElements(root);
  if (!elements) return 'unknown';
  let curPath = root;
  let cur: Ed | undefined = elements[0];
  for (const seg of segments) {
    let found = false;
    for (let hop = 0; hop < 4 && !found; hop++) {
      const direct = elements.find((e) => e.path === `${curPath}.${seg}`);
      if (direct) {
        cur = direct;
        curPath = direct.path;
        found = true;
        break;
      }
      const choice = elements.find((e) => {
        if (!e.path.endsWith('[x]') || !e.path.startsWith(`${curPath}.`)) return false;
        const name = e.path.slice(curPath.length + 1, -3);
        return !name.includes('.') && (seg === name || (seg.startsWith(name) && (e.type ?? []).some((t) => cap(t.code) === seg.slice(name.length))));
      });
      if (choice) {
        const name = choice.path.slice(curPath.length + 1, -3);
        const t = seg === name ? undefined : (choice.type ?? []).find((x) => cap(x.code) === seg.slice(name.length));
        cur = choice;
        curPath = choice.path;
        found = true;
        if (t) {
          // a renamed choice continues inside that datatype
          const next = coreElements(t.code);
          if (!next) return 'unknown';
          elements = next;
          curPath = t.code;
          cur = next[0];
        }
        break;
      }
      if (cur?.contentReference) {
        curPath = cur.contentReference.slice(cur.contentReference.indexOf('#') + 1);
        cur = elements.find((e) => e.path === curPath);
        continue;
      }
      // the current element is a datatype (or resource) whose children are defined by that type
      const types = cur?.type ?? [];
      if (types.length !== 1) return types.length ? 'unknown' : undefined;
      const code = types[0].code;
      if (code === 'Resource' || code === 'DomainResource') return 'unknown';
      const next = coreElements(code);
      if (!next) return 'unknown';
      elements = next;
      curPath = code;
      cur = next[0];
    }
    if (!found) return undefined;
  }
  return cur;
}

const splitPath = (path: string) => path.split('.');

function fixedOf(el: Node | undefined): [string, unknown] | undefined {
  if (!el) return undefined;
  const k = Object.keys(el).find((x) => x.startsWith('fixed'));
  return k ? [k, el[k]] : undefined;
}

export function checkStructureDefinition(
  sd: Node,
  path: string,
  resolveCanonical: (url: string) => Node | undefined,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (sd.derivation !== 'constraint' || typeof sd.type !== 'string' || !Array.isArray(sd.differential?.element)) return issues;
  if (!coreElements(sd.type)) return issues; // logical models and unknown types: not decided here
  const error = (where: string, diagnostics: string) => issues.push({ severity: 'error', code: 'invalid', diagnostics, expression: [where] });
  const baseUrl = typeof sd.baseDefinition === 'string' ? sd.baseDefinition.split('|')[0] : undefined;
  const base = baseUrl ? (loadCoreDefinition(baseUrl) ?? resolveCanonical(baseUrl)) : undefined;
  const baseElements: Node[] = base?.resourceType === 'StructureDefinition' ? (base.snapshot?.element ?? base.differential?.element ?? []) : [];

  (sd.differential.element as Node[]).forEach((el, i) => {
    const where = `${path}.differential.element[${i}]`;
    if (!el || typeof el.path !== 'string') return;
    const segs = splitPath(el.path);
    if (segs[0] !== sd.type) {
      error(`${where}.path`, `The path '${el.path}' does not start with the type ${sd.type}`);
      return;
    }
    const target = resolvePath(sd.type, segs.slice(1));
    if (target === undefined) {
      error(`${where}.path`, `The path '${el.path}' does not name an element of ${sd.type} (a renamed choice must name one of its types)`);
      return;
    }
    for (const [j, d] of (Array.isArray(el.slicing?.discriminator) ? el.slicing.discriminator : []).entries()) {
      const p = d?.path;
      if (typeof p !== 'string' || p === '$this' || /[()$]/.test(p)) continue;
      if (resolvePath(sd.type, [...segs.slice(1), ...splitPath(p)]) === undefined) {
        error(`${where}.slicing.discriminator[${j}]`, `The discriminator path '${p}' does not appear to be valid for the element that is being sliced '${el.path}'`);
      }
    }
    const fixed = fixedOf(el);
    if (fixed) {
      const id = typeof el.id === 'string' ? el.id : el.path;
      const inherited = fixedOf(baseElements.find((b) => b?.id === id));
      if (inherited && !isDeepStrictEqual(inherited[1], fixed[1])) {
        error(`${where}.${fixed[0]}`, `Value is ${JSON.stringify(fixed[1])} but is fixed to ${JSON.stringify(inherited[1])} in the base definition ${baseUrl}`);
      }
    }
  });
  return issues;
}
