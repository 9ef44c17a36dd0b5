// One call for both services: request body (+ prefetch or server-fetched data) → { cards } (runs $check logic).
import { checkDraftOrders, type KnowledgeBase } from '../clinical/index.ts';
import { buildCards, type CdsCard } from './cards.ts';
import { draftOrdersFromContext, type HookContext, reviewInputFromPrefetch } from './draft-orders.ts';

export interface HookRequest {
  hook: string;
  hookInstance?: string;
  context: HookContext;
  prefetch?: Record<string, fhir4.FhirResource | null | undefined>;
}

/** order-select: cards about the selected drafts; order-sign: cards about any draft. */
export function runOrderHook(request: HookRequest, kb: KnowledgeBase, now: Date): { cards: CdsCard[] } {
  const { drafts, medications, selected } = draftOrdersFromContext(request.context);
  const input = reviewInputFromPrefetch(request.prefetch ?? {}, now, request.context.patientId);
  const findings = checkDraftOrders({ ...input, medications: [...input.medications, ...medications] }, drafts, kb);
  const focus = request.hook === 'order-select' ? selected : drafts;
  return { cards: buildCards(findings, kb, { implicating: focus }) };
}
