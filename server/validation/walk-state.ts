// Shared state of one validation walk (issues, scope, mode) and the issue reporter with its de-duplication.
import type { TypeTable } from './element-table.ts';
import type { InvariantEngine, ResolveScope } from './invariants.ts';
import type { Terminology } from './terminology.ts';
import type { IssueSeverity, ValidationIssue } from './types.ts';

export const CORE_SD = 'http://hl7.org/fhir/StructureDefinition/';

export const isPrimitive = (code: string) => code.charCodeAt(0) >= 97 && code.charCodeAt(0) <= 122;
export const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export interface WalkerDeps {
  core: Record<string, TypeTable>;
  /** constraint profiles by canonical: core datatype profiles, extensions, Titrate, US Core */
  byUrl: Map<string, TypeTable>;
  terminology: Terminology;
  invariants: InvariantEngine;
  /** keys of invariants defined by the core spec, skipped when walking a profile (already checked) */
  coreConstraintKeys: Set<string>;
}

export interface WalkState {
  issues: ValidationIssue[];
  seen: Set<string>;
  scope: ResolveScope;
  /** the resource whose content is being walked (%resource) */
  resource: Record<string, any>;
  /** true when walking a profile table: core-only checks are skipped */
  profileMode: boolean;
  profileUrl?: string;
  securityChecks: boolean;
  noHtmlInMarkdown: boolean;
  allowExampleUrls: boolean;
  unknownExtensions: 'warning' | 'error';
  /** set while walking a primitive's `_x` object: the element path extensions there apply to */
  extensionContext?: string;
  /** element ids reached through a contentReference, mapped back to the element that refers (for contexts) */
  aliases?: [from: string, to: string][];
  /** …and the primitive's type (contexts such as `string` for translation) */
  extensionContextType?: string;
  /** validate a nested resource (contained, Bundle.entry.resource, Parameters) with all layers */
  validateNested: (resource: unknown, path: string, container: Record<string, any>) => void;
}

/** one occurrence of an element in the instance */
export interface Item {
  key: string;
  value: unknown;
  ext: unknown;
  type: string;
  path: string;
  parent: Record<string, any>;
  index?: number;
}

/** adds an issue once per (check, location); profile passes name their profile */
export function report(
  st: WalkState,
  severity: IssueSeverity,
  code: string,
  path: string,
  diagnostics: string,
  kind: string,
): void {
  const key = `${kind}|${path}`;
  if (st.seen.has(key)) return;
  st.seen.add(key);
  st.issues.push({
    severity,
    code,
    diagnostics: st.profileUrl ? `${diagnostics} (profile ${st.profileUrl})` : diagnostics,
    expression: [path],
  });
}

