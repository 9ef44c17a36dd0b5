// Bundle rules the R4 invariants leave to the validator (https://hl7.org/fhir/R4/bundle.html#bundle-unique):
// absolute fullUrls, one link per relation, ids on search results, OperationOutcome for outcome entries.
import type { ValidationIssue } from './types.ts';

/** RFC 3986 absolute URI: a scheme, then anything (urn:uuid:…, http://…) */
const ABSOLUTE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/;

/** a RESTful server URL: `http(s)://base/Type/id` with an optional `/_history/vid` */
const RESTFUL = /^https?:\/\/\S*?\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export function checkBundle(bundle: Record<string, any>, path: string, isResourceType: (t: string) => boolean = () => true): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const error = (code: string, where: string, diagnostics: string) =>
    issues.push({ severity: 'error', code, diagnostics, expression: [where] });
  const relations = new Map<string, number>();
  for (const link of Array.isArray(bundle.link) ? bundle.link : []) {
    if (typeof link?.relation === 'string') relations.set(link.relation, (relations.get(link.relation) ?? 0) + 1);
  }
  for (const [rel, n] of relations) {
    if (n > 1) error('invalid', `${path}.link`, `The link relationship type '${rel}' can only occur once`);
  }
  const entries: any[] = Array.isArray(bundle.entry) ? bundle.entry : [];
  entries.forEach((entry, i) => {
    const where = `${path}.entry[${i}]`;
    if (!entry || typeof entry !== 'object') return;
    if (typeof entry.fullUrl === 'string' && !ABSOLUTE.test(entry.fullUrl)) {
      error('invalid', `${where}.fullUrl`, `The fullUrl must be an absolute URL (not '${entry.fullUrl}')`);
    }
    const res = entry.resource;
    // Bundle.entry.fullUrl: a fullUrl that looks like a RESTful server URL SHALL end with the resource's type and id
    const rest = typeof entry.fullUrl === 'string' ? RESTFUL.exec(entry.fullUrl) : null;
    if (rest && isResourceType(rest[1]) && res && typeof res === 'object' && typeof res.id === 'string' && typeof res.resourceType === 'string') {
      if (rest[1] !== res.resourceType || rest[2] !== res.id) {
        error(
          'invalid',
          where,
          `The fullUrl '${entry.fullUrl}' looks like a RESTful server URL, so it must end with the correct type and id (/${res.resourceType}/${res.id})`,
        );
      }
    }
    if (bundle.type === 'searchset' && res && typeof res === 'object') {
      if (entry.search?.mode === 'outcome' && res.resourceType !== 'OperationOutcome') {
        error('invalid', `${where}.resource`, `This is not an OperationOutcome (${res.resourceType})`);
      } else if (!res.id && entry.search?.mode !== 'outcome' && res.resourceType !== 'OperationOutcome') {
        error('required', `${where}.resource`, 'Search results must have ids');
      }
    }
  });
  if (bundle.type === 'document' || bundle.type === 'message') checkInternalReferences(entries, path, issues);
  return issues;
}

function collectReferences(node: unknown, path: string, out: { ref: string; path: string }[]): void {
  if (Array.isArray(node)) {
    node.forEach((v, i) => collectReferences(v, `${path}[${i}]`, out));
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'reference' && typeof v === 'string') out.push({ ref: v, path: `${path}.reference` });
      else if (k !== 'contained') collectReferences(v, `${path}.${k}`, out);
    }
  }
}

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

/**
 * Documents and messages are self-contained (https://hl7.org/fhir/R4/bundle.html#references): a relative
 * reference resolves against the entry's base URL and must find exactly one entry (of that version).
 */
function checkInternalReferences(entries: any[], path: string, issues: ValidationIssue[]): void {
  const byUrl = new Map<string, any[]>();
  for (const e of entries) {
    if (typeof e?.fullUrl !== 'string') continue;
    const list = byUrl.get(e.fullUrl) ?? [];
    list.push(e);
    byUrl.set(e.fullUrl, list);
  }
  entries.forEach((entry, i) => {
    const res = entry?.resource;
    if (!res || typeof entry.fullUrl !== 'string') return;
    const base = entry.fullUrl.replace(/[A-Z][A-Za-z]+\/[^/]+$/, '');
    if (base === entry.fullUrl) return;
    const refs: { ref: string; path: string }[] = [];
    collectReferences(res, `${path}.entry[${i}].resource`, refs);
    for (const { ref, path: where } of refs) {
      const m = RELATIVE.exec(ref);
      if (!m) continue;
      const candidates = (byUrl.get(`${base}${m[1]}/${m[2]}`) ?? []).filter(
        (c) => !m[3] || c.resource?.meta?.versionId === m[3],
      );
      if (candidates.length > 1) {
        issues.push({ severity: 'error', code: 'invalid', diagnostics: `Multiple matches in bundle for reference ${ref}`, expression: [where] });
      } else if (!candidates.length && (m[3] || byUrl.has(`${base}${m[1]}/${m[2]}`))) {
        issues.push({ severity: 'error', code: 'not-found', diagnostics: `Can't find '${ref}' in the bundle`, expression: [where] });
      }
    }
  });
}
