// Patient compartment membership (https://hl7.org/fhir/R4/compartmentdefinition-patient.html),
// over the precomputed type → reference-path table in patient-compartment.json.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const TABLE = require('./patient-compartment.json') as Record<string, { params: string[]; paths: string[] }>;
const SPLIT: ReadonlyMap<string, string[][]> = new Map(Object.entries(TABLE).map(([type, e]) => [type, e.paths.map((p) => p.split('.'))]));

/** Resource types that can be in a Patient compartment (besides Patient itself). */
export const PATIENT_COMPARTMENT_TYPES: ReadonlySet<string> = new Set(SPLIT.keys());

/** The reference paths (dotted, without the type) that link a resource type to its patient. */
export function patientReferencePaths(type: string): readonly string[] {
  return TABLE[type]?.paths ?? [];
}

/**
 * The search parameters that put a `type` in the Patient compartment (CompartmentDefinition `param`):
 * a search is in Patient/X's compartment when any of them equals `Patient/X`. Patient itself: `_id` or `link`.
 */
export function patientCompartmentParams(type: string): readonly string[] {
  return TABLE[type]?.params ?? [];
}

function collect(value: unknown, steps: readonly string[], i: number, out: unknown[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const v of value) collect(v, steps, i, out);
    return;
  }
  if (i === steps.length) {
    out.push(value);
    return;
  }
  if (typeof value === 'object') collect((value as Record<string, unknown>)[steps[i]], steps, i + 1, out);
}

/**
 * True when `reference` points at Patient/{patientId}: relative (optionally versioned), or absolute on
 * `baseUrl`. Absolute references to other servers name someone else's patient and never match.
 */
export function isPatientReference(reference: unknown, patientId: string, baseUrl?: string): boolean {
  if (typeof reference !== 'string') return false;
  let rel = reference;
  if (baseUrl && rel.startsWith(`${baseUrl}/`)) rel = rel.slice(baseUrl.length + 1);
  const m = /^Patient\/([^/]+)(?:\/_history\/[^/]+)?$/.exec(rel);
  return m !== null && m[1] === patientId;
}

/** The patients whose compartment this resource is in, by its own references (relative, or absolute on `baseUrl`). */
export function compartmentPatients(resource: unknown, baseUrl?: string): string[] {
  if (!resource || typeof resource !== 'object') return [];
  const r = resource as { resourceType?: unknown; id?: unknown };
  if (r.resourceType === 'Patient') return typeof r.id === 'string' ? [r.id] : [];
  const paths = typeof r.resourceType === 'string' ? SPLIT.get(r.resourceType) : undefined;
  const found = new Set<string>();
  for (const steps of paths ?? []) {
    const refs: unknown[] = [];
    collect(resource, steps, 0, refs);
    for (const ref of refs) {
      const given = ref && typeof ref === 'object' ? (ref as { reference?: unknown }).reference : undefined;
      if (typeof given !== 'string') continue;
      let rel = given;
      if (baseUrl && rel.startsWith(`${baseUrl}/`)) rel = rel.slice(baseUrl.length + 1);
      const m = /^Patient\/([^/]+)(?:\/_history\/[^/]+)?$/.exec(rel);
      if (m) found.add(m[1]);
    }
  }
  return [...found];
}

/** Is this resource in Patient/{patientId}'s compartment? Patient itself is in its own compartment. */
export function isInPatientCompartment(resource: unknown, patientId: string, baseUrl?: string): boolean {
  if (!resource || typeof resource !== 'object') return false;
  const r = resource as { resourceType?: unknown; id?: unknown };
  if (typeof r.resourceType !== 'string') return false;
  if (r.resourceType === 'Patient' && r.id === patientId) return true;
  const paths = SPLIT.get(r.resourceType);
  if (!paths) return false;
  for (const steps of paths) {
    const refs: unknown[] = [];
    collect(resource, steps, 0, refs);
    for (const ref of refs) {
      if (ref && typeof ref === 'object' && isPatientReference((ref as { reference?: unknown }).reference, patientId, baseUrl)) return true;
    }
  }
  return false;
}
