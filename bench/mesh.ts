import fs from 'node:fs';
import path from 'node:path';
import { acceptSecurityFeatures } from '../gateway/authorization/requirements';
import { composeSupergraph, formatProblems, loadSubgraphSchemas } from '../gateway/compose';
import { GATEWAY_NODE_FLAGS } from '../gateway/heap-growth';
import { SUBGRAPH_NODE_FLAGS } from '../shared/subgraph-main';
import { domains } from '../subgraphs';
import { cpuSeconds, GATEWAY_CPU, onCpu, ownCpuSeconds, runQueueWaitSeconds, SHARED_CPU, type Placement } from './cpus';
import type { BenchAuditStats } from './gateway-process';
import { childEnv, startService, type ServiceProcess } from './mesh-process';
import { issueTokens, type TokenIssuer } from './tokens';
import { BARE, GATEWAYS, GOVERNED, MESHGATE, principals, UNAUDITED, type GatewayName } from './workloads';

export const LOAD_GENERATOR = 'load-generator';

export interface MeshOptions {
  scale: number;
  /** Where the subgraphs seed their fresh SQLite files, the supergraph and token keys are written, and the audit store lives. */
  dataDir: string;
  placement: Placement;
  /** Write a V8 CPU profile of each gateway process here (one sub-folder per gateway), when it stops. */
  cpuProfDir?: string;
  signal?: AbortSignal;
}

/** The demo mesh in child processes, as the benchmark drives it. */
export interface Mesh {
  subgraphs: ServiceProcess[];
  gateways: Record<GatewayName, ServiceProcess>;
  tokens: TokenIssuer;
  /** The governed gateway's audit writer stats and the events in its store (`flush`: written first). */
  auditStats(flush?: boolean): Promise<BenchAuditStats>;
  /**
   * Waits until a gateway has finished the requests still in flight after a run (autocannon stops
   * sending, the gateway keeps answering): its CPU and the subgraphs' SQL at rest, else their work
   * would land in the next row. Returns the SQL statements per subgraph so far.
   */
  settle(gateway: GatewayName): Promise<Record<string, number>>;
  /** CPU seconds used so far per process (each gateway, each subgraph, `load-generator`); only this process without /proc. */
  cpuSeconds(): Record<string, number>;
  /** Seconds each process's main thread has waited for a CPU so far (see `runQueueWaitSeconds`); empty without /proc. */
  runQueueWait(): Record<string, number>;
  /** Throws, with their last output, if any service has exited. */
  assertAlive(during: string): void;
  stop(): Promise<void>;
}

const SEED_TIMEOUT_MS = 10 * 60_000;
/** settle(): idle means under 10% of a core and no SQL in two 200 ms steps in a row; it gives up after 30 s. */
const SETTLE_STEP_MS = 200;
const IDLE_CPU_SECONDS = 0.02;
const SETTLE_TIMEOUT_MS = 30_000;

/** Starts services concurrently; if any fails, stops those that started and throws its error. */
async function startAll(starting: Promise<ServiceProcess>[]): Promise<ServiceProcess[]> {
  const settled = await Promise.allSettled(starting);
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((s) => s.stop()));
    throw failed.reason;
  }
  return started;
}

/** One supergraph file for all three gateways, composed from the subgraphs' schema files with the URLs they bound. */
async function writeSupergraph(subgraphs: ServiceProcess[], dataDir: string): Promise<string> {
  const schemas = await loadSubgraphSchemas(subgraphs.map((s) => ({ name: s.name, routingUrl: s.url, schema: { file: domains[s.name].schemaFile } })));
  const composed = composeSupergraph(schemas);
  if (!composed.ok) throw new Error(`composition failed:\n${formatProblems(composed.problems)}`);
  const file = path.join(dataDir, 'supergraph.graphql');
  // Plain @apollo/gateway refuses @authenticated/@requiresScopes/@policy links marked `for: SECURITY`
  // (Meshgate drops the mark and enforces them itself); the demo has none, so this changes nothing today.
  fs.writeFileSync(file, acceptSecurityFeatures(composed.supergraphSdl));
  return file;
}

/** With `--cpu-prof DIR`, the process writes a V8 profile under DIR/<name>/ when it stops. */
function withCpuProfile([node, ...rest]: string[], cpuProfDir: string | undefined, name: string): string[] {
  // Node refuses --cpu-prof in NODE_OPTIONS: it goes right after the node binary.
  return cpuProfDir ? [node, '--cpu-prof', `--cpu-prof-dir=${path.join(cpuProfDir, name)}`, ...rest] : [node, ...rest];
}

/**
 * Layout: each subgraph in its own process, as `meshgate start` deploys them; each gateway in
 * another; the load generator in the benchmark's own. Pinned, the gateways have CPU 1 (only the
 * one under load is busy) and the rest share CPU 0.
 *
 * Subgraphs run unsigned (development mode, no MESHGATE_SUBGRAPH_SECRET) for all three gateways:
 * plain @apollo/gateway cannot sign its subgraph requests, and the comparison needs the same
 * subgraphs doing the same work behind each gateway.
 */
export async function startMesh(options: MeshOptions): Promise<Mesh> {
  const env = childEnv({ PORT: '0', MESHGATE_DATA_DIR: options.dataDir, MESHGATE_SCALE: String(options.scale), MESHGATE_LOG_LEVEL: 'info' });
  const subgraphs = await startAll(
    Object.values(domains).map((domain) =>
      startService({
        name: domain.name,
        script: path.join(path.dirname(domain.schemaFile), 'main.ts'),
        nodeArgs: SUBGRAPH_NODE_FLAGS,
        env,
        wrap: (argv) => onCpu(options.placement, SHARED_CPU, withCpuProfile(argv, options.cpuProfDir, domain.name)),
        readyTimeoutMs: SEED_TIMEOUT_MS,
        signal: options.signal,
      }),
    ),
  );
  let gateways: ServiceProcess[];
  let tokens: TokenIssuer;
  const statsFile = path.join(options.dataDir, 'governed-audit-stats.url');
  try {
    const supergraphFile = await writeSupergraph(subgraphs, options.dataDir);
    tokens = await issueTokens(options.dataDir, principals);
    const startGateway = (name: GatewayName, script: string, extra: NodeJS.ProcessEnv = {}) =>
      startService({
        name,
        script: path.join(__dirname, script),
        // Meshgate's gateways start as the Dockerfile starts one; bare with node's defaults.
        nodeArgs: name === BARE ? [] : GATEWAY_NODE_FLAGS,
        env: {
          ...env,
          ...extra,
          BENCH_SUPERGRAPH_FILE: supergraphFile,
        },
        wrap: (argv) => onCpu(options.placement, GATEWAY_CPU, withCpuProfile(argv, options.cpuProfDir, name)),
        readyTimeoutMs: 60_000,
        signal: options.signal,
      });
    gateways = await startAll([
      startGateway(BARE, 'bare-gateway-process.ts'),
      startGateway(MESHGATE, 'gateway-process.ts'),
      // The same pipeline without an audit writer: what the audit step costs.
      startGateway(UNAUDITED, 'gateway-process.ts', { BENCH_GOVERNANCE: JSON.stringify({ auth: { jwks_file: tokens.jwksFile } }) }),
      // The full pipeline with default settings (policies/policy.yaml, enforce), tokens verified
      // with this run's key set, and an audit writer as `meshgate gateway` builds it (SQLite in the run's folder).
      startGateway(GOVERNED, 'gateway-process.ts', {
        BENCH_GOVERNANCE: JSON.stringify({ auth: { jwks_file: tokens.jwksFile } }),
        BENCH_AUDIT_STATS_FILE: statsFile,
        MESHGATE_REPLICA_ID: 'bench-governed',
      }),
    ]);
  } catch (err) {
    await Promise.all(subgraphs.map((s) => s.stop()));
    throw err;
  }
  const all = [...gateways, ...subgraphs];
  const statsUrl = fs.readFileSync(statsFile, 'utf8').trim();

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

  const byName = Object.fromEntries(GATEWAYS.map((name, i) => [name, gateways[i]])) as Record<GatewayName, ServiceProcess>;

  return {
    subgraphs,
    gateways: byName,
    tokens,
    async auditStats(flush = false) {
      const res = await fetch(`${statsUrl}${flush ? '?flush=1' : ''}`, { signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new Error(`${GOVERNED}: audit stats answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as BenchAuditStats;
    },
    async settle(gateway) {
      const { pid } = byName[gateway];
      let quiet = 0;
      let cpu = cpuSeconds(pid);
      let sql = await sqlStatements();
      for (const deadline = Date.now() + SETTLE_TIMEOUT_MS; quiet < 2 && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, SETTLE_STEP_MS));
        const [nextCpu, nextSql] = [cpuSeconds(pid), await sqlStatements()];
        const idle = total(nextSql) === total(sql) && (cpu === undefined || nextCpu === undefined || nextCpu - cpu < IDLE_CPU_SECONDS);
        quiet = idle ? quiet + 1 : 0;
        [cpu, sql] = [nextCpu, nextSql];
      }
      return sql;
    },
    cpuSeconds() {
      const snapshot: Record<string, number> = { [LOAD_GENERATOR]: ownCpuSeconds() };
      for (const s of all) {
        const seconds = cpuSeconds(s.pid);
        if (seconds !== undefined) snapshot[s.name] = seconds;
      }
      return snapshot;
    },
    runQueueWait() {
      const snapshot: Record<string, number> = {};
      for (const [name, pid] of [[LOAD_GENERATOR, 'self'] as const, ...all.map((s) => [s.name, s.pid] as const)]) {
        const seconds = runQueueWaitSeconds(pid);
        if (seconds !== undefined) snapshot[name] = seconds;
      }
      return snapshot;
    },
    assertAlive(during) {
      const dead = all.filter((s) => !s.alive());
      if (dead.length) throw new Error(`${dead.map((s) => s.name).join(', ')} exited during ${during}:\n${dead.map((s) => s.recentOutput()).join('\n')}`);
    },
    stop: () => Promise.all(all.map((s) => s.stop())).then(() => undefined),
  };
}
