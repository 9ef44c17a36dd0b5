// FhirError: the one error type of the FHIR layer; http/error-handler.ts maps `kind` to status + issue code.
export type FhirErrorKind =
  | 'invalid'
  | 'structure'
  | 'not-found'
  | 'gone'
  | 'conflict'
  | 'precondition-failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not-supported'
  | 'not-acceptable'
  | 'unsupported-media-type'
  | 'too-long'
  | 'too-costly'
  | 'unprocessable'
  | 'multiple-matches';

export interface OutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  code: string;
  diagnostics?: string;
  expression?: string[];
}

export class FhirError extends Error {
  readonly kind: FhirErrorKind;
  readonly issues: OutcomeIssue[];

  constructor(kind: FhirErrorKind, message: string, issues?: OutcomeIssue[]) {
    super(message);
    this.name = 'FhirError';
    this.kind = kind;
    this.issues = issues ?? [];
  }
}

/** The one table: error kind → HTTP status and the OperationOutcome issue code. */
export const ERROR_TABLE: Record<FhirErrorKind, { status: number; code: string }> = {
  invalid: { status: 400, code: 'invalid' },
  structure: { status: 400, code: 'structure' },
  'not-found': { status: 404, code: 'not-found' },
  gone: { status: 410, code: 'deleted' },
  conflict: { status: 409, code: 'conflict' },
  'precondition-failed': { status: 412, code: 'conflict' },
  unauthorized: { status: 401, code: 'login' },
  forbidden: { status: 403, code: 'forbidden' },
  'not-supported': { status: 404, code: 'not-supported' },
  'not-acceptable': { status: 406, code: 'not-supported' },
  'unsupported-media-type': { status: 415, code: 'not-supported' },
  'too-long': { status: 413, code: 'too-long' },
  'too-costly': { status: 400, code: 'too-costly' },
  unprocessable: { status: 422, code: 'processing' },
  'multiple-matches': { status: 412, code: 'multiple-matches' },
};

export function operationOutcome(issues: OutcomeIssue[]): fhir4.OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues.map((i) => ({ ...i })) };
}

export function errorOutcome(err: FhirError): fhir4.OperationOutcome {
  if (err.issues.length > 0) return operationOutcome(err.issues);
  return operationOutcome([{ severity: 'error', code: ERROR_TABLE[err.kind].code, diagnostics: err.message }]);
}
