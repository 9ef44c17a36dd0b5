// Native versions of the invariants every resource carries (ele-1, ext-1, dom-2…6, txt-1/2) and the
// value checks the JSON schema cannot express (attachment size, string length, narrative XHTML).

const XHTML_NS = 'http://www.w3.org/1999/xhtml';
const FORBIDDEN_TAGS = /<\s*(script|object|applet|embed|form|iframe|frame|frameset|input|button|base|link|meta|style)\b/i;
const EVENT_ATTR = /<[^>]*\s(on[a-z]+)\s*=/i;
const ENTITY = /&([^;\s&]*);?/g;
const XML_ENTITIES = new Set(['lt', 'gt', 'amp', 'quot', 'apos']);

/** txt-1 / txt-2 problems of a Narrative.div, empty when fine */
export function checkXhtml(div: string): { key: string; message: string }[] {
  const problems: { key: string; message: string }[] = [];
  const trimmed = div.trim();
  if (!/^<div[\s>]/.test(trimmed) || !trimmed.endsWith('</div>')) {
    problems.push({ key: 'txt-1', message: 'The narrative SHALL be a single xhtml div element' });
  } else if (!new RegExp(`^<div[^>]*xmlns\\s*=\\s*["']${XHTML_NS.replace(/[./]/g, '\\$&')}["']`).test(trimmed)) {
    problems.push({ key: 'txt-1', message: `The narrative div SHALL be in the XHTML namespace (${XHTML_NS})` });
  }
  const tag = FORBIDDEN_TAGS.exec(div);
  if (tag) problems.push({ key: 'txt-1', message: `Invalid element name in the XHTML ('${tag[1].toLowerCase()}')` });
  const attr = EVENT_ATTR.exec(div);
  if (attr) problems.push({ key: 'txt-1', message: `Invalid attribute name in the XHTML ('${attr[1]}')` });
  for (const m of div.matchAll(ENTITY)) {
    const name = m[1];
    if (!m[0].endsWith(';') || !(XML_ENTITIES.has(name) || /^#[0-9]+$/.test(name) || /^#x[0-9a-fA-F]+$/.test(name))) {
      problems.push({ key: 'txt-1', message: `Invalid entity in the XHTML ('${m[0]}')` });
      break;
    }
  }
  const text = div.replace(/<[^>]*>/g, '').trim();
  if (!text && !/<img\b/i.test(div)) problems.push({ key: 'txt-2', message: 'The narrative SHALL have some non-whitespace content' });
  return problems;
}

/** every '#id' reference-like string anywhere in the resource (for dom-3) */
export function collectLocalRefs(node: unknown, out: Set<string>): Set<string> {
  if (typeof node === 'string') {
    if (node.startsWith('#')) out.add(node);
  } else if (Array.isArray(node)) {
    for (const v of node) collectLocalRefs(v, out);
  } else if (node && typeof node === 'object') {
    for (const v of Object.values(node)) collectLocalRefs(v, out);
  }
  return out;
}

export function isEmptyElement(node: Record<string, unknown>): boolean {
  for (const k in node) if (k !== 'id' && k !== 'fhir_comments') return false;
  return true;
}

export function decodedBase64Length(data: string): number | undefined {
  const clean = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return undefined;
  const padding = clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0;
  return (clean.length / 4) * 3 - padding;
}

export const MAX_STRING_BYTES = 1024 * 1024;

/**
 * Active HTML content in a string or markdown value (https://hl7.org/fhir/R4/security.html#narrative):
 * Titrate shows these values inside EHR iframes, so script-capable markup is refused outright.
 */
export const ACTIVE_HTML = /<\s*(script|iframe|object|embed|applet|frame|frameset|form|base|meta|link)\b|<[^>]*\son[a-z]+\s*=|javascript\s*:/i;
