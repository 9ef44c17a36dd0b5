// Bundle.signature as a JWS that carries its payload (https://hl7.org/fhir/R4/datatypes.html#Signature,
// sigFormat application/jose): the signed payload must be this Bundle in the canonical form that targetFormat
// names (https://hl7.org/fhir/R4/json.html#canonical), and the JWS must verify against the certificate in its
// header (x5c). Detached signatures are not checked: that needs the signer's exact canonical bytes.
import { constants, verify, X509Certificate, type KeyObject } from 'node:crypto';
import type { ValidationIssue } from './types.ts';

const CANONICAL_JSON = 'http://hl7.org/fhir/canonicalization/json';

/** JWS alg (RFC 7518 §3.1) → node:crypto digest and key options */
const ALGORITHMS: Record<string, { digest: string; padding?: number; ecdsa?: boolean }> = {
  RS256: { digest: 'sha256' },
  RS384: { digest: 'sha384' },
  RS512: { digest: 'sha512' },
  PS256: { digest: 'sha256', padding: constants.RSA_PKCS1_PSS_PADDING },
  PS384: { digest: 'sha384', padding: constants.RSA_PKCS1_PSS_PADDING },
  PS512: { digest: 'sha512', padding: constants.RSA_PKCS1_PSS_PADDING },
  ES256: { digest: 'sha256', ecdsa: true },
  ES384: { digest: 'sha384', ecdsa: true },
  ES512: { digest: 'sha512', ecdsa: true },
};

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The root elements left out of the comparison with the signed payload; undefined for methods not compared
 * here (#data, #static and #narrative drop narrative or meta throughout the content). The signature cannot
 * sign itself; "#document" signs everything "except for the Bundle.id and Bundle.meta on the root Bundle",
 * and these two are left out for the plain method too, so that only a change of content is reported.
 */
function excludedElements(signature: Record<string, any>, header: Record<string, any>): string[] | undefined {
  const format = typeof signature.targetFormat === 'string' ? signature.targetFormat : '';
  if (format && !format.startsWith('application/fhir+json') && !format.startsWith('application/json')) return undefined;
  const method = /canonicalization=([^;\s]+)/.exec(format)?.[1] ?? (typeof header.canon === 'string' ? header.canon : CANONICAL_JSON);
  return method === CANONICAL_JSON || method === `${CANONICAL_JSON}#document` ? ['id', 'meta', 'signature'] : undefined;
}

/** where two JSON values first differ (canonical JSON keeps single spaces only, so runs of whitespace compare equal) */
function firstDifference(signed: unknown, actual: unknown, path: string): string | undefined {
  if (typeof signed === 'string' && typeof actual === 'string') {
    return signed.replace(/\s+/g, ' ').trim() === actual.replace(/\s+/g, ' ').trim() ? undefined : path;
  }
  if (Array.isArray(signed) || Array.isArray(actual)) {
    if (!Array.isArray(signed) || !Array.isArray(actual) || signed.length !== actual.length) return path;
    for (let i = 0; i < signed.length; i++) {
      const d = firstDifference(signed[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (signed && actual && typeof signed === 'object' && typeof actual === 'object') {
    const a = signed as Record<string, unknown>;
    const b = actual as Record<string, unknown>;
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(k in a) || !(k in b)) return `${path}.${k}`;
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return signed === actual ? undefined : path;
}

function certificateKey(header: Record<string, any>): KeyObject | undefined {
  const der = Array.isArray(header.x5c) ? header.x5c[0] : undefined;
  if (typeof der !== 'string') return undefined;
  try {
    return new X509Certificate(Buffer.from(der, 'base64')).publicKey;
  } catch {
    return undefined;
  }
}

function verifiesWith(key: KeyObject, alg: (typeof ALGORITHMS)[string], input: string, signature: string): boolean {
  const options = alg.ecdsa ? { key, dsaEncoding: 'ieee-p1363' as const } : alg.padding ? { key, padding: alg.padding, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : key;
  try {
    return verify(alg.digest, Buffer.from(input), options, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

export function checkBundleSignature(bundle: Record<string, any>, path: string): ValidationIssue[] {
  const sig = bundle.signature;
  if (!sig || typeof sig !== 'object' || sig.sigFormat !== 'application/jose' || typeof sig.data !== 'string') return [];
  // Signature.data is base64 of the compact JWS (a bare JWS is reported by the base64Binary check)
  const parts = Buffer.from(sig.data, 'base64').toString('utf8').split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p)) || !parts[1]) return [];
  const [head, payload, value] = parts;
  const header = parseJson(Buffer.from(head, 'base64url').toString('utf8'));
  if (!header || typeof header !== 'object' || (header as Record<string, any>).b64 === false) return [];
  const h = header as Record<string, any>;
  const issues: ValidationIssue[] = [];
  const error = (diagnostics: string) => issues.push({ severity: 'error', code: 'value', diagnostics, expression: [`${path}.signature`] });
  const alg = typeof h.alg === 'string' ? ALGORITHMS[h.alg] : undefined;
  const key = alg ? certificateKey(h) : undefined;
  if (alg && key && !verifiesWith(key, alg, `${head}.${payload}`, value)) {
    error('The signature does not verify against the certificate in its header (x5c)');
  }
  const excluded = excludedElements(sig, h);
  if (excluded) {
    const strip = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([k]) => !excluded.includes(k.replace(/^_/, ''))));
    const signed = parseJson(Buffer.from(payload, 'base64url').toString('utf8'));
    const where = signed && typeof signed === 'object' && !Array.isArray(signed) ? firstDifference(strip(signed as Record<string, unknown>), strip(bundle), '$') : '$';
    if (where) error(`The signed content (the JWS payload) is not this Bundle: they differ at ${where}, so the signature does not hold for it`);
  }
  return issues;
}
