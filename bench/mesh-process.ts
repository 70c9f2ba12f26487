import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

/** A server the benchmark started in a child process. */
export interface ServiceProcess {
  name: string;
  pid: number;
  /** The GraphQL endpoint the service said it bound (`…/graphql`). */
  url: string;
  /** `http://127.0.0.1:port`, for `/stats` and `/health`. */
  origin: string;
  alive(): boolean;
  /** The service's last output lines, for failure messages. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface ServiceSpec {
  name: string;
  /** The TypeScript entry point, run through tsx. */
  script: string;
  /** Flags for node itself, before the script (e.g. a gateway's `GATEWAY_NODE_FLAGS`). */
  nodeArgs?: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Wraps the command line, e.g. to pin it to a CPU with taskset. */
  wrap?: (argv: string[]) => string[];
  readyTimeoutMs: number;
  /** Gives up waiting for the ready line (and stops the child) when aborted. */
  signal?: AbortSignal;
}

const EXIT_WITH_PARENT = path.join(__dirname, 'exit-with-parent.ts');
const KEEP_LINES = 40;

/**
 * Starts a service and waits for its ready line: a JSON log line with a `url` (what
 * `runSubgraph` and `gateway-process.ts` log). Fails with the service's output when it exits
 * first or stays silent past the timeout.
 */
export async function startService(spec: ServiceSpec): Promise<ServiceProcess> {
  const argv = [process.execPath, ...(spec.nodeArgs ?? []), '--require', require.resolve('tsx/cjs'), '--require', EXIT_WITH_PARENT, spec.script];
  const [command, ...args] = spec.wrap ? spec.wrap(argv) : argv;
  // stdin stays an open pipe: exit-with-parent.ts stops the child when it closes.
  const child = spawn(command, args, { env: spec.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  /** How the process ended ("code 1", "signal SIGTERM", a spawn error); undefined while it runs. */
  let ended: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = code !== null ? `code ${code}` : `signal ${signal}`;
      resolve();
    });
    child.once('error', (err) => {
      ended = err.message;
      resolve();
    });
  });
  const ready = new Promise<string>((resolve) => {
    for (const stream of [child.stdout, child.stderr]) {
      // Keep reading after the ready line, or a chatty child blocks on a full pipe.
      readline.createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (lines.length > KEEP_LINES) lines.shift();
        try {
          const entry = JSON.parse(line);
          if (typeof entry?.url === 'string') resolve(entry.url);
        } catch {
          // not a JSON log line
        }
      });
    }
  });
  const recentOutput = () => lines.join('\n');
  const stop = async () => {
    if (ended !== undefined) return;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killTimer);
  };

  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const url = await Promise.race([
      ready,
      exited.then(() => {
        throw new Error(`${spec.name} exited (${ended}) before it was ready:\n${recentOutput()}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${spec.name} was not ready within ${spec.readyTimeoutMs / 1000} s:\n${recentOutput()}`)), spec.readyTimeoutMs);
        onAbort = () => reject(new Error('benchmark aborted'));
        if (spec.signal?.aborted) onAbort();
        spec.signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    const parsed = new URL(url);
    if (parsed.hostname !== '127.0.0.1') throw new Error(`${spec.name} bound ${url}; the benchmark only talks to 127.0.0.1`);
    return { name: spec.name, pid: child.pid!, url, origin: parsed.origin, alive: () => ended === undefined, recentOutput, stop };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
    if (onAbort) spec.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Environment for a child: loopback only, no database but its own SQLite. Development mode for
 * every child alike: production refuses unsigned subgraphs, and the bare gateway cannot sign
 * (see mesh.ts); vitest's NODE_ENV=test must not reach them either.
 */
export function childEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', APOLLO_TELEMETRY_DISABLED: 'true', HOST: '127.0.0.1', ...extra };
  // Inherited settings that would point a child elsewhere than its fresh local database, sign
  // (only for some gateways), or report to Apollo's cloud.
  const inherited = ['DATABASE_URL', 'DB_SCHEMA', 'MESHGATE_SEED', 'MESHGATE_SUBGRAPH_SECRET', 'MESHGATE_JWT_SECRET', 'MESHGATE_JWKS_URL', 'MESHGATE_AUDIT_DATABASE_URL', 'MESHGATE_AUDIT_DB_SCHEMA', 'APOLLO_KEY', 'APOLLO_GRAPH_REF'];
  for (const name of inherited) delete env[name];
  for (const name of Object.keys(env)) if (/^SUBGRAPH_.*_URL$/.test(name)) delete env[name];
  return env;
}
