// FHIR ids (R4 id datatype: [A-Za-z0-9\-\.]{1,64}) and server-assigned ids.
import { randomUUID } from 'node:crypto';
import { FhirError } from './errors.ts';

const ID_RULE = /^[A-Za-z0-9\-.]{1,64}$/;

export function isValidId(id: string): boolean {
  return ID_RULE.test(id);
}

export function assertValidId(id: string): void {
  if (!isValidId(id)) throw new FhirError('invalid', `"${id.slice(0, 80)}" is not a valid FHIR id ([A-Za-z0-9-.]{1,64})`);
}

export function newId(): string {
  return randomUUID();
}
