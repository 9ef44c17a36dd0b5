// SMART discovery (https://hl7.org/fhir/smart-app-launch/conformance.html) and OpenID Connect discovery.
export interface Endpoints {
  readonly issuer: string;
  readonly fhirBase: string;
  readonly authorize: string;
  readonly token: string;
  readonly introspect: string;
  readonly revoke: string;
  readonly jwks: string;
}

export function endpointsFor(publicBaseUrl: string): Endpoints {
  const auth = `${publicBaseUrl}/auth`;
  return {
    issuer: publicBaseUrl,
    fhirBase: `${publicBaseUrl}/fhir`,
    authorize: `${auth}/authorize`,
    token: `${auth}/token`,
    introspect: `${auth}/introspect`,
    revoke: `${auth}/revoke`,
    jwks: `${auth}/jwks`,
  };
}

export const CAPABILITIES = [
  'launch-ehr',
  'launch-standalone',
  'authorize-post',
  'client-public',
  'client-confidential-symmetric',
  'client-confidential-asymmetric',
  'context-ehr-patient',
  'context-ehr-encounter',
  'context-standalone-patient',
  'context-banner',
  'context-style',
  'permission-v1',
  'permission-v2',
  'permission-patient',
  'permission-user',
  'permission-offline',
  'permission-online',
  'sso-openid-connect',
] as const;

export const SCOPES_SUPPORTED = [
  'openid',
  'fhirUser',
  'launch',
  'launch/patient',
  'launch/encounter',
  'offline_access',
  'online_access',
  'patient/*.cruds',
  'user/*.cruds',
  'system/*.cruds',
  'patient/*.rs',
  'user/*.rs',
  'system/*.rs',
  'patient/*.read',
  'user/*.read',
  'system/*.read',
  'patient/*.write',
  'user/*.write',
  'system/*.write',
  'patient/*.*',
  'user/*.*',
  'system/*.*',
];

export function smartConfiguration(e: Endpoints): Record<string, unknown> {
  return {
    issuer: e.issuer,
    jwks_uri: e.jwks,
    authorization_endpoint: e.authorize,
    token_endpoint: e.token,
    introspection_endpoint: e.introspect,
    revocation_endpoint: e.revoke,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: SCOPES_SUPPORTED,
    code_challenge_methods_supported: ['S256'],
    capabilities: [...CAPABILITIES],
  };
}

export function openidConfiguration(e: Endpoints): Record<string, unknown> {
  return {
    issuer: e.issuer,
    authorization_endpoint: e.authorize,
    token_endpoint: e.token,
    jwks_uri: e.jwks,
    introspection_endpoint: e.introspect,
    revocation_endpoint: e.revoke,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    scopes_supported: ['openid', 'fhirUser'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'fhirUser'],
    code_challenge_methods_supported: ['S256'],
  };
}

/** The style document linked by smart_style_url (context-style). */
export const SMART_STYLE = {
  color_background: '#ffffff',
  color_error: '#b3261e',
  color_highlight: '#0b6e4f',
  color_modal_backdrop: 'rgba(0, 0, 0, 0.4)',
  color_success: '#1e7b34',
  color_text: '#1b1b1b',
  dim_border_radius: '4px',
  dim_font_size: '14px',
  dim_spacing_size: '8px',
  font_family_body: 'system-ui, sans-serif',
  font_family_heading: 'system-ui, sans-serif',
};
