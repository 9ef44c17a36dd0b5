// A grant: what one authorization (or client_credentials exchange) allowed, shared by its codes and tokens.
export interface LaunchContext {
  readonly patient?: string;
  readonly encounter?: string;
  readonly fhirContext?: readonly unknown[];
  readonly need_patient_banner?: boolean;
  readonly smart_style_url?: string;
  readonly intent?: string;
  readonly tenant?: string;
}

export interface AuthenticatedUser {
  /** Stable subject id (< 256 characters). */
  readonly sub: string;
  /** Relative reference: Practitioner/…, Patient/…, RelatedPerson/…, Person/… */
  readonly fhirUser: string;
  readonly name?: string;
  /**
   * What the user may do, as `user/` resource scopes (`user/*.rs user/MedicationRequest.cruds`): the `user/` scopes
   * granted to an app acting for this user never exceed it. Absent: only the client's registration bounds them.
   */
  readonly scope?: string;
}

export interface Grant {
  readonly id: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly context: LaunchContext;
  readonly user?: AuthenticatedUser;
  readonly redirectUri?: string;
  readonly codeChallenge?: string;
  readonly nonce?: string;
  /** offline_access: refresh tokens outlive the session; online_access: bounded by the grant's expiry. */
  readonly refresh: 'offline' | 'online' | 'none';
  readonly authTime: number;
}
