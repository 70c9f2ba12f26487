import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../gateway/auth/settings';
import { ANONYMOUS } from '../shared/principal';
import { signSubgraphRequest } from '../shared/signing';
import { domains } from '../subgraphs';
import { cpuSeconds, GATEWAY_CPU, onCpu, ownCpuSeconds, SHARED_CPU, type Placement } from './cpus';
import type { BenchAuditStats, BenchSubgraph } from './gateway-process';
import type { RequestHeaders } from './load';
import { childEnv, startService, type ServiceProcess } from './mesh-process';
import { GATEWAY, GOVERNED_GATEWAY, GOVERNED_NO_AUDIT, principals as benchPrincipals, type BenchPrincipal } from './workloads';

export const LOAD_GENERATOR = 'load-generator';

/** The gateway processes, both pinned to the gateway CPU (only the one under load is loaded). */
export const GATEWAYS = [GATEWAY, GOVERNED_GATEWAY, GOVERNED_NO_AUDIT];

export interface MeshOptions {
  scale: number;
  /** Where the subgraphs seed their fresh SQLite files (and the governed gateway finds its token keys). */
  dataDir: string;
  placement: Placement;
  /** The governed gateway's audit store: this PostgreSQL database and schema; default `<dataDir>/audit.sqlite`. */
  audit?: { url: string; schema: string };
  signal?: AbortSignal;
}

/** The demo mesh in child processes, as the benchmark drives it. */
export interface Mesh {
  subgraphs: ServiceProcess[];
  /** The gateway without a request pipeline (ungoverned). */
  gateway: ServiceProcess;
  /** The same gateway with the full governance pipeline and an audit writer, on the same subgraphs. */
  governedGateway: ServiceProcess;
  /** The governed gateway without an audit writer. */
  unauditedGateway: ServiceProcess;
  /** The governed gateway's audit writer stats and the events in its store (`flush`: written first). */
  auditStats(flush?: boolean): Promise<BenchAuditStats>;
  /** The GraphQL endpoint of `gateway`, `governed-gateway` or of a subgraph by name. */
  endpoint(target: string): string;
  /** How to sign a request sent straight to `target`; none for the gateways, which sign their own. */
  signerFor(target: string): RequestHeaders | undefined;
  /** The headers of one governed-gateway caller: its bearer token and declared purpose. */
  principalHeaders(name: string): Record<string, string>;
  /** SQL statements per subgraph so far, read once requests still in flight have finished. */
  settledSqlStatements(): Promise<Record<string, number>>;
  /** CPU seconds used so far per process (each gateway, each subgraph, `load-generator`); only this process without /proc. */
  cpuSeconds(): Record<string, number>;
  /** Throws, with their last output, if any service has exited. */
  assertAlive(during: string): void;
  stop(): Promise<void>;
}

const SEED_TIMEOUT_MS = 10 * 60_000;

/**
 * Layout: each subgraph in its own process, as `meshgate start` deploys them, so one
 * subgraph's synchronous SQLite work never stalls another's event loop; the gateway alone in
 * another, and the governed gateway (same supergraph, same subgraphs) in a third; the load
 * generator in the benchmark's own. Pinned, the gateways have CPU 1 (only the one under load is
 * busy) and the rest share CPU 0 in every row, direct ones included: a subgraph gets the same CPU
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
  let governedGateway: ServiceProcess;
  let unauditedGateway: ServiceProcess;
  const statsFile = path.join(options.dataDir, 'governed-audit-stats.url');
  let tokens: Map<string, string>;
  try {
    const failed = starting.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const routes: BenchSubgraph[] = subgraphs.map((s) => ({ name: s.name, routingUrl: s.url, schemaFile: domains[s.name].schemaFile }));
    const auth = await tokenIssuer(options.dataDir, benchPrincipals);
    tokens = auth.tokens;
    const startGateway = (name: string, extra: NodeJS.ProcessEnv) =>
      startService({
        name,
        script: path.join(__dirname, 'gateway-process.ts'),
        env: { ...env, ...extra, BENCH_SUBGRAPHS: JSON.stringify(routes) },
        wrap: (argv) => onCpu(options.placement, GATEWAY_CPU, argv),
        readyTimeoutMs: 60_000,
        signal: options.signal,
      });
    // The full pipeline with default settings (policies/policy.yaml, enforce) but for the token
    // keys: production refuses MESHGATE_JWT_SECRET and requires a key set, so it gets one made for this run.
    const governance = JSON.stringify({ auth: { jwks_file: auth.jwksFile } });
    const gateways = await Promise.allSettled([
      startGateway(GATEWAY, {}),
      // With an audit writer, as `meshgate gateway` runs: SQLite in the run's folder, or PostgreSQL.
      startGateway(GOVERNED_GATEWAY, {
        BENCH_GOVERNANCE: governance,
        BENCH_AUDIT_STATS_FILE: statsFile,
        MESHGATE_REPLICA_ID: 'bench-governed',
        MESHGATE_AUDIT_DATABASE_URL: options.audit?.url ?? '',
        MESHGATE_AUDIT_DB_SCHEMA: options.audit?.schema ?? '',
      }),
      startGateway(GOVERNED_NO_AUDIT, { BENCH_GOVERNANCE: governance }),
    ]);
    const started = gateways.flatMap((g) => (g.status === 'fulfilled' ? [g.value] : []));
    const failedGateway = gateways.find((g) => g.status === 'rejected');
    if (failedGateway) {
      await stopAll(started);
      throw failedGateway.reason;
    }
    [gateway, governedGateway, unauditedGateway] = started;
  } catch (err) {
    await stopAll(subgraphs);
    throw err;
  }
  const all = [gateway, governedGateway, unauditedGateway, ...subgraphs];
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

  return {
    subgraphs,
    gateway,
    governedGateway,
    unauditedGateway,
    async auditStats(flush = false) {
      const res = await fetch(`${statsUrl}${flush ? '?flush=1' : ''}`, { signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new Error(`${GOVERNED_GATEWAY}: audit stats answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as BenchAuditStats;
    },
    signerFor(target) {
      if (GATEWAYS.includes(target)) return undefined;
      return (body) => signSubgraphRequest({ body, principal: ANONYMOUS, secret });
    },
    principalHeaders(name) {
      const token = tokens.get(name);
      const principal = benchPrincipals.find((p) => p.name === name);
      if (!token || !principal) throw new Error(`no bench principal "${name}"`);
      return { authorization: `Bearer ${token}`, ...(principal.purpose && { 'x-purpose': principal.purpose }) };
    },
    endpoint(target) {
      const service = all.find((s) => s.name === target);
      if (!service) throw new Error(`workload target "${target}" is neither a gateway nor a subgraph`);
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

/**
 * An identity provider for this run: a fresh RS256 key pair, its public half as a JWKS file in
 * `dir` (what the governed gateway verifies with, as in production), and one token per principal
 * with the gateway's default issuer and audience, valid for the run.
 */
async function tokenIssuer(dir: string, principals: BenchPrincipal[]): Promise<{ jwksFile: string; tokens: Map<string, string> }> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const jwksFile = path.join(dir, 'bench-jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] }));
  const tokens = new Map<string, string>();
  for (const p of principals) {
    const token = await new SignJWT({ ...p.claims })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(DEFAULT_ISSUER)
      .setAudience(DEFAULT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('6h')
      .sign(privateKey);
    tokens.set(p.name, token);
  }
  return { jwksFile, tokens };
}
