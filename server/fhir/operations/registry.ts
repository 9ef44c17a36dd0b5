// Operation registry: each $operation declares where it applies; the route table and CapabilityStatement read it.
import type { InteractionHandler } from '../context.ts';

export type OperationLevel = 'system' | 'type' | 'instance';

export interface OperationDef {
  /** Name without the leading $. */
  readonly name: string;
  readonly levels: readonly OperationLevel[];
  /** Resource types it applies to (type/instance level); undefined = every type. */
  readonly types?: readonly string[];
  readonly methods: readonly ('GET' | 'POST')[];
  /** Canonical URL of its OperationDefinition. */
  readonly definition: string;
  /** SMART permission the caller needs on the type (default r); $check and $reconcile read, writes say c/u. */
  readonly permission?: 'c' | 'r' | 'u' | 'd' | 's';
  readonly handler: InteractionHandler;
}

export function findOperation(ops: readonly OperationDef[], name: string, level: OperationLevel, type?: string): OperationDef | undefined {
  return ops.find((o) => o.name === name && o.levels.includes(level) && (!o.types || !type || o.types.includes(type)));
}
