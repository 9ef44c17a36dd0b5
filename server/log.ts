// The pino logger. Logs carry request ids, resource types and ids — never bodies, query strings or tokens.
import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'titrate' },
    redact: { paths: ['req.headers.authorization', '*.authorization', '*.access_token', '*.refresh_token', '*.id_token'], remove: true },
  });
}
