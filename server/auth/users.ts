// Who signs in at a standalone launch: a pluggable authenticator, and the demo users of DEMO=1.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthenticatedUser } from './grant.ts';

export interface UserAuthenticator {
  /** The user for these credentials, or undefined. Must take about the same time either way. */
  authenticate(username: string, password: string): Promise<AuthenticatedUser | undefined>;
}

export interface PatientChoice {
  readonly id: string;
  readonly label: string;
}

export interface DemoUser extends AuthenticatedUser {
  readonly username: string;
  readonly password: string;
}

/** Demo sign-ins (DEMO=1 only). The lead's seed data should hold these Practitioners. */
export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'psychiatrist', password: 'demo', sub: 'demo-psychiatrist', fhirUser: 'Practitioner/demo-psychiatrist', name: 'Dr. Demo Psychiatrist', scope: 'user/*.cruds' },
  // A pharmacist reads the record and manages medication orders, dispenses and statements; nothing else is written.
  {
    username: 'pharmacist',
    password: 'demo',
    sub: 'demo-pharmacist',
    fhirUser: 'Practitioner/demo-pharmacist',
    name: 'Demo Pharmacist',
    scope: 'user/*.rs user/MedicationRequest.cruds user/MedicationDispense.cruds user/MedicationStatement.cruds',
  },
];

function equal(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export function createDemoAuthenticator(users: readonly DemoUser[] = DEMO_USERS): UserAuthenticator {
  return {
    async authenticate(username, password) {
      let found: DemoUser | undefined;
      for (const u of users) if (equal(u.username, username) && equal(u.password, password)) found = u;
      if (!found) return undefined;
      const { username: _u, password: _p, ...user } = found;
      return user;
    },
  };
}

/** fhirUser must name a Patient, Practitioner, PractitionerRole, RelatedPerson or Person (SMART 2.1). */
export function isFhirUserReference(ref: unknown): ref is string {
  return typeof ref === 'string' && /^(Patient|Practitioner|PractitionerRole|RelatedPerson|Person)\/[A-Za-z0-9\-.]{1,200}$/.test(ref);
}
