// The one place that turns errors into HTTP: FhirError kinds via ERROR_TABLE; anything else a generic 500.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ERROR_TABLE, FhirError, errorOutcome, operationOutcome } from '../fhir/errors.ts';
import { FHIR_JSON } from './fhir-io.ts';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** Maps body-parser failures (size, encoding) onto FhirErrors. */
function fromBodyParser(err: BodyParserError): FhirError | undefined {
  if (err.type === 'entity.too.large') return new FhirError('too-long', 'The request body is larger than this server accepts');
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') return new FhirError('unsupported-media-type', err.message);
  if (err.type === 'request.aborted') return new FhirError('invalid', 'The request was aborted');
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) return new FhirError('invalid', 'The request could not be read');
  return undefined;
}

export function createErrorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = String(res.getHeader('X-Request-Id') ?? '');
    const fhirErr = err instanceof FhirError ? err : fromBodyParser(err as BodyParserError);
    res.setHeader('Content-Type', FHIR_JSON);
    if (fhirErr) {
      const { status } = ERROR_TABLE[fhirErr.kind];
      if (fhirErr.kind === 'unauthorized' && !res.getHeader('WWW-Authenticate')) {
        // RFC 6750 §3: error="invalid_token" only when a token was sent and refused.
        res.setHeader('WWW-Authenticate', req.headers.authorization ? 'Bearer realm="titrate", error="invalid_token"' : 'Bearer realm="titrate"');
      }
      res.status(status).send(JSON.stringify(errorOutcome(fhirErr)));
      return;
    }
    // Log the cause with the request id only: no body, no query string (they may hold PHI).
    log.error({ err, requestId, method: req.method, path: req.baseUrl + req.path }, 'unhandled error');
    res.status(500).send(JSON.stringify(operationOutcome([{ severity: 'fatal', code: 'exception', diagnostics: `Internal error; request id ${requestId}` }])));
  };
}
