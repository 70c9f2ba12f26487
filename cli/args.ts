import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MeshgateError } from '../shared/errors';

/** Parses a command's flags; an unknown flag is a usage error naming the command's help. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, command: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see \`meshgate help ${command}\`)`);
  }
}

/** A mistake on the command line: printed without a stack, exit code 2. */
export class UsageError extends Error {}

export function numberFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
  return n;
}

export function portFlag(value: string | undefined, fallback: number): number {
  const port = numberFlag(value, 'port', fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got ${value}`);
  return port;
}

export { MeshgateError };
