// CDS Hooks 2.0 §"Trusting CDS Clients": the EHR signs a JWT per request (iss, aud = service URL, exp, jti);
// Titrate verifies it against the EHR's registered public keys when trusted EHRs are configured.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

export interface TrustedEhr {
  iss: string;
  jwks: JSONWebKeySet;
}

export class CdsJwtError extends Error {}

/** Parses the trusted-EHRs document: `{ "ehrs": [ { "iss": "...", "jwks": { "keys": [ ... ] } } ] }`. */
export function parseTrustedEhrs(doc: unknown): TrustedEhr[] {
  const ehrs = (doc as { ehrs?: unknown })?.ehrs;
  if (!Array.isArray(ehrs)) throw new CdsJwtError('trusted EHRs file needs an "ehrs" array');
  return ehrs.map((e, i) => {
    const { iss, jwks } = (e ?? {}) as { iss?: unknown; jwks?: { keys?: unknown } };
    if (typeof iss !== 'string' || !iss) throw new CdsJwtError(`ehrs[${i}].iss must be a string`);
    if (!jwks || !Array.isArray(jwks.keys)) throw new CdsJwtError(`ehrs[${i}].jwks must hold a keys array`);
    return { iss, jwks: jwks as JSONWebKeySet };
  });
}

/** Returns a verifier: (Authorization header, service URL) → the EHR's iss, or throws CdsJwtError. */
export function createEhrJwtVerifier(ehrs: readonly TrustedEhr[], now: () => Date = () => new Date()) {
  const keySets = new Map(ehrs.map((e) => [e.iss, createLocalJWKSet(e.jwks)]));
  const seen = new Map<string, number>();
  return async (authorization: string | undefined, serviceUrl: string): Promise<string> => {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new CdsJwtError('a signed JWT from the EHR is required');
    const iss = decodeIss(token);
    const keys = iss ? keySets.get(iss) : undefined;
    if (!keys) throw new CdsJwtError('the JWT issuer is not a trusted EHR');
    const { payload } = await jwtVerify(token, keys, { issuer: iss, audience: serviceUrl, currentDate: now(), maxTokenAge: '5m' }).catch(() => {
      throw new CdsJwtError('the EHR JWT failed verification');
    });
    const jti = typeof payload.jti === 'string' ? payload.jti : undefined;
    if (!jti) throw new CdsJwtError('the EHR JWT has no jti');
    const t = now().getTime();
    for (const [k, exp] of seen) if (exp < t) seen.delete(k);
    if (seen.has(`${iss}|${jti}`)) throw new CdsJwtError('the EHR JWT was replayed');
    seen.set(`${iss}|${jti}`, (payload.exp ?? Math.floor(t / 1000) + 300) * 1000);
    return iss!;
  };
}

function decodeIss(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}
