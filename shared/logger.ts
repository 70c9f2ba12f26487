import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr. `MESHGATE_LOG_LEVEL` sets the level (default `info`; tests run
 * `silent`). Never log tokens, personal data or argument values: log ids and codes.
 */
export function createLogger(name: string, level = process.env.MESHGATE_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { service: name } }, pino.destination({ fd: 2, sync: false }));
}
