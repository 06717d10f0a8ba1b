import { pino, type Logger } from 'pino';

/**
 * The process logger. Request headers are never logged and any field that could hold a
 * secret is censored, so no token or password reaches a log line.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: {
      paths: ['password', 'access_token', 'token', 'headers.authorization', '*.password',
        '*.access_token', 'req.headers.authorization'],
      censor: '<redacted>',
    },
  }, destination as pino.DestinationStream | undefined);
}
