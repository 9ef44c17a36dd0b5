// The authorization server's tables (both dialects). Codes and refresh tokens are stored as SHA-256 hashes.
import type { Migration } from '../store/migrations.ts';

export const AUTH_TABLES = ['auth_keys', 'auth_launches', 'auth_requests', 'auth_grants', 'auth_codes', 'auth_refresh_tokens', 'auth_jti'] as const;

export const AUTH_MIGRATIONS: readonly Migration[] = [
  {
    name: 'auth-001-smart',
    // Times are epoch seconds; BIGINT so PostgreSQL does not stop in 2038.
    statements: () => [
      `CREATE TABLE IF NOT EXISTS auth_keys (kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_jwk TEXT NOT NULL,
        public_jwk TEXT NOT NULL, created_at BIGINT NOT NULL, retired_at BIGINT)`,
      `CREATE TABLE IF NOT EXISTS auth_launches (id TEXT PRIMARY KEY, context TEXT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT)`,
      `CREATE TABLE IF NOT EXISTS auth_requests (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, data TEXT NOT NULL,
        user_data TEXT, expires_at BIGINT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS auth_grants (id TEXT PRIMARY KEY, client_id TEXT NOT NULL, data TEXT NOT NULL,
        created_at BIGINT NOT NULL, expires_at BIGINT, revoked_at BIGINT)`,
      `CREATE TABLE IF NOT EXISTS auth_codes (code_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, expires_at BIGINT NOT NULL, used_at BIGINT)`,
      `CREATE TABLE IF NOT EXISTS auth_refresh_tokens (token_hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL,
        expires_at BIGINT NOT NULL, used_at BIGINT)`,
      `CREATE INDEX IF NOT EXISTS auth_refresh_tokens_grant ON auth_refresh_tokens (grant_id)`,
      `CREATE TABLE IF NOT EXISTS auth_jti (issuer TEXT NOT NULL, jti TEXT NOT NULL, expires_at BIGINT NOT NULL, PRIMARY KEY (issuer, jti))`,
    ],
  },
];
