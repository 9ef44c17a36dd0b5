// Snapshot generation from a differential (https://hl7.org/fhir/R4/profiling.html#snapshot): copies the
// base snapshot, unrolls datatypes where the differential reaches into them, and merges each element.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type Sd = fhir4.StructureDefinition;
type Ed = fhir4.ElementDefinition;

const CORE_PREFIX = 'http://hl7.org/fhir/StructureDefinition/';

let examplesDir: string | undefined;

/** core StructureDefinition by canonical, read from the official package's individual files */
export function loadCoreDefinition(url: string): Sd | undefined {
  if (!url.startsWith(CORE_PREFIX)) return undefined;
  examplesDir ??= dirname(createRequire(import.meta.url).resolve('hl7.fhir.r4.examples/package.json'));
  const file = join(examplesDir, `StructureDefinition-${url.slice(CORE_PREFIX.length)}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Sd) : undefined;
}

export interface SnapshotResult {
  elements: Ed[];
  errors: string[];
}

const MERGE_SKIP = new Set(['id', 'path', 'constraint', 'base']);

function maxNum(max: string | undefined): number {
  return max === undefined || max === '*' ? Infinity : Number(max);
}

function unroll(elements: Ed[], id: string, errors: string[], pristine: Ed[]): number {
  const parentId = id.slice(0, id.lastIndexOf('.'));
  let parentIdx = elements.findIndex((e) => e.id === parentId);
  if (parentIdx < 0) {
    if (!parentId.includes('.')) return -1;
    parentIdx = unroll(elements, parentId, errors, pristine);
    if (parentIdx < 0) return -1;
  }
  const parent = elements[parentIdx];
  if (parent.contentReference) {
    // a recursive element (Parameters.parameter.part, Questionnaire.item.item): copy what it refers to,
    // as the base defines it (not as this profile constrains it)
    const refId = parent.contentReference.slice(parent.contentReference.indexOf('#') + 1);
    const copied = pristine
      .filter((e) => e.id!.startsWith(`${refId}.`) && !e.id!.slice(refId.length).includes(':'))
      .map((e) => ({ ...structuredClone(e), id: parentId + e.id!.slice(refId.length), path: parent.path + e.path.slice(refId.length) }));
    let end = parentIdx + 1;
    while (end < elements.length && elements[end].id!.startsWith(`${parentId}.`)) end++;
    elements.splice(end, 0, ...copied);
    return elements.findIndex((e) => e.id === id);
  }
  const lastSeg = parentId.slice(parentId.lastIndexOf('.') + 1);
  if (lastSeg.includes(':')) {
    // a slice: its children start as copies of the sliced element's children
    const slicedId = parentId.slice(0, parentId.lastIndexOf(':'));
    const children = elements
      .filter((e) => e.id!.startsWith(`${slicedId}.`))
      .map((e) => ({ ...structuredClone(e), id: parentId + e.id!.slice(slicedId.length) }));
    if (children.length) {
      let end = parentIdx + 1;
      while (end < elements.length && elements[end].id!.startsWith(`${parentId}.`)) end++;
      elements.splice(end, 0, ...children);
      const idx = elements.findIndex((e) => e.id === id);
      if (idx >= 0) return idx;
    }
  }
  const types = parent.type ?? [];
  if (types.length !== 1) {
    errors.push(`${id}: cannot unroll ${parentId}, it has ${types.length} types (restrict the type first)`);
    return -1;
  }
  const dt = loadCoreDefinition(CORE_PREFIX + types[0].code);
  if (!dt?.snapshot) {
    errors.push(`${id}: no definition for type ${types[0].code}`);
    return -1;
  }
  const rebased = dt.snapshot.element.slice(1).map((e) => ({
    ...structuredClone(e),
    id: parentId + e.id!.slice(dt.type.length),
    path: parent.path + e.path.slice(dt.type.length),
  }));
  let end = parentIdx + 1;
  while (end < elements.length && elements[end].id!.startsWith(`${parentId}.`)) end++;
  elements.splice(end, 0, ...rebased);
  return elements.findIndex((e) => e.id === id);
}

function merge(target: Ed, diff: Ed, errors: string[]): void {
  if (diff.min !== undefined && diff.min < (target.min ?? 0)) errors.push(`${diff.id}: min ${diff.min} is below the base min ${target.min}`);
  if (diff.max !== undefined && maxNum(diff.max) > maxNum(target.max)) errors.push(`${diff.id}: max ${diff.max} exceeds the base max ${target.max}`);
  if (diff.type && target.type) {
    const allowed = new Set(target.type.map((t) => t.code));
    for (const t of diff.type) if (!allowed.has(t.code)) errors.push(`${diff.id}: type ${t.code} is not allowed by the base`);
  }
  const t = target as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(diff)) if (!MERGE_SKIP.has(k)) t[k] = structuredClone(v);
  if (diff.constraint?.length) {
    const keys = new Set((target.constraint ?? []).map((c) => c.key));
    for (const c of diff.constraint) if (keys.has(c.key)) errors.push(`${diff.id}: constraint key ${c.key} already exists`);
    target.constraint = [...(target.constraint ?? []), ...structuredClone(diff.constraint)];
  }
}

/** `Observation.valueQuantity` (a renamed choice, allowed in differentials) → `Observation.value[x]` */
function normalizeChoiceId(elements: Ed[], id: string): string {
  if (elements.some((e) => e.id === id)) return id;
  const segs = id.split('.');
  let cur = segs[0];
  for (const seg of segs.slice(1)) {
    const direct = `${cur}.${seg}`;
    if (elements.some((e) => e.id === direct)) {
      cur = direct;
      continue;
    }
    const choice = elements.find((e) => {
      if (!e.id!.startsWith(`${cur}.`) || !e.id!.endsWith('[x]') || e.id!.slice(cur.length + 1).includes('.')) return false;
      const base = e.id!.slice(cur.length + 1, -3);
      const rest = seg.slice(base.length);
      return seg.startsWith(base) && (e.type ?? []).some((t) => t.code.charAt(0).toUpperCase() + t.code.slice(1) === rest);
    });
    cur = choice ? choice.id! : direct;
  }
  return cur;
}

/**
 * Generates the snapshot of `sd` from its differential. `resolveBase` finds non-core bases
 * (other Titrate profiles); core bases are read from hl7.fhir.r4.examples.
 */
export function generateSnapshot(sd: Sd, resolveBase: (url: string) => Sd | undefined = () => undefined): SnapshotResult {
  const errors: string[] = [];
  const base = loadCoreDefinition(sd.baseDefinition ?? '') ?? resolveBase(sd.baseDefinition ?? '');
  if (!base?.snapshot) return { elements: [], errors: [`base definition ${sd.baseDefinition} not found or has no snapshot`] };
  if (base.type !== sd.type) errors.push(`type ${sd.type} differs from the base type ${base.type}`);
  const elements = structuredClone(base.snapshot.element);
  for (const diff of sd.differential?.element ?? []) {
    const id = normalizeChoiceId(elements, diff.id ?? diff.path);
    if (!id.startsWith(sd.type)) {
      errors.push(`${id}: path does not start with ${sd.type}`);
      continue;
    }
    let idx = elements.findIndex((e) => e.id === id);
    if (idx < 0 && diff.sliceName) {
      const baseId = id.slice(0, id.lastIndexOf(':'));
      const baseIdx = elements.findIndex((e) => e.id === baseId);
      if (baseIdx < 0 || !elements[baseIdx].slicing) {
        errors.push(`${id}: slice of an element without slicing`);
        continue;
      }
      let end = baseIdx + 1;
      while (end < elements.length && (elements[end].id!.startsWith(`${baseId}.`) || elements[end].id!.startsWith(`${baseId}:`))) end++;
      const slice = { ...structuredClone(elements[baseIdx]), id, sliceName: diff.sliceName };
      delete slice.slicing;
      elements.splice(end, 0, slice);
      idx = end;
    }
    if (idx < 0) idx = unroll(elements, id, errors, base.snapshot.element);
    if (idx < 0) {
      errors.push(`${id}: no such element in the base`);
      continue;
    }
    merge(elements[idx], { ...diff, id }, errors);
  }
  for (const e of elements) {
    if (e.min !== undefined && e.max !== undefined && e.max !== '*' && e.min > Number(e.max)) errors.push(`${e.id}: min ${e.min} > max ${e.max}`);
  }
  return { elements, errors };
}
