// Extension rules: the definition an extension is checked against, unknown URLs, context and
// modifier use (https://hl7.org/fhir/R4/extensibility.html).
import type { ElementRule, TypeTable } from './element-table.ts';
import { CORE_SD, report, type WalkerDeps, type WalkState } from './walk-state.ts';

const ANY_CONTEXT = new Set(['Element', 'Resource', 'DomainResource', 'BackboneElement']);

export function extensionTable(deps: WalkerDeps, rule: ElementRule, obj: Record<string, any>): TypeTable | undefined {
  for (const t of rule.types) for (const p of t.profiles ?? []) {
    const tb = deps.byUrl.get(p);
    if (tb) return tb;
  }
  return typeof obj.url === 'string' ? deps.byUrl.get(obj.url) ?? deps.core.Extension : deps.core.Extension;
}

/**
 * Unknown extensions are accepted (Titrate fronts EHRs that use their own) except in the core
 * namespace, where an unknown URL is an error; known extensions must be used in their context.
 */
export function checkExtensionUse(
  deps: WalkerDeps,
  st: WalkState,
  ext: TypeTable | undefined,
  table: TypeTable,
  rule: ElementRule,
  obj: Record<string, any>,
  path: string,
): void {
  const url = obj.url;
  if (typeof url !== 'string' || rule.types.some((t) => t.profiles?.length)) return;
  if (!ext || ext === deps.core.Extension) {
    if (url.includes('|')) {
      report(st, 'error', 'structure', path, `The extension URL must not contain a version (${url})`, 'ext-version');
    } else if (url.startsWith(CORE_SD)) {
      // R5 / extension-pack URLs share this namespace, so an unknown one is only a warning
      report(st, 'warning', 'structure', path, `The extension ${url} is not defined in FHIR R4`, 'ext-unknown');
    } else {
      report(st, st.unknownExtensions, 'structure', path, `The extension ${url} is unknown, and not validated`, 'ext-unknown');
    }
    return;
  }
  const modifier = ext.elements[0]?.isModifier === true;
  const inModifierSlot = rule.path.endsWith('.modifierExtension');
  if (modifier !== inModifierSlot) {
    report(st, 'error', 'structure', path, modifier
      ? `The extension ${url} must not be used as an extension (it's a modifierExtension)`
      : `The extension ${url} must not be used as a modifierExtension (it's a regular extension)`, 'ext-modifier');
  }
  // the R4 definitions themselves put this one on ElementDefinition.type, not on type.code
  if (!ext.context?.length || url === `${CORE_SD}structuredefinition-fhir-type`) return;
  const parentId = rule.id.slice(0, rule.id.lastIndexOf('.'));
  const here = st.extensionContext ?? parentId;
  const hereType = st.extensionContext ? st.extensionContextType : table.type;
  const ok = ext.context.some((e) => {
    if (ANY_CONTEXT.has(e) || e === here || e === hereType) return true;
    // reached through a contentReference (CapabilityStatement.rest.operation → rest.resource.operation)
    if (st.aliases?.some(([from, to]) => here.startsWith(from) && e === to + here.slice(from.length))) return true;
    // a datatype table cannot see which resource element holds it: accept resource-path contexts
    if (table.kind === 'complex-type' && !st.extensionContext) {
      const head = e.split('.')[0];
      return deps.core[head]?.kind === 'resource';
    }
    return false;
  });
  if (!ok) {
    report(st, 'error', 'structure', path, `The extension ${url} is not allowed to be used at ${here} (allowed: ${ext.context.join(', ')})`, 'ext-context');
  }
}
