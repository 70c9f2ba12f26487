import pino from 'pino';
import type { Logger } from '../../shared/logger';

export interface CapturedLog {
  logger: Logger;
  /** Every line written so far, as written (JSON text). */
  text(): string;
  /** Every line written so far, parsed. */
  entries(): Record<string, any>[];
}

/** A real pino logger (same options as shared/logger.ts) writing into memory, to read what the gateway logs. */
export function captureLog(level = 'debug'): CapturedLog {
  const lines: string[] = [];
  const logger = pino({ name: 'gateway', level, base: { service: 'gateway' } }, { write: (line: string) => void lines.push(line) });
  return {
    logger,
    text: () => lines.join(''),
    entries: () => lines.map((l) => JSON.parse(l)),
  };
}
