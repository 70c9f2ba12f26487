import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ANONYMOUS } from '../shared/principal';
import { signSubgraphRequest } from '../shared/signing';
import { domains } from '../subgraphs';
import { cpuSeconds, GATEWAY_CPU, onCpu, ownCpuSeconds, SHARED_CPU, type Placement } from './cpus';
import type { BenchSubgraph } from './gateway-process';
import type { RequestSigner } from './load';
import { childEnv, startService, type ServiceProcess } from './mesh-process';

export const LOAD_GENERATOR = 'load-generator';

export interface MeshOptions {
  scale: number;
  /** Where the subgraphs seed their fresh SQLite files. */
  dataDir: string;
  placement: Placement;
  signal?: AbortSignal;
}

/** The demo mesh in child processes, as the benchmark drives it. */
export interface Mesh {
  subgraphs: ServiceProcess[];
  gateway: ServiceProcess;
  /** The GraphQL endpoint of `gateway` or of a subgraph by name. */
  endpoint(target: string): string;
  /** How to sign a request sent straight to `target`; none for the gateway, which signs its own. */
  signerFor(target: string): RequestSigner | undefined;
  /** SQL statements per subgraph so far, read once requests still in flight have finished. */
  settledSqlStatements(): Promise<Record<string, number>>;
  /** CPU seconds used so far per process (`gateway`, each subgraph, `load-generator`); only this process without /proc. */
  cpuSeconds(): Record<string, number>;
  /** Throws, with their last output, if any service has exited. */
  assertAlive(during: string): void;
  stop(): Promise<void>;
}

const SEED_TIMEOUT_MS = 10 * 60_000;

/**
 * Layout: each subgraph in its own process, as `meshgate start` deploys them, so one
 * subgraph's synchronous SQLite work never stalls another's event loop; the gateway alone in
 * another; the load generator in the benchmark's own. Pinned, the gateway has CPU 1 to itself
 * and the rest share CPU 0 in every row, direct ones included: a subgraph gets the same CPU
 * whether the gateway or the load generator calls it, so a gateway ÷ direct ratio shows what
 * the gateway adds.
 */
export async function startMesh(options: MeshOptions): Promise<Mesh> {
  // Production mode: subgraphs execute only requests the gateway signed, with a secret made for this run.
  const secret = randomBytes(32).toString('base64url');
  const env = childEnv({
    PORT: '0',
    MESHGATE_DATA_DIR: options.dataDir,
    MESHGATE_SCALE: String(options.scale),
    MESHGATE_LOG_LEVEL: 'info',
    MESHGATE_SUBGRAPH_SECRET: secret,
  });
  const starting = await Promise.allSettled(
    Object.values(domains).map((domain) =>
      startService({
        name: domain.name,
        script: path.join(path.dirname(domain.schemaFile), 'main.ts'),
        env,
        wrap: (argv) => onCpu(options.placement, SHARED_CPU, argv),
        readyTimeoutMs: SEED_TIMEOUT_MS,
        signal: options.signal,
      }),
    ),
  );
  const subgraphs = starting.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stopAll = (services: ServiceProcess[]) => Promise.all(services.map((s) => s.stop())).then(() => undefined);
  let gateway: ServiceProcess;
  try {
    const failed = starting.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const routes: BenchSubgraph[] = subgraphs.map((s) => ({ name: s.name, routingUrl: s.url, schemaFile: domains[s.name].schemaFile }));
    gateway = await startService({
      name: 'gateway',
      script: path.join(__dirname, 'gateway-process.ts'),
      env: { ...env, BENCH_SUBGRAPHS: JSON.stringify(routes) },
      wrap: (argv) => onCpu(options.placement, GATEWAY_CPU, argv),
      readyTimeoutMs: 60_000,
      signal: options.signal,
    });
  } catch (err) {
    await stopAll(subgraphs);
    throw err;
  }
  const all = [gateway, ...subgraphs];

  const sqlStatements = async () =>
    Object.fromEntries(
      await Promise.all(
        subgraphs.map(async (s) => {
          const res = await fetch(`${s.origin}/stats`, { signal: AbortSignal.timeout(5_000) });
          if (!res.ok) throw new Error(`${s.name}: GET /stats answered ${res.status}`);
          const { sqlStatements } = (await res.json()) as { sqlStatements: number };
          return [s.name, sqlStatements] as const;
        }),
      ),
    );
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

  return {
    subgraphs,
    gateway,
    signerFor(target) {
      if (target === 'gateway') return undefined;
      return (body) => signSubgraphRequest({ body, principal: ANONYMOUS, secret });
    },
    endpoint(target) {
      const service = all.find((s) => s.name === target);
      if (!service) throw new Error(`workload target "${target}" is neither the gateway nor a subgraph`);
      return service.url;
    },
    async settledSqlStatements() {
      let last = await sqlStatements();
      for (let i = 0; i < 30; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const next = await sqlStatements();
        if (total(next) === total(last)) return next;
        last = next;
      }
      return last;
    },
    cpuSeconds() {
      const snapshot: Record<string, number> = { [LOAD_GENERATOR]: ownCpuSeconds() };
      for (const s of all) {
        const seconds = cpuSeconds(s.pid);
        if (seconds !== undefined) snapshot[s.name] = seconds;
      }
      return snapshot;
    },
    assertAlive(during) {
      const dead = all.filter((s) => !s.alive());
      if (dead.length) throw new Error(`${dead.map((s) => s.name).join(', ')} exited during ${during}:\n${dead.map((s) => s.recentOutput()).join('\n')}`);
    },
    stop: () => stopAll(all),
  };
}
