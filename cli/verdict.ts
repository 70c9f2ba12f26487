import { MeshgateError } from '../shared/errors';
import { UsageError } from './args';

/**
 * For commands whose exit code is a verdict CI acts on (`check`: 0 safe, 1 unsafe): whatever
 * stops them before a verdict — a usage mistake, a coded failure (a config, policy or audit trail
 * that cannot be read) or an unexpected error — exits 2, never 1, so a broken pipeline is not
 * read as "unsafe". With `--json` it also prints `{"error":{"code","message"}}` on stdout.
 */
export async function exitTwoUnlessVerdict(command: string, argv: readonly string[], run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    const { code, message } =
      err instanceof UsageError
        ? { code: 'USAGE_INVALID', message: err.message }
        : err instanceof MeshgateError
          ? err
          : { code: 'INTERNAL_SERVER_ERROR', message: err instanceof Error ? err.message : String(err) };
    // The flags may not have parsed: --json is looked for as written.
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
    const unexpected = code === 'INTERNAL_SERVER_ERROR' && err instanceof Error ? `\n${err.stack}` : '';
    process.stderr.write(`meshgate ${command}: ${code}: ${message}${unexpected}\n`);
    return 2;
  }
}
