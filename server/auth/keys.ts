// Signing keys (RS256) for access tokens and id_tokens: from configuration, or generated once and
// stored in the database so replicas share them. All non-retired keys are published; the newest signs.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import fs from 'node:fs';
import type { SqlDriver } from '../store/driver.ts';

export const SIGNING_ALG = 'RS256';

interface LoadedKey {
  readonly kid: string;
  readonly createdAt: number;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

const RELOAD_INTERVAL_MS = 30_000;

export class KeyRing {
  private keys: LoadedKey[] = [];
  private lastReload = 0;

  constructor(
    private readonly driver: SqlDriver,
    private readonly now: () => Date,
    /** Private RSA JWKs from configuration; when given the database is not used for keys. */
    private readonly configured?: readonly JWK[],
  ) {}

  async init(): Promise<void> {
    if (this.configured?.length) {
      this.keys = await Promise.all(this.configured.map((jwk, i) => loadKey(jwk, i)));
      return;
    }
    await this.reload();
    if (this.keys.length === 0) {
      await this.rotate();
    }
  }

  /** Adds a new signing key; older keys stay published (and valid) until retired. */
  async rotate(): Promise<string> {
    const { privateKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: 2048, extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    const { publicJwk } = await loadKey({ ...jwk, kid }, 0);
    await this.driver.run(`INSERT INTO auth_keys (kid, alg, private_jwk, public_jwk, created_at) VALUES (?, ?, ?, ?, ?) ${this.driver.dialect.onConflictDoNothing}`, [
      kid,
      SIGNING_ALG,
      JSON.stringify(jwk),
      JSON.stringify(publicJwk),
      this.now().getTime(),
    ]);
    await this.reload();
    return kid;
  }

  async retire(kid: string): Promise<void> {
    await this.driver.run('UPDATE auth_keys SET retired_at = ? WHERE kid = ?', [this.now().getTime(), kid]);
    await this.reload();
  }

  private async reload(): Promise<void> {
    const rows = await this.driver.query<{ kid: string; private_jwk: string; created_at: unknown }>(
      'SELECT kid, private_jwk, created_at FROM auth_keys WHERE retired_at IS NULL',
    );
    this.keys = await Promise.all(rows.map((r) => loadKey({ ...JSON.parse(r.private_jwk), kid: r.kid }, Number(r.created_at))));
    this.lastReload = Date.now();
  }

  /** The key that signs: the newest (ties broken by kid so every replica picks the same one). */
  signingKey(): { kid: string; key: CryptoKey } {
    const best = [...this.keys].sort((a, b) => b.createdAt - a.createdAt || a.kid.localeCompare(b.kid))[0];
    if (!best) throw new Error('no signing key');
    return { kid: best.kid, key: best.privateKey };
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  /** Public key for `kid`; an unknown kid triggers a (throttled) reload, for keys another replica added. */
  async verificationKey(kid: string | undefined): Promise<CryptoKey | undefined> {
    const find = () => this.keys.find((k) => k.kid === kid)?.publicKey;
    const found = find();
    if (found || this.configured?.length || Date.now() - this.lastReload < RELOAD_INTERVAL_MS) return found;
    await this.reload();
    return find();
  }
}

/**
 * SMART_SIGNING_KEYS: a JSON file {"keys": [private RSA JWKs]}. Every key is published in the JWKS; the last one signs,
 * so a rotation appends a new key and drops the old one once the tokens it signed have expired.
 */
export function readSigningKeysFile(file: string): JWK[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`SMART_SIGNING_KEYS: cannot read ${file} as JSON (${(err as Error).message})`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('SMART_SIGNING_KEYS: the file must hold {"keys": [one or more private RSA JWKs]}');
  keys.forEach((k: JWK, i) => {
    if (typeof k !== 'object' || k === null || k.kty !== 'RSA' || typeof k.d !== 'string' || typeof k.n !== 'string') {
      throw new Error(`SMART_SIGNING_KEYS: key ${i} is not a private RSA JWK (kty RSA with n, e, d, p, q, dp, dq, qi)`);
    }
  });
  return keys as JWK[];
}

async function loadKey(jwk: JWK, createdAt: number): Promise<LoadedKey> {
  if (jwk.kty !== 'RSA' || !jwk.d) throw new Error('signing keys must be private RSA JWKs');
  const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk, 'sha256'));
  const publicJwk: JWK = { kty: 'RSA', n: jwk.n, e: jwk.e, kid, alg: SIGNING_ALG, use: 'sig' };
  const privateKey = (await importJWK({ ...jwk, alg: SIGNING_ALG }, SIGNING_ALG)) as CryptoKey;
  const publicKey = (await importJWK(publicJwk, SIGNING_ALG)) as CryptoKey;
  return { kid, createdAt, privateKey, publicKey, publicJwk };
}
