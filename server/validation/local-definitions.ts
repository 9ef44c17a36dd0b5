// CodeSystem displays and ValueSet compose systems from the official R4 definitions
// (hl7.fhir.r4.examples Bundle-valuesets.json, Bundle-v3-valuesets.json, Bundle-v2-valuesets.json), read on
// first use only (QuestionnaireResponse answers against answerValueSet / unitValueSet): ~20 MB of JSON.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EXTERNAL_CODE_SYSTEMS } from './external-code-systems.ts';

interface Concept {
  code: string;
  display?: string;
  designation?: { value?: string }[];
  concept?: Concept[];
}

let codeSystems: Map<string, fhir4.CodeSystem> | undefined;
let valueSets: Map<string, fhir4.ValueSet> | undefined;
const displayIndex = new Map<string, Map<string, string[]>>();

function load(): void {
  if (codeSystems && valueSets) return;
  codeSystems = new Map();
  valueSets = new Map();
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
  } catch {
    return;
  }
  for (const name of ['Bundle-valuesets.json', 'Bundle-v3-valuesets.json', 'Bundle-v2-valuesets.json']) {
    try {
      const bundle = JSON.parse(readFileSync(join(dir, name), 'utf8')) as fhir4.Bundle;
      for (const e of bundle.entry ?? []) {
        const r = e.resource;
        // keep only what the lookups read: complete concept trees and composes (the bundles are ~20 MB)
        if (r?.resourceType === 'CodeSystem' && r.url && !codeSystems.has(r.url) && r.content === 'complete') {
          codeSystems.set(r.url, { resourceType: 'CodeSystem', status: r.status, content: r.content, url: r.url, concept: r.concept });
        }
        if (r?.resourceType === 'ValueSet' && r.url && !valueSets.has(r.url) && r.compose) {
          valueSets.set(r.url, { resourceType: 'ValueSet', status: r.status, url: r.url, compose: r.compose });
        }
      }
    } catch {
      // a missing bundle only narrows what can be checked
    }
  }
}

function index(concepts: Concept[] | undefined, out: Map<string, string[]>): void {
  for (const c of concepts ?? []) {
    const names = [c.display, ...(c.designation ?? []).map((d) => d.value)].filter((x): x is string => typeof x === 'string');
    out.set(c.code, names);
    index(c.concept, out);
  }
}

/**
 * code → display and designations for every code of `system`: from its complete R4 CodeSystem, or from the
 * R4 ValueSet that lists an external system (ISO 3166-1 alpha-2); undefined when neither exists.
 */
function codesOf(system: string): Map<string, string[]> | undefined {
  let byCode = displayIndex.get(system);
  if (!byCode) {
    load();
    const cs = codeSystems!.get(system);
    byCode = new Map();
    if (cs?.content === 'complete') index(cs.concept as Concept[], byCode);
    const listedBy = EXTERNAL_CODE_SYSTEMS[system]?.listedBy;
    if (!byCode.size && listedBy) {
      for (const inc of valueSets!.get(listedBy)?.compose?.include ?? []) if (inc.system === system) index(inc.concept as Concept[], byCode);
    }
    displayIndex.set(system, byCode);
  }
  return byCode.size ? byCode : undefined;
}

/**
 * The display and designations of `code` in a complete R4 CodeSystem (or the R4 list of an external one);
 * undefined when the system is not defined locally in full, the code is unknown, or it has no display
 * (nothing to compare with).
 */
export function localDisplays(system: string, code: string): string[] | undefined {
  const names = codesOf(system)?.get(code);
  return names?.length ? names : undefined;
}

/** displays compare ignoring case and runs of whitespace, as the HL7 Java validator does */
export function displayMatches(display: string, names: string[]): boolean {
  const norm = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();
  const d = norm(display);
  return names.some((n) => norm(n) === d);
}

/**
 * Every code system an R4 ValueSet can draw codes from (its compose includes, following included
 * ValueSets); undefined when that cannot be decided locally.
 */
export function valueSetSystems(url: string, depth = 0): Set<string> | undefined {
  load();
  const vs = valueSets!.get(url.split('|')[0]);
  if (!vs?.compose?.include?.length || depth > 8) return undefined;
  const out = new Set<string>();
  for (const inc of vs.compose.include) {
    if (inc.system) {
      out.add(inc.system);
      continue;
    }
    if (!inc.valueSet?.length) return undefined;
    // an include of ValueSets only is their intersection: the union of their systems is a superset
    for (const u of inc.valueSet) {
      const sub = valueSetSystems(u, depth + 1);
      if (!sub) return undefined;
      for (const s of sub) out.add(s);
    }
  }
  return out;
}

/** can no code system that this compose include draws on have `code`? undefined when that cannot be decided */
function isOutsideInclude(inc: fhir4.ValueSetComposeInclude, code: string, depth: number): boolean | undefined {
  if (inc.system) {
    if (inc.concept?.length) return !inc.concept.some((c) => c.code === code);
    // filters only narrow a system: a code the system does not have is outside whatever the filter
    const complete = codeSystems!.get(inc.system)?.content === 'complete' ? codesOf(inc.system) : undefined;
    if (complete) return !complete.has(code);
    const shapes = EXTERNAL_CODE_SYSTEMS[inc.system]?.shapes;
    if (shapes && !shapes.some((s) => s.test(code))) return true;
    return undefined;
  }
  // an include of ValueSets only is their intersection: outside one of them is outside the include
  const parts = (inc.valueSet ?? []).map((u) => isOutsideValueSet(u, code, depth + 1));
  return parts.includes(true) ? true : undefined;
}

/**
 * Is `code` (with no system: a string answer) certainly not in the R4 ValueSet `url`, because no code
 * system the ValueSet includes can have it? false when it may be a member or this cannot be decided.
 */
export function isOutsideValueSet(url: string, code: string, depth = 0): boolean {
  load();
  const vs = valueSets!.get(url.split('|')[0]);
  if (!vs?.compose?.include?.length || depth > 8) return false;
  return vs.compose.include.every((inc) => isOutsideInclude(inc, code, depth) === true);
}
