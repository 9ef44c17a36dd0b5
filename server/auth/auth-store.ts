// Persistence of launches, pending authorizations, grants, codes, refresh tokens and assertion jtis.
import { createHash, randomBytes } from 'node:crypto';
import type { SqlDriver } from '../store/driver.ts';
import type { AuthenticatedUser, Grant, LaunchContext } from './grant.ts';

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export type UseResult<T> = { status: 'ok'; value: T } | { status: 'replayed'; grantId: string } | { status: 'unknown' };

export class AuthStore {
  constructor(
    private readonly driver: SqlDriver,
    private readonly now: () => Date,
  ) {}

  private seconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  async createLaunch(context: LaunchContext & { fhirUser?: string; client_id?: string; user_scope?: string }, ttlSeconds: number): Promise<string> {
    const id = randomToken(24);
    await this.driver.run('INSERT INTO auth_launches (id, context, expires_at) VALUES (?, ?, ?)', [id, JSON.stringify(context), this.seconds() + ttlSeconds]);
    return id;
  }

  /** A launch id is single use, as Epic's is. */
  async useLaunch(id: string): Promise<(LaunchContext & { fhirUser?: string; client_id?: string; user_scope?: string }) | undefined> {
    const now = this.seconds();
    const { changes } = await this.driver.run('UPDATE auth_launches SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?', [now, id, now]);
    if (changes !== 1) return undefined;
    const [row] = await this.driver.query<{ context: string }>('SELECT context FROM auth_launches WHERE id = ?', [id]);
    return row ? JSON.parse(row.context) : undefined;
  }

  async createRequest(clientId: string, data: object, ttlSeconds: number): Promise<string> {
    const id = randomToken(24);
    await this.driver.run('INSERT INTO auth_requests (id, client_id, data, expires_at) VALUES (?, ?, ?, ?)', [id, clientId, JSON.stringify(data), this.seconds() + ttlSeconds]);
    return id;
  }

  async getRequest<T>(id: string): Promise<{ data: T; user?: AuthenticatedUser } | undefined> {
    const [row] = await this.driver.query<{ data: string; user_data: string | null; expires_at: unknown }>(
      'SELECT data, user_data, expires_at FROM auth_requests WHERE id = ?',
      [id],
    );
    if (!row || Number(row.expires_at) <= this.seconds()) return undefined;
    return { data: JSON.parse(row.data), user: row.user_data ? JSON.parse(row.user_data) : undefined };
  }

  async setRequestUser(id: string, user: AuthenticatedUser): Promise<void> {
    await this.driver.run('UPDATE auth_requests SET user_data = ? WHERE id = ?', [JSON.stringify(user), id]);
  }

  async deleteRequest(id: string): Promise<void> {
    await this.driver.run('DELETE FROM auth_requests WHERE id = ?', [id]);
  }

  async saveGrant(grant: Grant, expiresAt: number | null): Promise<void> {
    await this.driver.run('INSERT INTO auth_grants (id, client_id, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
      grant.id,
      grant.clientId,
      JSON.stringify(grant),
      this.seconds(),
      expiresAt,
    ]);
  }

  /** The grant if it is neither revoked nor expired. */
  async getGrant(id: string): Promise<Grant | undefined> {
    const [row] = await this.driver.query<{ data: string; expires_at: unknown; revoked_at: unknown }>(
      'SELECT data, expires_at, revoked_at FROM auth_grants WHERE id = ?',
      [id],
    );
    if (!row || row.revoked_at !== null || (row.expires_at !== null && Number(row.expires_at) <= this.seconds())) return undefined;
    return JSON.parse(row.data) as Grant;
  }

  async isGrantActive(id: string): Promise<boolean> {
    const [row] = await this.driver.query<{ expires_at: unknown; revoked_at: unknown }>('SELECT expires_at, revoked_at FROM auth_grants WHERE id = ?', [id]);
    return row !== undefined && row.revoked_at === null && (row.expires_at === null || Number(row.expires_at) > this.seconds());
  }

  async revokeGrant(id: string): Promise<void> {
    await this.driver.run('UPDATE auth_grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [this.seconds(), id]);
  }

  async createCode(grantId: string, ttlSeconds: number): Promise<string> {
    const code = randomToken();
    await this.driver.run('INSERT INTO auth_codes (code_hash, grant_id, expires_at) VALUES (?, ?, ?)', [hashToken(code), grantId, this.seconds() + ttlSeconds]);
    return code;
  }

  /** Marks a code used; a second use reports `replayed` so the caller can revoke what the first one issued. */
  async useCode(code: string): Promise<UseResult<string>> {
    return this.useOnce('auth_codes', 'code_hash', hashToken(code));
  }

  async createRefreshToken(grantId: string, expiresAt: number): Promise<string> {
    const token = randomToken();
    await this.driver.run('INSERT INTO auth_refresh_tokens (token_hash, grant_id, expires_at) VALUES (?, ?, ?)', [hashToken(token), grantId, expiresAt]);
    return token;
  }

  async useRefreshToken(token: string): Promise<UseResult<string>> {
    return this.useOnce('auth_refresh_tokens', 'token_hash', hashToken(token));
  }

  /** Grant id of an unused, unexpired refresh token (introspection and revocation; does not consume it). */
  async peekRefreshToken(token: string): Promise<{ grantId: string; expiresAt: number } | undefined> {
    const [row] = await this.driver.query<{ grant_id: string; expires_at: unknown; used_at: unknown }>(
      'SELECT grant_id, expires_at, used_at FROM auth_refresh_tokens WHERE token_hash = ?',
      [hashToken(token)],
    );
    if (!row || row.used_at !== null || Number(row.expires_at) <= this.seconds()) return undefined;
    return { grantId: row.grant_id, expiresAt: Number(row.expires_at) };
  }

  private async useOnce(table: 'auth_codes' | 'auth_refresh_tokens', key: string, hash: string): Promise<UseResult<string>> {
    const now = this.seconds();
    const { changes } = await this.driver.run(`UPDATE ${table} SET used_at = ? WHERE ${key} = ? AND used_at IS NULL AND expires_at > ?`, [now, hash, now]);
    const [row] = await this.driver.query<{ grant_id: string; used_at: unknown }>(`SELECT grant_id, used_at FROM ${table} WHERE ${key} = ?`, [hash]);
    if (!row) return { status: 'unknown' };
    if (changes === 1) return { status: 'ok', value: row.grant_id };
    // Used before (not merely expired): a replay.
    return row.used_at !== null ? { status: 'replayed', grantId: row.grant_id } : { status: 'unknown' };
  }

  /** Records an assertion jti; false when (issuer, jti) was seen before (RFC 7523 §3 replay). */
  async recordJti(issuer: string, jti: string, expiresAt: number): Promise<boolean> {
    const now = this.seconds();
    await this.driver.run('DELETE FROM auth_jti WHERE expires_at < ?', [now - 60]);
    const { changes } = await this.driver.run(`INSERT INTO auth_jti (issuer, jti, expires_at) VALUES (?, ?, ?) ${this.driver.dialect.onConflictDoNothing}`, [issuer, jti, expiresAt]);
    return changes === 1;
  }

  /** Housekeeping: drops expired launches, requests, codes and refresh tokens. */
  async purgeExpired(): Promise<void> {
    const cutoff = this.seconds() - 86_400;
    for (const table of ['auth_launches', 'auth_requests', 'auth_codes', 'auth_refresh_tokens']) {
      await this.driver.run(`DELETE FROM ${table} WHERE expires_at < ?`, [cutoff]);
    }
  }
}
