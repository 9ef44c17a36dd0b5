// CDS Hooks 2.0 endpoints (SPEC §4): discovery, titrate-order-select / titrate-order-sign, feedback.
// The rules are clinical/'s; when the EHR sends no prefetch, the server reads the patient's record itself.
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { cdsDiscovery, CdsJwtError, runOrderHook, SERVICE_IDS, type HookRequest } from '../cds/index.ts';
import type { KnowledgeBase } from '../clinical/index.ts';
import type { PatientRecord } from '../fhir/operations/patient-record.ts';
import { FhirError } from '../fhir/errors.ts';

export interface CdsDeps {
  kb: KnowledgeBase;
  log: Logger;
  now: () => Date;
  /**
   * The patient's record from the store, for missing prefetch, read with the caller's access token (the hook's
   * fhirAuthorization, or the Authorization header); undefined when the patient is unknown or not visible.
   * Throws FhirError('unauthorized') when AUTH=smart and no valid token came with the request.
   */
  loadRecord: (patientId: string, accessToken: string | undefined) => Promise<PatientRecord | undefined>;
  /** When trusted EHRs are configured: verifies the EHR's signed JWT for this service URL (throws CdsJwtError). */
  verifyEhr?: (authorization: string | undefined, serviceUrl: string) => Promise<string>;
  /** Public base URL, for the JWT audience (the service's own URL). */
  publicBaseUrl: string;
}

const HOOK_OF: Record<string, string> = { [SERVICE_IDS.orderSelect]: 'order-select', [SERVICE_IDS.orderSign]: 'order-sign' };
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function bundleOf(resources: fhir4.FhirResource[]): fhir4.Bundle {
  return { resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) };
}

function fail(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message });
}

export function cdsRouter(deps: CdsDeps): express.Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
    next();
  });
  router.options('/{*any}', (_req, res) => {
    res.status(204).end();
  });
  router.get('/', (_req, res) => {
    res.json(cdsDiscovery());
  });
  router.use(express.json({ limit: '2mb', strict: true, type: ['application/json', 'application/fhir+json'] }));
  router.post('/:id/feedback', (req: Request, res: Response) => {
    if (!HOOK_OF[req.params.id as string]) return fail(res, 404, 'Unknown CDS service');
    const feedback = (req.body as { feedback?: unknown[] })?.feedback;
    if (!Array.isArray(feedback)) return fail(res, 400, 'feedback must be an array');
    deps.log.info({ service: req.params.id, count: feedback.length }, 'cds feedback');
    res.status(200).json({});
  });
  router.post('/:id', async (req: Request, res: Response) => {
    const hook = HOOK_OF[req.params.id as string];
    if (!hook) return fail(res, 404, 'Unknown CDS service');
    if (deps.verifyEhr) {
      try {
        await deps.verifyEhr(req.get('authorization'), `${deps.publicBaseUrl}/cds-services/${req.params.id as string}`);
      } catch (err) {
        if (err instanceof CdsJwtError) return fail(res, 401, err.message);
        throw err;
      }
    }
    const body = req.body as HookRequest | undefined;
    if (!body || typeof body !== 'object' || body.hook !== hook) return fail(res, 400, `This service answers the ${hook} hook`);
    if (!body.context || typeof body.context !== 'object') return fail(res, 400, 'context is required');
    const patientId = body.context.patientId;
    if (typeof patientId !== 'string' || !ID.test(patientId)) return fail(res, 400, 'context.patientId must be a FHIR id');
    const prefetch = { ...(body.prefetch ?? {}) };
    if (!prefetch.patient || !prefetch.medications || !prefetch.observations) {
      const fhirAuth = (body as { fhirAuthorization?: { access_token?: unknown } }).fhirAuthorization;
      // With EHR JWTs configured the Authorization header carries that JWT, so only fhirAuthorization grants FHIR access.
      const header = deps.verifyEhr ? undefined : /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
      const token = typeof fhirAuth?.access_token === 'string' ? fhirAuth.access_token : header;
      let record: PatientRecord | undefined;
      try {
        record = await deps.loadRecord(patientId, token);
      } catch (err) {
        if (err instanceof FhirError && (err.kind === 'unauthorized' || err.kind === 'forbidden')) {
          return fail(res, err.kind === 'unauthorized' ? 401 : 403, 'Prefetch is incomplete and no token allows reading this patient here');
        }
        throw err;
      }
      if (record) {
        prefetch.patient ??= record.patient;
        prefetch.medications ??= bundleOf([...record.medicationRequests, ...record.medications]);
        prefetch.observations ??= bundleOf(record.observations);
      }
    }
    try {
      res.json(runOrderHook({ ...body, prefetch }, deps.kb, deps.now()));
    } catch (err) {
      deps.log.warn({ service: req.params.id, err: (err as Error).message }, 'cds request refused');
      fail(res, 400, 'The hook request could not be read');
    }
  });
  return router;
}
