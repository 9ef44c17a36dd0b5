// The search parameter table: official R4 definitions per resource type (generated/params.json) plus local lookups.
import { createRequire } from 'node:module';

export type ParamType = 'number' | 'date' | 'string' | 'token' | 'reference' | 'composite' | 'quantity' | 'uri' | 'special';

export interface ParamDef {
  type: ParamType;
  /** FHIRPath, reduced to the branches rooted at this resource type. */
  expr: string;
  url: string;
  targets?: string[];
  /** Composite parts: component type and expression relative to each value of `expr`. */
  components?: { type: ParamType; expr: string }[];
}

export interface ParamTable {
  types: Record<string, Record<string, ParamDef>>;
  /** Patient CompartmentDefinition: resource type → reference parameters linking it to the patient. */
  compartment: Record<string, string[]>;
}

const require = createRequire(import.meta.url);

/** Loads the committed table (≈0.5 MB JSON, a few ms). */
export function loadParamTable(): ParamTable {
  return require('./generated/params.json') as ParamTable;
}
