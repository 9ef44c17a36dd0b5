// /auth/authorize (GET and form POST): EHR launch approved silently for the launch's user; standalone
// launch through sign-in, then patient and scope choice (https://hl7.org/fhir/smart-app-launch/app-launch.html).
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { randomToken, type AuthStore } from './auth-store.ts';
import { checkAuthorizeRequest, redirectWith, type PendingAuthorization } from './authorize-request.ts';
import type { ClientRegistry } from './clients.ts';
import type { AuditHook } from './audit-hook.ts';
import type { Endpoints } from './discovery.ts';
import type { AuthenticatedUser, Grant, LaunchContext } from './grant.ts';
import { consentPage, errorPage, loginPage } from './pages.ts';
import { boundByUser, parseResourceScope } from './scopes.ts';
import type { PatientChoice, UserAuthenticator } from './users.ts';

export const CODE_TTL_SECONDS = 60;
const REQUEST_TTL_SECONDS = 600;
export const ONLINE_SESSION_SECONDS = 12 * 3600;

export interface AuthorizeDeps {
  readonly registry: ClientRegistry;
  readonly store: AuthStore;
  readonly endpoints: Endpoints;
  readonly users?: UserAuthenticator;
  readonly demoHint?: string;
  readonly listPatients?: () => Promise<readonly PatientChoice[]>;
  readonly log: Logger;
  readonly now: () => Date;
  readonly styleUrl: string;
  readonly audit: AuditHook;
}

const LOGIN_PATH = '/auth/authorize/login';
const CONSENT_PATH = '/auth/authorize/consent';

function isPatientScope(s: string): boolean {
  return parseResourceScope(s)?.context === 'patient';
}

function patientOf(user: AuthenticatedUser): string | undefined {
  return /^Patient\/(.+)$/.exec(user.fhirUser)?.[1];
}

function sendPage(res: Response, status: number, html: string): void {
  res.set('Cache-Control', 'no-store');
  res.status(status).type('html').send(html);
}

export function createAuthorizeHandlers(deps: AuthorizeDeps) {
  const seconds = () => Math.floor(deps.now().getTime() / 1000);

  async function finish(res: Response, pending: PendingAuthorization, user: AuthenticatedUser, context: LaunchContext, scopes: readonly string[]): Promise<void> {
    // Patient-level scopes are bound to a patient; without one they are not granted. User-level scopes never exceed
    // what the user may do.
    const bounded = boundByUser(scopes, user.scope);
    const granted = context.patient ? bounded : bounded.filter((s) => !isPatientScope(s) && s !== 'launch/patient');
    const refresh = granted.includes('offline_access') ? 'offline' : granted.includes('online_access') ? 'online' : 'none';
    const grant: Grant = {
      id: randomToken(16),
      clientId: pending.clientId,
      scopes: granted,
      context,
      user,
      redirectUri: pending.redirectUri,
      codeChallenge: pending.codeChallenge,
      ...(pending.nonce && { nonce: pending.nonce }),
      refresh,
      authTime: seconds(),
    };
    await deps.store.saveGrant(grant, refresh === 'offline' ? null : seconds() + ONLINE_SESSION_SECONDS);
    const code = await deps.store.createCode(grant.id, CODE_TTL_SECONDS);
    deps.log.info({ event: 'auth.code-issued', clientId: grant.clientId, grantId: grant.id }, 'authorization code issued');
    res.redirect(302, redirectWith(pending.redirectUri, { code, state: pending.state }));
  }

  function deny(res: Response, pending: PendingAuthorization, error: string, description: string): void {
    res.redirect(302, redirectWith(pending.redirectUri, { error, error_description: description, state: pending.state }));
  }

  async function authorize(req: Request, res: Response): Promise<void> {
    const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown>;
    const check = checkAuthorizeRequest(params ?? {}, deps.registry, deps.endpoints.fhirBase);
    if (check.kind === 'page') return sendPage(res, 400, errorPage(check.message));
    if (check.kind === 'redirect') {
      deps.log.info({ event: 'auth.authorize-refused', error: check.error }, 'authorization request refused');
      return res.redirect(302, redirectWith(check.redirectUri, { error: check.error, error_description: check.description, state: check.state }));
    }
    const { pending, client } = check;
    if (pending.launch !== undefined) {
      const launch = await deps.store.useLaunch(pending.launch);
      if (!launch?.fhirUser || (launch.client_id !== undefined && launch.client_id !== client.client_id)) {
        return deny(res, pending, 'invalid_request', 'launch is unknown, expired or already used');
      }
      const { fhirUser, client_id: _boundClient, user_scope: userScope, ...context } = launch;
      const user: AuthenticatedUser = { sub: fhirUser, fhirUser, ...(userScope !== undefined && { scope: userScope }) };
      deps.audit({ kind: 'login', who: { user: fhirUser, clientId: client.client_id, address: req.ip }, outcome: 'success', outcomeDesc: 'EHR launch', action: 'E' });
      const ctx: LaunchContext = { need_patient_banner: false, smart_style_url: deps.styleUrl, ...context };
      return finish(res, pending, user, ctx, pending.scopes.filter((s) => s !== 'launch/patient' || context.patient !== undefined));
    }
    if (!deps.users) return deny(res, pending, 'access_denied', 'no user sign-in is configured on this server');
    const requestId = await deps.store.createRequest(client.client_id, pending, REQUEST_TTL_SECONDS);
    sendPage(res, 200, loginPage({ action: LOGIN_PATH, requestId, clientName: client.name ?? client.client_id, demoHint: deps.demoHint }));
  }

  async function login(req: Request, res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const requestId = String(body.request ?? '');
    const found = await deps.store.getRequest<PendingAuthorization>(requestId);
    if (!found || !deps.users) return sendPage(res, 400, errorPage('This sign-in has expired. Start again from the application.'));
    const client = deps.registry.get(found.data.clientId);
    const clientName = client?.name ?? found.data.clientId;
    const user = await deps.users.authenticate(String(body.username ?? ''), String(body.password ?? ''));
    if (!user) {
      deps.audit({ kind: 'login', who: { clientId: found.data.clientId, address: req.ip }, outcome: 'minor-failure', outcomeDesc: 'wrong credentials', action: 'E' });
      deps.log.info({ event: 'auth.login-failed', clientId: found.data.clientId }, 'sign-in failed');
      return sendPage(res, 401, loginPage({ action: LOGIN_PATH, requestId, clientName, error: 'User name or password is wrong.', demoHint: deps.demoHint }));
    }
    await deps.store.setRequestUser(requestId, user);
    deps.audit({ kind: 'login', who: { user: user.fhirUser, subject: user.sub, clientId: found.data.clientId, address: req.ip }, outcome: 'success', action: 'E' });
    const needsPatient = !patientOf(user) && found.data.scopes.some((s) => s === 'launch/patient' || isPatientScope(s));
    const patients = needsPatient ? ((await deps.listPatients?.()) ?? []) : undefined;
    // The page offers what this user may grant: user/ scopes cut down to the user's own permissions.
    const offered = boundByUser(found.data.scopes, user.scope);
    sendPage(res, 200, consentPage({ action: CONSENT_PATH, requestId, clientName, userName: user.name ?? user.fhirUser, scopes: offered, patients }));
  }

  async function consent(req: Request, res: Response): Promise<void> {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const requestId = String(body.request ?? '');
    const found = await deps.store.getRequest<PendingAuthorization>(requestId);
    if (!found?.user) return sendPage(res, 400, errorPage('This sign-in has expired. Start again from the application.'));
    await deps.store.deleteRequest(requestId);
    const pending = found.data;
    if (body.decision !== 'allow') return deny(res, pending, 'access_denied', 'the user denied access');
    const ticked = new Set(([] as unknown[]).concat(body.scope ?? []).map(String));
    // The user may only narrow: anything not offered is ignored.
    const scopes = boundByUser(pending.scopes, found.user.scope).filter((s) => ticked.has(s));
    const ownPatient = patientOf(found.user);
    const chosen = typeof body.patient === 'string' && /^[A-Za-z0-9\-.]{1,200}$/.test(body.patient) ? body.patient : undefined;
    if (!ownPatient && chosen && deps.listPatients && !(await deps.listPatients()).some((p) => p.id === chosen)) {
      return deny(res, pending, 'invalid_request', 'unknown patient');
    }
    const patient = ownPatient ?? chosen;
    const context: LaunchContext = { need_patient_banner: true, smart_style_url: deps.styleUrl, ...(patient && { patient }) };
    await finish(res, pending, found.user, context, scopes);
  }

  return { authorize, login, consent, LOGIN_PATH, CONSENT_PATH };
}
