// OAuth 2.0 error responses (RFC 6749 §5.2): JSON, never cached; invalid_client is 401.
import type { Response } from 'express';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable';

export class OAuthError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  get status(): number {
    return this.error === 'invalid_client' ? 401 : this.error === 'server_error' ? 500 : 400;
  }
}

export function setNoStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
  res.set('Pragma', 'no-cache');
}

export function sendOAuthError(res: Response, err: OAuthError): void {
  setNoStore(res);
  if (err.status === 401) res.set('WWW-Authenticate', 'Basic realm="titrate", error="invalid_client"');
  res.status(err.status).json({ error: err.error, error_description: err.description });
}
