// Security headers, a fixed-window rate limiter and CORS for the authorization server (SPEC §5).
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export function securityHeaders(opts: { frameAncestors: string; https: boolean }): RequestHandler {
  return (_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'no-referrer');
    res.set('Cross-Origin-Opener-Policy', 'same-origin');
    // Pages are plain HTML forms with inline styles; no script runs on them. form-action is left
    // open because the login POST redirects to the app's own origin.
    res.set('Content-Security-Policy', `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; frame-ancestors ${opts.frameAncestors}`);
    if (opts.https) res.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    next();
  };
}

export interface RateLimitOptions {
  readonly windowMs: number;
  readonly max: number;
}

/** Per client IP, per window. In memory: each replica limits on its own (documented in the README). */
export function rateLimit(opts: RateLimitOptions, now: () => number = Date.now): RequestHandler {
  const hits = new Map<string, { count: number; resetAt: number }>();
  let nextSweep = 0;
  return (req: Request, res: Response, next: NextFunction) => {
    const t = now();
    if (t >= nextSweep) {
      for (const [k, v] of hits) if (v.resetAt <= t) hits.delete(k);
      nextSweep = t + opts.windowMs;
    }
    const key = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    let entry = hits.get(key);
    if (!entry || entry.resetAt <= t) {
      entry = { count: 0, resetAt: t + opts.windowMs };
      hits.set(key, entry);
    }
    entry.count++;
    res.set('RateLimit-Limit', String(opts.max));
    res.set('RateLimit-Remaining', String(Math.max(0, opts.max - entry.count)));
    if (entry.count > opts.max) {
      res.set('Retry-After', String(Math.ceil((entry.resetAt - t) / 1000)));
      res.set('Cache-Control', 'no-store');
      res.status(429).json({ error: 'temporarily_unavailable', error_description: 'too many requests' });
      return;
    }
    next();
  };
}

/** Discovery documents are public: any origin (SMART app-launch "CORS"). */
export function openCors(): RequestHandler {
  return (req, res, next) => {
    res.set('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', 'GET, OPTIONS');
      res.set('Access-Control-Allow-Headers', 'Accept, Authorization, Content-Type, Epic-Client-ID');
      res.status(204).end();
      return;
    }
    next();
  };
}

/** Token, introspection and revocation: only the origins of registered clients. */
export function registeredCors(isRegisteredOrigin: (origin: string) => boolean): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('Origin');
    res.vary('Origin');
    const allowed = origin !== undefined && isRegisteredOrigin(origin);
    if (allowed) res.set('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS') {
      if (allowed) {
        res.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
        res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type');
        res.set('Access-Control-Max-Age', '600');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}
