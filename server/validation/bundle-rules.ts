// Bundle rules the R4 invariants leave to the validator (https://hl7.org/fhir/R4/bundle.html#bundle-unique):
// absolute fullUrls, one link per relation, ids on search results, OperationOutcome for outcome entries.
import type { ValidationIssue } from './types.ts';

const ABSOLUTE = /^(urn:uuid:[0-9a-fA-F-]{36}|urn:oid:[0-2](\.(0|[1-9][0-9]*))+|[a-zA-Z][a-zA-Z0-9+.-]*:\/\/\S+)$/;

export function checkBundle(bundle: Record<string, any>, path: string): ValidationIssue[] {
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
    if (bundle.type === 'searchset' && res && typeof res === 'object') {
      if (entry.search?.mode === 'outcome' && res.resourceType !== 'OperationOutcome') {
        error('invalid', `${where}.resource`, `This is not an OperationOutcome (${res.resourceType})`);
      } else if (!res.id && entry.search?.mode !== 'outcome') {
        error('required', `${where}.resource`, 'Search results must have ids');
      }
    }
    if (res?.resourceType && res.id && typeof entry.fullUrl === 'string' && /^https?:/.test(entry.fullUrl)) {
      const tail = `${res.resourceType}/${res.id}`;
      if (!entry.fullUrl.endsWith(`/${tail}`)) {
        error('invalid', `${where}.fullUrl`, `The fullUrl '${entry.fullUrl}' does not match the resource ${tail}`);
      }
    }
  });
  return issues;
}
