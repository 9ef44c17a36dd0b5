// The validation gate every write passes before it is stored: id rule, then the configured validator (422 on errors).
import { FhirError } from './errors.ts';
import type { FhirContext } from './context.ts';
import { isValidId } from './ids.ts';

export function assertValid(ctx: FhirContext, resource: Record<string, unknown>, mode: 'create' | 'update'): void {
  if (resource.id !== undefined && (typeof resource.id !== 'string' || !isValidId(resource.id))) {
    throw new FhirError('invalid', 'The resource id does not follow the FHIR id rule [A-Za-z0-9-.]{1,64}', [
      { severity: 'error', code: 'invalid', diagnostics: 'Invalid id', expression: [`${String(resource.resourceType)}.id`] },
    ]);
  }
  if (!ctx.validator) return;
  const issues = ctx.validator.validate(resource, { mode });
  if (issues.some((i) => i.severity === 'error' || i.severity === 'fatal')) {
    throw new FhirError('unprocessable', 'The resource is not valid', issues);
  }
}
