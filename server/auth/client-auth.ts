// Client authentication at the token endpoint: public (client_id only), confidential symmetric
// (HTTP Basic or client_secret_post) and confidential asymmetric / backend (private_key_jwt, RFC 7523;
// https://hl7.org/fhir/smart-app-launch/client-confidential-asymmetric.html).
import { timingSafeEqual, createHash } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AuthStore } from './auth-store.ts';
import type { ClientRegistration, ClientRegistry } from './clients.ts';
import { OAuthError } from './oauth-error.ts';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGS = ['RS384', 'ES384'];
const MAX_ASSERTION_LIFETIME = 300;

export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export interface ClientAuthDeps {
  readonly registry: ClientRegistry;
  readonly store: AuthStore;
  readonly tokenUrl: string;
  readonly now: () => Date;
}

function secretsEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function parseBasic(header: string): { id: string; secret: string } {
  const raw = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = raw.indexOf(':');
  if (i < 0) throw new OAuthError('invalid_client', 'malformed Basic credentials');
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: decode(raw.slice(0, i)), secret: decode(raw.slice(i + 1)) };
  } catch {
    throw new OAuthError('invalid_client', 'malformed Basic credentials');
  }
}

export class ClientAuthenticator {
  private readonly remoteSets = new Map<string, JWTVerifyGetKey>();

  constructor(private readonly deps: ClientAuthDeps) {}

  /** Identifies and authenticates the client of a token-endpoint request, or throws invalid_client. */
  async authenticate(body: Record<string, string>, authorization: string | undefined): Promise<{ client: ClientRegistration; method: ClientAuthMethod }> {
    if (authorization?.toLowerCase().startsWith('basic ')) {
      const { id, secret } = parseBasic(authorization);
      const client = this.deps.registry.get(id);
      if (!client?.client_secret || !secretsEqual(secret, client.client_secret) || (body.client_id !== undefined && body.client_id !== id)) {
        throw new OAuthError('invalid_client', 'client authentication failed');
      }
      return { client, method: 'client_secret_basic' };
    }
    if (body.client_assertion !== undefined || body.client_assertion_type !== undefined) {
      if (body.client_assertion_type !== JWT_BEARER) throw new OAuthError('invalid_client', `client_assertion_type must be ${JWT_BEARER}`);
      return { client: await this.verifyAssertion(body.client_assertion ?? '', body.client_id), method: 'private_key_jwt' };
    }
    const client = this.deps.registry.get(body.client_id);
    if (!client) throw new OAuthError('invalid_client', 'unknown client_id');
    if (body.client_secret !== undefined) {
      if (!client.client_secret || !secretsEqual(body.client_secret, client.client_secret)) throw new OAuthError('invalid_client', 'client authentication failed');
      return { client, method: 'client_secret_post' };
    }
    if (client.type !== 'public') throw new OAuthError('invalid_client', 'confidential clients must authenticate');
    return { client, method: 'none' };
  }

  private async verifyAssertion(assertion: string, bodyClientId: string | undefined): Promise<ClientRegistration> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let iss: unknown;
    try {
      header = decodeProtectedHeader(assertion);
      iss = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')).iss;
    } catch {
      throw new OAuthError('invalid_client', 'client_assertion is not a JWT');
    }
    const client = typeof iss === 'string' ? this.deps.registry.get(iss) : undefined;
    if (!client || (bodyClientId !== undefined && bodyClientId !== client.client_id)) throw new OAuthError('invalid_client', 'unknown client');
    if (!client.jwks && !client.jwks_uri) throw new OAuthError('invalid_client', 'client has no registered keys');
    if (!header.alg || !ASSERTION_ALGS.includes(header.alg)) throw new OAuthError('invalid_client', 'client_assertion alg must be RS384 or ES384');
    if (!header.kid) throw new OAuthError('invalid_client', 'client_assertion header needs kid');
    if (header.jku !== undefined && header.jku !== client.jwks_uri) throw new OAuthError('invalid_client', 'jku is not the registered JWKS URL');
    const now = this.deps.now();
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, this.keySet(client), {
        algorithms: ASSERTION_ALGS,
        issuer: client.client_id,
        subject: client.client_id,
        audience: this.deps.tokenUrl,
        currentDate: now,
        requiredClaims: ['exp', 'jti'],
      }));
    } catch {
      throw new OAuthError('invalid_client', 'client_assertion verification failed');
    }
    const nowSeconds = Math.floor(now.getTime() / 1000);
    if ((payload.exp as number) > nowSeconds + MAX_ASSERTION_LIFETIME) throw new OAuthError('invalid_client', 'client_assertion exp is more than 5 minutes ahead');
    if (!(await this.deps.store.recordJti(client.client_id, String(payload.jti), payload.exp as number))) {
      throw new OAuthError('invalid_client', 'client_assertion jti was already used');
    }
    return client;
  }

  private keySet(client: ClientRegistration): JWTVerifyGetKey {
    if (client.jwks) return createLocalJWKSet({ keys: [...client.jwks.keys] });
    let set = this.remoteSets.get(client.client_id);
    if (!set) {
      // jose honours a cooldown and refetches on an unknown kid; the cache lasts at most 10 minutes.
      set = createRemoteJWKSet(new URL(client.jwks_uri as string), { cacheMaxAge: 600_000, cooldownDuration: 30_000 });
      this.remoteSets.set(client.client_id, set);
    }
    return set;
  }
}
