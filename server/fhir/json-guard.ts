// Strict JSON intake: parse, depth limit and prototype-polluting keys, each a 400 OperationOutcome.
import { FhirError } from './errors.ts';

export const MAX_JSON_DEPTH = 100;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses request text as JSON; rejects malformed input, nesting deeper than MAX_JSON_DEPTH and hostile keys. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new FhirError('structure', 'The request body is empty');
  checkDepth(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FhirError('structure', `The request body is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  checkKeys(value);
  return value;
}

/** Counts bracket depth outside strings before parsing, so a hostile body never reaches a recursive walk. */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > MAX_JSON_DEPTH) throw new FhirError('structure', `JSON nesting deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 125 || c === 93) depth--;
  }
}

function checkKeys(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (const item of v) if (item !== null && typeof item === 'object') stack.push(item);
    } else if (v !== null && typeof v === 'object') {
      for (const key of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(key)) throw new FhirError('structure', `The JSON key "${key}" is not allowed`);
        const child = (v as Record<string, unknown>)[key];
        if (child !== null && typeof child === 'object') stack.push(child);
      }
    }
  }
}
