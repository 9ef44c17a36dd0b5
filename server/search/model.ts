// The R4 element model (choice types, element types) from the fhirpath package, for compiling paths.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface Model {
  choices: Record<string, string[]>;
  pathTypes: Record<string, string | { code: string }>;
  elsewhere: Record<string, string>;
  /** Element names that are a choice somewhere (value, effective, onset…), for paths whose type context is unknown. */
  choiceNames: Set<string>;
}
let loaded: Model | undefined;

/** The R4 element model of the fhirpath package (0.5 MB JSON), loaded when the first expression is compiled, not at start. */
export function model(): Model {
  if (!loaded) {
    const choices = require('fhirpath/fhir-context/r4/choiceTypePaths.json') as Record<string, string[]>;
    loaded = {
      choices,
      pathTypes: require('fhirpath/fhir-context/r4/path2Type.json'),
      elsewhere: require('fhirpath/fhir-context/r4/pathsDefinedElsewhere.json'),
      choiceNames: new Set(Object.keys(choices).map((k) => k.slice(k.lastIndexOf('.') + 1))),
    };
  }
  return loaded;
}

/** Type context of a path for choice detection; undefined when unknown. */
export function nextContext(ctx: string | undefined, name: string): string | undefined {
  if (!ctx) return undefined;
  const full = `${ctx}.${name}`;
  const { elsewhere, pathTypes } = model();
  if (elsewhere[full]) return elsewhere[full];
  const t = pathTypes[full];
  if (t === undefined) return undefined;
  if (typeof t === 'object') return t.code;
  return t === 'BackboneElement' || t === 'Element' ? full : t;
}

