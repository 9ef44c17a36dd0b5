// Access tokens (signed JWTs, RFC 9068 shape) and OpenID Connect id_tokens (RS256 with kid).
import { SignJWT, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { LaunchContext } from './grant.ts';
import { randomToken } from './auth-store.ts';
import { SIGNING_ALG, type KeyRing } from './keys.ts';

export interface AccessTokenClaims extends JWTPayload, LaunchContext {
  client_id: string;
  scope: string;
  /** Grant id: revoking the grant (revocation, replayed code or refresh token) invalidates the token. */
  gid: string;
  /** Absolute URL of the user's FHIR resource. */
  fhirUser?: string;
  /** client_credentials tokens act for the client itself. */
  grant_type?: 'client_credentials';
}

export interface TokenSubject {
  readonly grantId: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly context: LaunchContext;
  readonly sub: string;
  readonly fhirUser?: string;
  readonly system?: boolean;
}

export class TokenService {
  constructor(
    private readonly keys: KeyRing,
    readonly issuer: string,
    readonly fhirBase: string,
    private readonly now: () => Date,
  ) {}

  absoluteFhirUser(ref: string | undefined): string | undefined {
    if (!ref) return undefined;
    return /^https?:\/\//.test(ref) ? ref : `${this.fhirBase}/${ref}`;
  }

  async issueAccessToken(subject: TokenSubject, lifetimeSeconds: number): Promise<{ token: string; exp: number }> {
    const iat = Math.floor(this.now().getTime() / 1000);
    const exp = iat + lifetimeSeconds;
    const { kid, key } = this.keys.signingKey();
    const { patient, encounter, fhirContext, intent, tenant } = subject.context;
    const claims: AccessTokenClaims = {
      client_id: subject.clientId,
      scope: subject.scopes.join(' '),
      gid: subject.grantId,
      ...(patient !== undefined && { patient }),
      ...(encounter !== undefined && { encounter }),
      ...(fhirContext !== undefined && { fhirContext }),
      ...(intent !== undefined && { intent }),
      ...(tenant !== undefined && { tenant }),
      ...(subject.fhirUser !== undefined && { fhirUser: this.absoluteFhirUser(subject.fhirUser) }),
      ...(subject.system && { grant_type: 'client_credentials' as const }),
    };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setSubject(subject.sub)
      .setAudience(this.fhirBase)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomToken(16))
      .sign(key);
    return { token, exp };
  }

  async issueIdToken(args: { sub: string; clientId: string; fhirUser?: string; nonce?: string; authTime: number }): Promise<string> {
    const iat = Math.floor(this.now().getTime() / 1000);
    const { kid, key } = this.keys.signingKey();
    return new SignJWT({
      ...(args.fhirUser && { fhirUser: this.absoluteFhirUser(args.fhirUser) }),
      ...(args.nonce && { nonce: args.nonce }),
      auth_time: args.authTime,
    })
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(args.sub)
      .setAudience(args.clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(key);
  }

  /** Verifies signature, issuer, audience and lifetime; throws a short reason (never the token). */
  async verifyAccessToken(token: string): Promise<AccessTokenClaims> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.typ !== 'at+jwt') throw new Error();
      kid = header.kid;
    } catch {
      throw new TokenError('malformed access token');
    }
    const key = await this.keys.verificationKey(kid);
    if (!key) throw new TokenError('access token signed by an unknown key');
    try {
      const { payload } = await jwtVerify<AccessTokenClaims>(token, key, {
        algorithms: [SIGNING_ALG],
        issuer: this.issuer,
        audience: this.fhirBase,
        typ: 'at+jwt',
        currentDate: this.now(),
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
      });
      if (typeof payload.client_id !== 'string' || typeof payload.scope !== 'string' || typeof payload.gid !== 'string') {
        throw new TokenError('access token lacks client_id, scope or grant');
      }
      return payload;
    } catch (err) {
      if (err instanceof TokenError) throw err;
      const code = (err as { code?: string }).code;
      throw new TokenError(code === 'ERR_JWT_EXPIRED' ? 'access token expired' : 'access token invalid');
    }
  }
}

export class TokenError extends Error {}
