// SMART scopes v1 and v2 (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
// parsing, rendering, and granting requested ∩ registered.
export type ScopeContext = 'patient' | 'user' | 'system';
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  readonly raw: string;
  readonly context: ScopeContext;
  /** A resource type or `*`. */
  readonly type: string;
  /** Letters in `cruds` order. */
  readonly permissions: string;
  /** `?param=value&…` restrictions, ANDed. */
  readonly filters: readonly (readonly [string, string])[];
}

const ORDER = 'cruds';
// v1 → v2 per the spec's mapping table: read → rs, write → cud, * → cruds.
const V1: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };
const SCOPE_RE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]+)\.([A-Za-z*]+)(?:\?(.+))?$/;

/** A resource scope, or undefined for non-resource scopes (`openid`, `launch/patient`, …) and malformed ones. */
export function parseResourceScope(raw: string): ResourceScope | undefined {
  const m = SCOPE_RE.exec(raw);
  if (!m) return undefined;
  // Epic grants mixed `.Read`/`.read`: letters are compared case-insensitively.
  const suffix = m[3].toLowerCase();
  let permissions = V1[suffix];
  if (permissions === undefined) {
    if (!/^c?r?u?d?s?$/.test(suffix) || suffix === '') return undefined;
    permissions = suffix;
  }
  const filters: [string, string][] = [];
  if (m[4] !== undefined) {
    if (V1[suffix] !== undefined) return undefined;
    for (const [k, v] of new URLSearchParams(m[4])) {
      if (!k || !v) return undefined;
      filters.push([k, v]);
    }
  }
  return { raw, context: m[1] as ScopeContext, type: m[2], permissions, filters };
}

export function splitScopes(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(/\s+/).filter((s) => s.length > 0))];
}

export function renderScope(s: Omit<ResourceScope, 'raw'>): string {
  const query = s.filters.map(([k, v]) => `${k}=${v}`).join('&');
  return `${s.context}/${s.type}.${s.permissions}${query ? `?${query}` : ''}`;
}

export function hasPermission(scope: ResourceScope, p: Permission): boolean {
  return scope.permissions.includes(p);
}

function intersectLetters(a: string, b: string): string {
  return [...ORDER].filter((l) => a.includes(l) && b.includes(l)).join('');
}

function filtersInclude(outer: readonly (readonly [string, string])[], inner: readonly (readonly [string, string])[]): boolean {
  return inner.every(([k, v]) => outer.some(([k2, v2]) => k === k2 && v === v2));
}

/** The part of `requested` that `registered` allows, or undefined. Keeps the requested text when fully covered. */
export function intersectScope(requested: ResourceScope, registered: ResourceScope): string | undefined {
  if (requested.context !== registered.context) return undefined;
  if (registered.type !== '*' && requested.type !== '*' && registered.type !== requested.type) return undefined;
  const permissions = intersectLetters(requested.permissions, registered.permissions);
  if (!permissions) return undefined;
  const type = requested.type === '*' ? registered.type : requested.type;
  // A filter on either side narrows: the grant carries the union of both filter sets.
  const filters = [...requested.filters, ...registered.filters.filter(([k, v]) => !requested.filters.some(([a, b]) => a === k && b === v))];
  const covered = type === requested.type && permissions === requested.permissions && filtersInclude(requested.filters, registered.filters);
  return covered ? requested.raw : renderScope({ context: requested.context, type, permissions, filters });
}

/** Does `a` allow everything `b` allows? */
export function coversScope(a: ResourceScope, b: ResourceScope): boolean {
  return (
    a.context === b.context &&
    (a.type === '*' || a.type === b.type) &&
    [...b.permissions].every((l) => a.permissions.includes(l)) &&
    filtersInclude(b.filters, a.filters)
  );
}

/** Granted scopes = requested ∩ registered; resource scopes may be narrowed, others must match exactly. */
export function grantScopes(requested: readonly string[], registered: readonly string[]): string[] {
  const registeredResource = registered.map(parseResourceScope).filter((s): s is ResourceScope => s !== undefined);
  const registeredOther = new Set(registered.filter((s) => parseResourceScope(s) === undefined));
  const granted: string[] = [];
  for (const raw of requested) {
    const scope = parseResourceScope(raw);
    if (!scope) {
      if (registeredOther.has(raw)) granted.push(raw);
      continue;
    }
    for (const reg of registeredResource) {
      const part = intersectScope(scope, reg);
      if (part !== undefined) granted.push(part);
    }
  }
  return dropSubsumed([...new Set(granted)]);
}

function dropSubsumed(scopes: string[]): string[] {
  const parsed = scopes.map((s) => [s, parseResourceScope(s)] as const);
  return parsed
    .filter(([s, p], i) => !p || !parsed.some(([s2, q], j) => q && j !== i && s2 !== s && coversScope(q, p) && !(coversScope(p, q) && j > i)))
    .map(([s]) => s);
}

/** `user/` scopes cut down to what the user may do (`userScope`); other scopes unchanged. */
export function boundByUser(scopes: readonly string[], userScope: string | undefined): string[] {
  if (userScope === undefined) return [...scopes];
  const ceiling = splitScopes(userScope);
  return dropSubsumed(scopes.flatMap((raw) => (parseResourceScope(raw)?.context === 'user' ? grantScopes([raw], ceiling) : [raw])));
}

/** A user's permission text: `user/` resource scopes only; the reason when it is not. */
export function checkUserScope(text: unknown): string | undefined {
  if (typeof text !== 'string' || splitScopes(text).length === 0) return 'user_scope must be a space-separated list of user/ scopes';
  const bad = splitScopes(text).find((s) => parseResourceScope(s)?.context !== 'user');
  return bad === undefined ? undefined : `user_scope may hold user/ resource scopes only, not ${bad.slice(0, 100)}`;
}

/** Is `narrower` (a refresh request) within `granted`? Every scope must be covered by a granted one. */
export function isScopeSubset(narrower: readonly string[], granted: readonly string[]): boolean {
  const parsed = granted.map(parseResourceScope);
  return narrower.every((raw) => {
    if (granted.includes(raw)) return true;
    const s = parseResourceScope(raw);
    return s !== undefined && parsed.some((g) => g !== undefined && coversScope(g, s));
  });
}
