// dispatch: one FhirRequest through the interaction table — used by the HTTP routes and by batch/transaction.
import type { FhirContext, FhirRequest, FhirResponse } from './context.ts';
import { matchInteraction, type Interaction } from './interaction-table.ts';

export async function dispatch(ctx: FhirContext, table: readonly Interaction[], req: FhirRequest): Promise<FhirResponse> {
  const { interaction, params } = matchInteraction(table, req.method, req.segments);
  return interaction.handler(ctx, req, params);
}
