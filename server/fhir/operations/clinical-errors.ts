// Clinical input problems (bad Parameters, unknown strategy …) are 400 invalid; findings are never errors.
import { ClinicalInputError } from '../../clinical/index.ts';
import { FhirError } from '../errors.ts';

export function asFhirError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ClinicalInputError) throw new FhirError('invalid', err.message);
    throw err;
  }
}

/** The request body as a Parameters resource, or a 400. */
export function parametersBody(body: unknown, operation: string): fhir4.Parameters {
  const p = body as fhir4.Parameters | undefined;
  if (!p || typeof p !== 'object' || p.resourceType !== 'Parameters') {
    throw new FhirError('invalid', `$${operation} takes a Parameters resource`);
  }
  return p;
}
