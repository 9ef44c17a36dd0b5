// The registered-clients file (SPEC §3 `SMART_CLIENTS`): loading, validation, lookup.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JWK } from 'jose';

export interface ClientRegistration {
  readonly client_id: string;
  /** public: PKCE only; confidential: secret (Basic/post) or JWKS (private_key_jwt); backend: JWKS, client_credentials. */
  readonly type: 'public' | 'confidential' | 'backend';
  readonly redirect_uris: readonly string[];
  readonly scope: string;
  readonly client_secret?: string;
  readonly jwks?: { readonly keys: readonly JWK[] };
  readonly jwks_uri?: string;
  /** Extra browser origins allowed by CORS on the token endpoint (redirect URI origins are always allowed). */
  readonly origins?: readonly string[];
  readonly name?: string;
}

export const DEMO_CLIENTS_FILE = join(dirname(fileURLToPath(import.meta.url)), 'demo-clients.json');

export class ClientsFileError extends Error {}

/** Parses and checks a clients document; `{publicBaseUrl}` in redirect URIs and origins is replaced. */
export function parseClients(doc: unknown, publicBaseUrl: string): ClientRegistration[] {
  const list = (doc as { clients?: unknown })?.clients;
  if (!Array.isArray(list)) throw new ClientsFileError('clients file must be {"clients": [...]}');
  const seen = new Set<string>();
  const expand = (s: string): string => s.replaceAll('{publicBaseUrl}', publicBaseUrl);
  return list.map((raw: Record<string, unknown>, i) => {
    const where = `clients[${i}]`;
    const id = raw.client_id;
    if (typeof id !== 'string' || !/^[\w.\-~:]{1,200}$/.test(id)) throw new ClientsFileError(`${where}.client_id is missing or invalid`);
    if (seen.has(id)) throw new ClientsFileError(`duplicate client_id ${id}`);
    seen.add(id);
    const type = raw.type;
    if (type !== 'public' && type !== 'confidential' && type !== 'backend') throw new ClientsFileError(`${where}.type must be public, confidential or backend`);
    const redirects = (raw.redirect_uris ?? []) as unknown[];
    if (!Array.isArray(redirects) || redirects.some((u) => typeof u !== 'string' || !URL.canParse(expand(u as string)))) {
      throw new ClientsFileError(`${where}.redirect_uris must be absolute URLs`);
    }
    if (type !== 'backend' && redirects.length === 0) throw new ClientsFileError(`${where} needs redirect_uris`);
    if (typeof raw.scope !== 'string') throw new ClientsFileError(`${where}.scope must be a string`);
    const jwks = raw.jwks as { keys?: unknown } | undefined;
    if (jwks !== undefined && !Array.isArray(jwks.keys)) throw new ClientsFileError(`${where}.jwks must be {"keys": [...]}`);
    if (raw.jwks_uri !== undefined && (typeof raw.jwks_uri !== 'string' || !URL.canParse(raw.jwks_uri))) throw new ClientsFileError(`${where}.jwks_uri must be a URL`);
    if (type === 'backend' && !jwks && !raw.jwks_uri) throw new ClientsFileError(`${where}: backend clients need jwks or jwks_uri`);
    if (type === 'confidential' && !jwks && !raw.jwks_uri && typeof raw.client_secret !== 'string') {
      throw new ClientsFileError(`${where}: confidential clients need client_secret, jwks or jwks_uri`);
    }
    return {
      client_id: id,
      type,
      redirect_uris: (redirects as string[]).map(expand),
      scope: raw.scope,
      client_secret: typeof raw.client_secret === 'string' ? raw.client_secret : undefined,
      jwks: jwks as ClientRegistration['jwks'],
      jwks_uri: raw.jwks_uri as string | undefined,
      origins: Array.isArray(raw.origins) ? (raw.origins as string[]).map(expand) : undefined,
      name: typeof raw.name === 'string' ? raw.name : undefined,
    };
  });
}

export function loadClientsFile(path: string, publicBaseUrl: string): ClientRegistration[] {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ClientsFileError(`cannot read clients file ${path}: ${(err as Error).message}`);
  }
  return parseClients(doc, publicBaseUrl);
}

export interface ClientRegistry {
  get(clientId: string | undefined): ClientRegistration | undefined;
  /** Is `origin` a registered browser origin of any client? */
  isRegisteredOrigin(origin: string): boolean;
}

export function createClientRegistry(clients: readonly ClientRegistration[]): ClientRegistry {
  const byId = new Map(clients.map((c) => [c.client_id, c]));
  const origins = new Set<string>();
  for (const c of clients) {
    for (const u of [...c.redirect_uris, ...(c.origins ?? [])]) origins.add(new URL(u).origin);
  }
  return {
    get: (id) => (id === undefined ? undefined : byId.get(id)),
    isRegisteredOrigin: (origin) => origins.has(origin),
  };
}
