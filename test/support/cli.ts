import { vi } from 'vitest';
import { main } from '../../cli/main';

/** Runs the CLI in-process and captures what it prints. */
export async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => ((out += chunk), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: any) => ((err += chunk), true));
  try {
    return { code: await main(argv), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}
