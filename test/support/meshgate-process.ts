import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

export interface MeshgateProcess {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  /** Resolves with the first match of `pattern` in stdout+stderr; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** Runs `bin/meshgate` as a real process from the repository root, as a user would. */
export function runMeshgate(args: string[], env: NodeJS.ProcessEnv = {}): MeshgateProcess {
  const child = spawn(process.execPath, [path.join(root, 'bin/meshgate'), ...args], { cwd: root, env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    waitFor: (pattern, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = (out + err).match(pattern);
          if (match) {
            clearInterval(timer);
            resolve(match);
          }
        };
        const timer = setInterval(check, 20);
        setTimeout(() => (clearInterval(timer), reject(new Error(`timed out waiting for ${pattern}; output:\n${out}\n${err}`))), timeoutMs);
        void exited.then((code) => (check(), clearInterval(timer), reject(new Error(`exited ${code} before ${pattern}; output:\n${out}\n${err}`))));
      }),
  };
}
