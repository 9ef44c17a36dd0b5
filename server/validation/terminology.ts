// Local ValueSet expansion and membership for required bindings
// (https://hl7.org/fhir/R4/valueset.html#expansion); no terminology server.

/** ValueSet canonical → members as `system|code` strings. */
export type CodeSets = Record<string, string[]>;

interface Concept {
  code: string;
  concept?: Concept[];
}

function flattenConcepts(concepts: Concept[] | undefined, out: string[] = []): string[] {
  for (const c of concepts ?? []) {
    out.push(c.code);
    flattenConcepts(c.concept, out);
  }
  return out;
}

function descendants(concepts: Concept[] | undefined, code: string): string[] | undefined {
  for (const c of concepts ?? []) {
    if (c.code === code) return flattenConcepts([c]);
    const found = descendants(c.concept, code);
    if (found) return found;
  }
  return undefined;
}

function flattenContains(contains: fhir4.ValueSetExpansionContains[] | undefined, out: string[]): void {
  for (const c of contains ?? []) {
    if (c.code && !c.abstract) out.push(`${c.system ?? ''}|${c.code}`);
    flattenContains(c.contains, out);
  }
}

/**
 * Expands each wanted ValueSet from its pre-computed expansion or from its compose over complete
 * CodeSystems; ValueSets that cannot be expanded locally are left out (the binding is not checked).
 */
export function expandValueSets(resources: fhir4.Resource[], wanted: Set<string>): CodeSets {
  const valueSets = new Map<string, fhir4.ValueSet>();
  const codeSystems = new Map<string, fhir4.CodeSystem>();
  for (const r of resources) {
    if (r.resourceType === 'ValueSet') {
      const vs = r as fhir4.ValueSet;
      const prev = valueSets.get(vs.url!);
      if (!prev || (!prev.expansion && vs.expansion)) valueSets.set(vs.url!, vs);
    } else if (r.resourceType === 'CodeSystem') {
      const cs = r as fhir4.CodeSystem;
      codeSystems.set(cs.url!, cs);
      // CodeSystems with an implicit whole-system ValueSet (valueSet element)
      if (cs.valueSet && !valueSets.has(cs.valueSet.split('|')[0])) {
        valueSets.set(cs.valueSet.split('|')[0], {
          resourceType: 'ValueSet',
          status: 'active',
          url: cs.valueSet.split('|')[0],
          compose: { include: [{ system: cs.url }] },
        });
      }
    }
  }
  const out: CodeSets = {};
  const expand = (url: string, depth: number): string[] | undefined => {
    if (out[url]) return out[url];
    const vs = valueSets.get(url);
    if (!vs || depth > 8) return undefined;
    const codes: string[] = [];
    if (vs.expansion?.contains?.length) {
      flattenContains(vs.expansion.contains, codes);
    } else {
      for (const inc of vs.compose?.include ?? []) {
        const part = expandInclude(inc, codeSystems, (u) => expand(u, depth + 1));
        if (!part) return undefined;
        codes.push(...part);
      }
      if (vs.compose?.exclude?.length) {
        const excluded = new Set<string>();
        for (const exc of vs.compose.exclude) {
          for (const c of expandInclude(exc, codeSystems, (u) => expand(u, depth + 1)) ?? []) excluded.add(c);
        }
        return (out[url] = codes.filter((c) => !excluded.has(c)));
      }
    }
    if (!codes.length) return undefined;
    return (out[url] = codes);
  };
  for (const url of wanted) expand(url, 0);
  return out;
}

function expandInclude(
  inc: fhir4.ValueSetComposeInclude,
  codeSystems: Map<string, fhir4.CodeSystem>,
  expandVs: (url: string) => string[] | undefined,
): string[] | undefined {
  let codes: string[] | undefined;
  if (inc.system) {
    const system = inc.system;
    if (inc.concept?.length) {
      codes = inc.concept.map((c) => `${system}|${c.code}`);
    } else {
      const cs = codeSystems.get(system);
      if (!cs || cs.content !== 'complete') return undefined;
      let list: string[] | undefined = flattenConcepts(cs.concept as Concept[]);
      for (const f of inc.filter ?? []) {
        if ((f.op === 'is-a' || f.op === 'descendent-of') && f.property === 'concept') {
          const sub = descendants(cs.concept as Concept[], f.value);
          list = sub ? (f.op === 'is-a' ? sub : sub.slice(1)) : [];
        } else {
          return undefined;
        }
      }
      codes = list.map((c) => `${system}|${c}`);
    }
  }
  for (const vsUrl of inc.valueSet ?? []) {
    const part = expandVs(vsUrl.split('|')[0]);
    if (!part) return undefined;
    codes = codes ? codes.filter((c) => part.includes(c)) : [...part];
  }
  return codes;
}

/** Membership index built once per ValueSet: `system|code` and bare codes (for `code`-typed elements). */
export class Terminology {
  private readonly index = new Map<string, { full: Set<string>; bare: Set<string> }>();

  private sets: CodeSets[] | undefined;

  /** `load` runs on the first lookup (the core code sets are several MB of JSON) */
  constructor(private readonly load: () => CodeSets[]) {}

  private lookup(vs: string): { full: Set<string>; bare: Set<string> } | undefined {
    let entry = this.index.get(vs);
    if (entry) return entry;
    this.sets ??= this.load();
    const members = this.sets.map((s) => s[vs]).find(Boolean);
    if (!members) return undefined;
    entry = { full: new Set(members), bare: new Set(members.map((m) => m.slice(m.indexOf('|') + 1))) };
    this.index.set(vs, entry);
    return entry;
  }

  isKnown(vs: string): boolean {
    return this.lookup(vs) !== undefined;
  }

  /** undefined when the ValueSet is not available locally */
  hasCode(vs: string, system: string | undefined, code: string): boolean | undefined {
    const entry = this.lookup(vs);
    if (!entry) return undefined;
    return system === undefined ? entry.bare.has(code) : entry.full.has(`${system}|${code}`);
  }
}
