// Scope parsing and granting tables (SMART scopes-and-launch-context, v1 and v2).
import { describe, expect, it } from 'vitest';
import { boundByUser, checkUserScope, grantScopes, isScopeSubset, parseResourceScope } from '../../server/auth/scopes.ts';

const LAB = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory';

describe('parseResourceScope', () => {
  it.each([
    ['patient/*.read', { context: 'patient', type: '*', permissions: 'rs', filters: [] }],
    ['user/Observation.write', { context: 'user', type: 'Observation', permissions: 'cud', filters: [] }],
    ['system/*.*', { context: 'system', type: '*', permissions: 'cruds', filters: [] }],
    ['user/AdverseEvent.Read', { context: 'user', type: 'AdverseEvent', permissions: 'rs', filters: [] }],
    ['patient/Observation.rs', { context: 'patient', type: 'Observation', permissions: 'rs', filters: [] }],
    ['user/MedicationRequest.cruds', { context: 'user', type: 'MedicationRequest', permissions: 'cruds', filters: [] }],
    ['patient/Condition.c', { context: 'patient', type: 'Condition', permissions: 'c', filters: [] }],
    [`patient/Observation.rs?category=${LAB}`, { context: 'patient', type: 'Observation', permissions: 'rs', filters: [['category', LAB]] }],
    ['patient/Observation.rs?category=a|b&status=final', { context: 'patient', type: 'Observation', permissions: 'rs', filters: [['category', 'a|b'], ['status', 'final']] }],
  ])('parses %s', (raw, expected) => {
    expect(parseResourceScope(raw)).toEqual({ raw, ...expected });
  });

  it.each([
    ['openid'], ['fhirUser'], ['launch'], ['launch/patient'], ['offline_access'],
    ['patient/Observation.dus'], // letters out of cruds order (the spec's malformed example)
    ['patient/Observation.'], ['patient/observation.rs'], ['admin/*.rs'], ['patient/*.read?category=x'], ['patient/Observation.rs?category='],
  ])('does not treat %s as a resource scope', (raw) => {
    expect(parseResourceScope(raw)).toBeUndefined();
  });
});

describe('grantScopes (requested ∩ registered)', () => {
  it.each([
    ['keeps requested scopes the registration covers', 'launch openid patient/*.rs', 'launch openid fhirUser patient/*.cruds', ['launch', 'openid', 'patient/*.rs']],
    ['keeps v1 text when covered', 'patient/*.read', 'patient/*.rs', ['patient/*.read']],
    ['narrows letters to the registration', 'patient/*.cruds', 'patient/*.rs', ['patient/*.rs']],
    ['narrows v1 write to registered letters', 'user/Observation.write', 'user/*.cu', ['user/Observation.cu']],
    ['narrows a wildcard type to registered types', 'patient/*.rs', 'patient/Patient.rs patient/Observation.r', ['patient/Patient.rs', 'patient/Observation.r']],
    ['applies the registration filter to a resource-level request', 'patient/Observation.rs', `patient/Observation.rs?category=${LAB}`, [`patient/Observation.rs?category=${LAB}`]],
    ['keeps a requested filter under an unfiltered registration', `patient/Observation.rs?category=${LAB}`, 'patient/*.rs', [`patient/Observation.rs?category=${LAB}`]],
    ['drops other contexts', 'user/*.rs system/*.rs', 'patient/*.rs', []],
    ['drops non-resource scopes not registered', 'openid offline_access', 'openid', ['openid']],
    ['drops a request subsumed by another grant', 'patient/Observation.rs patient/*.rs', 'patient/*.rs', ['patient/*.rs']],
  ])('%s', (_name, requested, registered, expected) => {
    expect(grantScopes(requested.split(' '), registered.split(' '))).toEqual(expected);
  });
});

describe('isScopeSubset (refresh with scope)', () => {
  it.each([
    [['patient/Observation.rs'], ['patient/*.rs'], true],
    [['patient/Observation.r'], ['patient/*.read'], true],
    [[`patient/Observation.rs?category=${LAB}`], ['patient/Observation.rs'], true],
    [['openid'], ['openid', 'patient/*.rs'], true],
    [['patient/Observation.rs'], [`patient/Observation.rs?category=${LAB}`], false],
    [['patient/*.cruds'], ['patient/*.rs'], false],
    [['offline_access'], ['patient/*.rs'], false],
  ])('%j within %j → %s', (asked, granted, expected) => {
    expect(isScopeSubset(asked, granted)).toBe(expected);
  });
});

describe('boundByUser (user/ scopes never exceed what the user may do)', () => {
  const PHARMACIST = 'user/*.rs user/MedicationRequest.cruds';
  it.each([
    ['user/*.cruds', PHARMACIST, ['user/*.rs', 'user/MedicationRequest.cruds']],
    ['user/Observation.cruds', PHARMACIST, ['user/Observation.rs']],
    ['user/MedicationRequest.cu', PHARMACIST, ['user/MedicationRequest.cu']],
    ['user/Observation.c', PHARMACIST, []],
    ['user/Observation.write', PHARMACIST, []],
    ['user/Observation.read', PHARMACIST, ['user/Observation.read']],
    [`user/Observation.rs?category=${LAB}`, 'user/Observation.rs', [`user/Observation.rs?category=${LAB}`]],
    ['user/Observation.rs', `user/Observation.rs?category=${LAB}`, [`user/Observation.rs?category=${LAB}`]],
    // Patient, system and non-resource scopes are not the user's to bound.
    ['patient/*.cruds launch openid fhirUser offline_access', PHARMACIST, ['patient/*.cruds', 'launch', 'openid', 'fhirUser', 'offline_access']],
  ])('%s for a user allowed %s → %j', (requested, user, expected) => {
    expect(boundByUser(requested.split(' '), user)).toEqual(expected);
  });

  it('leaves user/ scopes alone for a user without stated permissions', () => {
    expect(boundByUser(['user/*.cruds'], undefined)).toEqual(['user/*.cruds']);
  });

  it('accepts only user/ resource scopes as a user\'s permissions', () => {
    expect(checkUserScope('user/*.rs user/MedicationRequest.cruds')).toBeUndefined();
    expect(checkUserScope('patient/*.rs')).toContain('user/ resource scopes only');
    expect(checkUserScope('openid')).toContain('user/ resource scopes only');
    expect(checkUserScope('')).toContain('space-separated');
    expect(checkUserScope(42)).toContain('space-separated');
  });
});
