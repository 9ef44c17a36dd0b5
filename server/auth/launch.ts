// POST /auth/launch (DEMO=1): the EHR simulator creates a launch context; the id it returns is approved
// at /auth/authorize without a sign-in, as a real EHR does for its signed-in user (SPEC §4).
import type { Request, Response } from 'express';
import type { AuthStore } from './auth-store.ts';
import type { LaunchContext } from './grant.ts';
import { isFhirUserReference } from './users.ts';
import { checkUserScope } from './scopes.ts';

const LAUNCH_TTL_SECONDS = 600;
const ID_RE = /^[A-Za-z0-9\-.]{1,200}$/;

export type LaunchRecord = LaunchContext & {
  fhirUser: string;
  /** When set, only this app may use the launch. */
  client_id?: string;
  /** What the EHR's user may do, as user/ scopes: the app's user/ scopes are cut down to it. */
  user_scope?: string;
};

export function parseLaunchContext(body: unknown): LaunchRecord | string {
  if (!body || typeof body !== 'object') return 'body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (!isFhirUserReference(b.fhirUser)) return 'fhirUser must be a Practitioner, PractitionerRole, Patient, RelatedPerson or Person reference';
  if (b.patient !== undefined && (typeof b.patient !== 'string' || !ID_RE.test(b.patient))) return 'patient must be a resource id';
  if (b.encounter !== undefined && (typeof b.encounter !== 'string' || !ID_RE.test(b.encounter))) return 'encounter must be a resource id';
  if (b.need_patient_banner !== undefined && typeof b.need_patient_banner !== 'boolean') return 'need_patient_banner must be a boolean';
  if (b.smart_style_url !== undefined && (typeof b.smart_style_url !== 'string' || !URL.canParse(b.smart_style_url))) return 'smart_style_url must be a URL';
  if (b.intent !== undefined && typeof b.intent !== 'string') return 'intent must be a string';
  if (b.fhirContext !== undefined && !Array.isArray(b.fhirContext)) return 'fhirContext must be an array';
  if (b.client_id !== undefined && typeof b.client_id !== 'string') return 'client_id must be a string';
  const userScopeProblem = b.user_scope === undefined ? undefined : checkUserScope(b.user_scope);
  if (userScopeProblem) return userScopeProblem;
  return {
    fhirUser: b.fhirUser,
    ...(b.patient !== undefined && { patient: b.patient as string }),
    ...(b.encounter !== undefined && { encounter: b.encounter as string }),
    ...(b.need_patient_banner !== undefined && { need_patient_banner: b.need_patient_banner as boolean }),
    ...(b.smart_style_url !== undefined && { smart_style_url: b.smart_style_url as string }),
    ...(b.intent !== undefined && { intent: b.intent as string }),
    ...(b.fhirContext !== undefined && { fhirContext: b.fhirContext as unknown[] }),
    ...(b.client_id !== undefined && { client_id: b.client_id as string }),
    ...(b.user_scope !== undefined && { user_scope: b.user_scope as string }),
  };
}

export function createLaunchHandler(store: AuthStore) {
  return async function createLaunch(req: Request, res: Response): Promise<void> {
    const context = parseLaunchContext(req.body);
    res.set('Cache-Control', 'no-store');
    if (typeof context === 'string') {
      res.status(400).json({ error: 'invalid_request', error_description: context });
      return;
    }
    const launch = await store.createLaunch(context, LAUNCH_TTL_SECONDS);
    res.status(201).json({ launch });
  };
}
