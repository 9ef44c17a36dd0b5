// authorize(): scopes → interaction decisions, patient compartment and v2 category restrictions.
import { describe, expect, it } from 'vitest';
import { authorize, type AccessRequest } from '../../server/auth/access.ts';
import type { SmartPrincipal } from '../../server/auth/principal.ts';
import { parseResourceScope, type ResourceScope } from '../../server/auth/scopes.ts';
import type { Principal } from '../../server/fhir/context.ts';

const LAB = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
const cat = (code: string) => [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code }] }];
const labP1 = { resourceType: 'Observation', subject: { reference: 'Patient/p1' }, category: cat('laboratory') };
const vitalP1 = { resourceType: 'Observation', subject: { reference: 'Patient/p1' }, category: cat('vital-signs') };
const labP2 = { resourceType: 'Observation', subject: { reference: 'Patient/p2' }, category: cat('laboratory') };
const medP1 = { resourceType: 'MedicationRequest', subject: { reference: 'Patient/p1' } };

function principal(kind: SmartPrincipal['kind'], scope: string, extra: Partial<SmartPrincipal> = {}): SmartPrincipal {
  const scopes = scope.split(' ');
  return {
    kind, clientId: 'c', scopes, subject: 's', grantId: 'g', tokenId: 't', expiresAt: 0,
    resourceScopes: scopes.map(parseResourceScope).filter((s): s is ResourceScope => s !== undefined),
    ...(kind !== 'system' && { patient: 'p1' }),
    ...extra,
  };
}

describe('authorize: interactions → cruds letters', () => {
  const rows: [string, SmartPrincipal['kind'], string, AccessRequest, boolean][] = [
    ['v1 read allows read', 'patient', 'patient/*.read', { interaction: 'read', type: 'Observation' }, true],
    ['v1 read allows search', 'patient', 'patient/*.read', { interaction: 'search', type: 'Observation' }, true],
    ['v1 read refuses create', 'patient', 'patient/*.read', { interaction: 'create', type: 'Observation' }, false],
    ['v1 write allows update', 'user', 'user/Observation.write', { interaction: 'update', type: 'Observation' }, true],
    ['v1 write does not imply read', 'user', 'user/Observation.write', { interaction: 'read', type: 'Observation' }, false],
    ['v1 * allows delete', 'user', 'user/Observation.*', { interaction: 'delete', type: 'Observation' }, true],
    ['v2 r allows vread', 'user', 'user/Observation.r', { interaction: 'vread', type: 'Observation' }, true],
    ['v2 r allows instance history', 'user', 'user/Observation.r', { interaction: 'history', type: 'Observation', id: '1' }, true],
    ['v2 r refuses type history (needs s)', 'user', 'user/Observation.r', { interaction: 'history', type: 'Observation' }, false],
    ['v2 s allows type history', 'user', 'user/Observation.s', { interaction: 'history', type: 'Observation' }, true],
    ['v2 s refuses read', 'user', 'user/Observation.s', { interaction: 'read', type: 'Observation' }, false],
    ['v2 u allows patch', 'user', 'user/MedicationRequest.u', { interaction: 'patch', type: 'MedicationRequest' }, true],
    ['v2 c allows create', 'user', 'user/MedicationRequest.c', { interaction: 'create', type: 'MedicationRequest' }, true],
    ['v2 d allows delete', 'user', 'user/MedicationRequest.d', { interaction: 'delete', type: 'MedicationRequest' }, true],
    ['other types are refused', 'user', 'user/Observation.cruds', { interaction: 'read', type: 'Condition' }, false],
    ['wildcard covers every type', 'user', 'user/*.rs', { interaction: 'read', type: 'Condition' }, true],
    ['operations need r by default', 'user', 'user/Patient.r', { interaction: 'operation', type: 'Patient', id: 'p1' }, true],
    ['operations may ask for another letter', 'user', 'user/Patient.r', { interaction: 'operation', type: 'Patient', permission: 'c' }, false],
    ['system scopes serve system principals', 'system', 'system/*.rs', { interaction: 'search', type: 'MedicationRequest' }, true],
    ['system principals ignore user scopes', 'system', 'user/*.rs', { interaction: 'search', type: 'MedicationRequest' }, false],
    ['user principals ignore system scopes', 'user', 'system/*.rs', { interaction: 'search', type: 'MedicationRequest' }, false],
  ];
  it.each(rows)('%s', (_name, kind, scope, access, allowed) => {
    expect(authorize(principal(kind, scope), access).allowed).toBe(allowed);
  });

  it('refuses anonymous principals as unauthorized', () => {
    const anon: Principal = { kind: 'anonymous' };
    expect(authorize(anon, { interaction: 'read', type: 'Patient' })).toMatchObject({ allowed: false, kind: 'unauthorized' });
  });

  it('refuses with forbidden and a reason when no scope covers the request', () => {
    expect(authorize(principal('user', 'user/Patient.rs'), { interaction: 'read', type: 'Observation' })).toMatchObject({ allowed: false, kind: 'forbidden', reason: expect.stringContaining('Observation') });
  });
});

describe('authorize: patient compartment', () => {
  it('returns the compartment restriction for a patient-scoped search', () => {
    expect(authorize(principal('patient', 'patient/*.rs'), { interaction: 'search', type: 'Observation' })).toEqual({ allowed: true, restrictions: [{ patient: 'p1', filters: [] }], patient: 'p1' });
  });
  it('user scopes of a clinician are not restricted', () => {
    expect(authorize(principal('user', 'patient/*.rs user/*.rs'), { interaction: 'search', type: 'Observation' })).toEqual({ allowed: true, restrictions: [] });
  });
  it('a clinician with only patient scopes is bound to the launch patient', () => {
    expect(authorize(principal('user', 'patient/*.rs'), { interaction: 'search', type: 'Observation' })).toMatchObject({ allowed: true, patient: 'p1' });
  });
  it('a patient user is bound to their own compartment even with user scopes', () => {
    expect(authorize(principal('patient', 'user/*.rs'), { interaction: 'search', type: 'Observation' })).toMatchObject({ allowed: true, patient: 'p1' });
  });
  it('patient scopes without a patient in context allow nothing', () => {
    expect(authorize(principal('user', 'patient/*.rs', { patient: undefined }), { interaction: 'search', type: 'Observation' }).allowed).toBe(false);
  });
  it.each([
    ['read of own lab', { interaction: 'read', type: 'Observation', id: 'x', resource: labP1 }, true],
    ['read of another patient\'s lab (concealed)', { interaction: 'read', type: 'Observation', id: 'x', resource: labP2 }, false],
    ['create for own compartment', { interaction: 'create', type: 'MedicationRequest', resource: medP1 }, true],
    ['create for another patient', { interaction: 'create', type: 'MedicationRequest', resource: { ...medP1, subject: { reference: 'Patient/p2' } } }, false],
    ['read of the patient', { interaction: 'read', type: 'Patient', id: 'p1', resource: { resourceType: 'Patient', id: 'p1' } }, true],
    ['read of another patient', { interaction: 'read', type: 'Patient', id: 'p2', resource: { resourceType: 'Patient', id: 'p2' } }, false],
    ['read of a shared Medication (outside every compartment)', { interaction: 'read', type: 'Medication', id: 'm', resource: { resourceType: 'Medication', id: 'm' } }, true],
  ] as [string, AccessRequest, boolean][])('patient/*.cruds: %s', (_name, access, allowed) => {
    expect(authorize(principal('patient', 'patient/*.cruds'), access).allowed).toBe(allowed);
  });
  it('marks reads outside the compartment as concealed (answer 404), writes not', () => {
    const p = principal('patient', 'patient/*.cruds');
    expect(authorize(p, { interaction: 'read', type: 'Observation', id: 'x', resource: labP2 })).toMatchObject({ allowed: false, conceal: true });
    expect(authorize(p, { interaction: 'update', type: 'Observation', id: 'x', resource: labP2 })).not.toHaveProperty('conceal');
  });
  it('lets a user read their own fhirUser resource with the fhirUser scope', () => {
    const p = principal('patient', 'fhirUser patient/Observation.rs', { fhirUser: 'RelatedPerson/rp1' });
    expect(authorize(p, { interaction: 'read', type: 'RelatedPerson', id: 'rp1' }).allowed).toBe(true);
    expect(authorize(p, { interaction: 'read', type: 'RelatedPerson', id: 'rp2' }).allowed).toBe(false);
  });
});

describe('authorize: v2 category filters', () => {
  const p = principal('patient', `patient/Observation.rs?category=${LAB} patient/Patient.rs`);
  it.each([
    ['a laboratory Observation', labP1, true],
    ['a vital-signs Observation', vitalP1, false],
    ['another patient\'s laboratory Observation', labP2, false],
  ])('read of %s', (_name, resource, allowed) => {
    expect(authorize(p, { interaction: 'read', type: 'Observation', id: 'x', resource }).allowed).toBe(allowed);
  });
  it('returns the filter for searches, so the FHIR layer adds it', () => {
    expect(authorize(p, { interaction: 'search', type: 'Observation' })).toEqual({ allowed: true, restrictions: [{ patient: 'p1', filters: [['category', LAB]] }], patient: 'p1' });
  });
  it('drops the filter when the search already asks for it', () => {
    expect(authorize(p, { interaction: 'search', type: 'Observation', searchParams: [['category', LAB]] })).toEqual({ allowed: true, restrictions: [{ patient: 'p1', filters: [] }], patient: 'p1' });
  });
  it('ORs several filtered scopes and lets an unfiltered one win', () => {
    const two = principal('user', `user/Observation.rs?category=${LAB} user/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs`);
    const d = authorize(two, { interaction: 'search', type: 'Observation' });
    expect(d.allowed && d.restrictions.length).toBe(2);
    expect(authorize(two, { interaction: 'read', type: 'Observation', resource: vitalP1 }).allowed).toBe(true);
    const plus = principal('user', `user/Observation.rs?category=${LAB} user/Observation.rs`);
    expect(authorize(plus, { interaction: 'search', type: 'Observation' })).toEqual({ allowed: true, restrictions: [] });
  });
  it('a filter on an unknown parameter matches no resource', () => {
    const odd = principal('user', 'user/Observation.rs?based-on=ServiceRequest/1');
    expect(authorize(odd, { interaction: 'read', type: 'Observation', resource: labP1 }).allowed).toBe(false);
  });
  it('a code-only token matches any system', () => {
    const codeOnly = principal('user', 'user/Observation.rs?category=laboratory');
    expect(authorize(codeOnly, { interaction: 'read', type: 'Observation', resource: labP1 }).allowed).toBe(true);
  });
});
