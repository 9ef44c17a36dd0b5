// CORS on the FHIR API (SPEC §5): browsers of registered clients' origins only; metadata stays open to all.
import type { RequestHandler } from 'express';

const METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const HEADERS = 'Authorization, Content-Type, Accept, If-Match, If-None-Match, If-None-Exist, If-Modified-Since, Prefer, X-Request-Id';
const EXPOSED = 'ETag, Location, Last-Modified, Content-Location, X-Request-Id';

export function fhirCors(isRegisteredOrigin: (origin: string) => boolean): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('Origin');
    res.vary('Origin');
    const allowed = origin !== undefined && isRegisteredOrigin(origin);
    if (allowed) {
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Expose-Headers', EXPOSED);
    }
    if (req.method === 'OPTIONS') {
      if (allowed) {
        res.set('Access-Control-Allow-Methods', METHODS);
        res.set('Access-Control-Allow-Headers', HEADERS);
        res.set('Access-Control-Max-Age', '600');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}
