// JSON Patch (RFC 6902) applied to a copy of a resource; a failed `test` or a bad path is a FhirError.
import { FhirError } from './errors.ts';

type Json = unknown;
interface PatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new FhirError('invalid', `JSON Pointer "${pointer.slice(0, 80)}" must start with /`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function container(doc: Json, tokens: string[]): { parent: Record<string, Json> | Json[]; key: string } {
  let cur = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (cur !== null && typeof cur === 'object') cur = (cur as Record<string, Json>)[t];
    else cur = undefined;
    if (cur === undefined || cur === null || typeof cur !== 'object') throw new FhirError('unprocessable', `Patch path segment "${t}" does not exist`);
  }
  return { parent: cur as Record<string, Json> | Json[], key: tokens[tokens.length - 1] };
}

function arrayIndex(arr: Json[], key: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw new FhirError('unprocessable', `"${key}" is not an array index`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new FhirError('unprocessable', `Array index ${i} is out of range`);
  return i;
}

function get(doc: Json, tokens: string[]): Json {
  if (tokens.length === 0) return doc;
  const { parent, key } = container(doc, tokens);
  const v = Array.isArray(parent) ? parent[arrayIndex(parent, key, false)] : parent[key];
  if (v === undefined) throw new FhirError('unprocessable', `Patch path /${tokens.join('/')} does not exist`);
  return v;
}

function remove(doc: Json, tokens: string[]): Json {
  const { parent, key } = container(doc, tokens);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false), 1)[0];
  if (!(key in parent)) throw new FhirError('unprocessable', `Patch path /${tokens.join('/')} does not exist`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function add(doc: Json, tokens: string[], value: Json): void {
  if (tokens.length === 0) throw new FhirError('unprocessable', 'A patch may not replace the whole resource');
  const { parent, key } = container(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, value);
  else parent[key] = value;
}

function isEqual(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function applyJsonPatch(resource: Record<string, unknown>, patch: unknown): Record<string, unknown> {
  if (!Array.isArray(patch)) throw new FhirError('invalid', 'A JSON Patch document must be an array of operations');
  const doc = structuredClone(resource);
  for (const raw of patch) {
    if (raw === null || typeof raw !== 'object' || typeof (raw as PatchOp).path !== 'string') {
      throw new FhirError('invalid', 'Each JSON Patch operation needs an op and a path');
    }
    const op = raw as PatchOp;
    const path = parsePointer(op.path);
    switch (op.op) {
      case 'add':
        add(doc, path, structuredClone(op.value));
        break;
      case 'remove':
        remove(doc, path);
        break;
      case 'replace':
        remove(doc, path);
        add(doc, path, structuredClone(op.value));
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw new FhirError('invalid', 'move needs from');
        add(doc, path, remove(doc, parsePointer(op.from)));
        break;
      }
      case 'copy':
        if (typeof op.from !== 'string') throw new FhirError('invalid', 'copy needs from');
        add(doc, path, structuredClone(get(doc, parsePointer(op.from))));
        break;
      case 'test':
        if (!isEqual(get(doc, path), op.value)) throw new FhirError('unprocessable', `JSON Patch test failed at ${op.path}`);
        break;
      default:
        throw new FhirError('invalid', `Unknown JSON Patch op "${String((op as { op: unknown }).op).slice(0, 20)}"`);
    }
  }
  return doc;
}
