// Public API of the CDS Hooks logic (pure): discovery, request reading and cards; HTTP lives in http/.
export { cdsDiscovery, PREFETCH, SERVICE_IDS, type CdsService } from './discovery.ts';
export { draftOrdersFromContext, reviewInputFromPrefetch, type HookContext, type DraftOrders } from './draft-orders.ts';
export { buildCards, withDailyDose, type CdsCard, type CdsSuggestion, type CdsAction, type CardOptions } from './cards.ts';
export { runOrderHook, type HookRequest } from './run-hook.ts';
export { createEhrJwtVerifier, parseTrustedEhrs, CdsJwtError, type TrustedEhr } from './ehr-jwt.ts';
