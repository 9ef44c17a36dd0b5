// Validation of an authorization request (RFC 6749 §4.1.1, RFC 7636, SMART app-launch "authorize"):
// bad client or redirect URI → an error page; anything else → an error redirect carrying `state`.
import type { ClientRegistration, ClientRegistry } from './clients.ts';
import type { OAuthErrorCode } from './oauth-error.ts';
import { grantScopes, parseResourceScope, splitScopes } from './scopes.ts';

export interface PendingAuthorization {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state: string;
  readonly codeChallenge: string;
  readonly scopes: readonly string[];
  readonly nonce?: string;
  readonly launch?: string;
}

export type AuthorizeCheck =
  | { readonly kind: 'ok'; readonly client: ClientRegistration; readonly pending: PendingAuthorization }
  | { readonly kind: 'page'; readonly message: string }
  | { readonly kind: 'redirect'; readonly redirectUri: string; readonly state?: string; readonly error: OAuthErrorCode; readonly description: string };

const CHALLENGE_RE = /^[A-Za-z0-9_-]{43}$/;

function sameUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

export function checkAuthorizeRequest(params: Record<string, unknown>, registry: ClientRegistry, fhirBase: string): AuthorizeCheck {
  const str = (k: string): string | undefined => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
  const client = registry.get(str('client_id'));
  if (!client) return { kind: 'page', message: 'Unknown client_id.' };
  const redirectUri = str('redirect_uri');
  if (!redirectUri) return { kind: 'page', message: 'redirect_uri is required.' };
  // Exact string match against the registration (no prefix or wildcard matching: no open redirects).
  if (!client.redirect_uris.includes(redirectUri)) return { kind: 'page', message: 'redirect_uri is not registered for this client.' };
  const state = str('state');
  const fail = (error: OAuthErrorCode, description: string): AuthorizeCheck => ({ kind: 'redirect', redirectUri, state, error, description });
  for (const key of ['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'aud', 'launch', 'code_challenge', 'code_challenge_method', 'nonce']) {
    if (Array.isArray(params[key])) return fail('invalid_request', `${key} given more than once`);
  }
  if (str('response_type') !== 'code') return fail('unsupported_response_type', 'response_type must be code');
  if (client.type === 'backend') return fail('unauthorized_client', 'backend clients use client_credentials');
  if (!state) return fail('invalid_request', 'state is required');
  const challenge = str('code_challenge');
  const method = str('code_challenge_method');
  if (!challenge) return fail('invalid_request', 'PKCE code_challenge is required');
  if (method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256 (plain is not supported)');
  if (!CHALLENGE_RE.test(challenge)) return fail('invalid_request', 'code_challenge must be a base64url SHA-256 hash');
  const aud = str('aud');
  if (!aud) return fail('invalid_request', 'aud is required');
  if (!sameUrl(aud, fhirBase)) return fail('invalid_request', 'aud is not this server\'s FHIR base URL');
  const requested = splitScopes(str('scope'));
  if (requested.length === 0) return fail('invalid_scope', 'scope is required');
  const scopes = grantScopes(requested, splitScopes(client.scope)).filter((s) => {
    // System scopes are for client_credentials only.
    const parsed = parseResourceScope(s);
    return parsed === undefined || parsed.context !== 'system';
  });
  if (scopes.length === 0) return fail('invalid_scope', 'none of the requested scopes is allowed for this client');
  const nonce = str('nonce');
  const launch = str('launch');
  return {
    kind: 'ok',
    client,
    pending: { clientId: client.client_id, redirectUri, state, codeChallenge: challenge, scopes, ...(nonce && { nonce }), ...(launch && { launch }) },
  };
}

/** Where to send the browser with an authorization response or error (query component, RFC 6749 §4.1.2). */
export function redirectWith(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}
