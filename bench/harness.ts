import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { choosePlacement, describeMachine, pin, SHARED_CPU, type Machine } from './cpus';
import { probe, runLoad, type LoadResult, type Probe, type RequestHeaders } from './load';
import { createDb } from '../shared/db';
import { startMesh, type Mesh } from './mesh';
import {
  auditComparisons as defaultAuditComparisons,
  comparisons as defaultComparisons,
  governanceComparisons as defaultGovernanceComparisons,
  GOVERNED_GATEWAY,
  ownRowsOnly,
  principals as benchPrincipals,
  workloadId,
  workloads as defaultWorkloads,
  type Comparison,
  type Workload,
} from './workloads';

export interface BenchOptions {
  /** Demo data size (MESHGATE_SCALE) seeded into fresh SQLite files. */
  scale: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  /** Cap on requests per measured run (the run also ends at its duration). */
  maxRequests: number;
  /** Pin processes to CPUs with taskset when available. */
  pin: boolean;
  workloads?: Workload[];
  comparisons?: Comparison[];
  governanceComparisons?: typeof defaultGovernanceComparisons;
  auditComparisons?: typeof defaultAuditComparisons;
  /** The governed gateway's audit store in this PostgreSQL database (a fresh schema, dropped afterwards); default SQLite in the run's folder. */
  auditDbUrl?: string;
  /** Progress messages. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface RunResult {
  id: string;
  workload: string;
  target: string;
  measures: string;
  requests: number;
  durationSec: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Body size of one response, from the verification request (governed rows: the mean over their callers). */
  responseKB: number;
  /**
   * Governed rows: the callers whose tokens the requests carried in turn, each of whose responses
   * was verified (data, no errors) before the load.
   */
  principals?: string[];
  /** SQL statements per request sent, per subgraph (deltas of `GET /stats`). */
  sqlPerRequest: Record<string, number>;
  /** CPU use over the run per process (each gateway, each subgraph, `load-generator`), in % of one core; only the load generator without /proc. */
  cpuPercent: Record<string, number>;
  /** CPU time per request sent, per process, in ms: a server's cost even when it was not the bottleneck. */
  cpuMsPerRequest: Record<string, number>;
  failures: LoadResult['failures'];
  /** Governed (audited) rows: audit events the writer committed per second over the measured run. */
  auditEventsPerSec?: number;
}

export interface RatioResult {
  label: string;
  gateway: string;
  direct: string;
  /** gateway req/s ÷ direct req/s. */
  throughput: number;
  /** gateway p50 ÷ direct p50. */
  p50: number;
  p99: number;
}

/** Governance on ÷ off for one workload: the same query through the governed and the ungoverned gateway. */
export interface GovernanceResult {
  workload: string;
  ungoverned: { id: string; requestsPerSec: number; p50Ms: number; p99Ms: number };
  governed: { id: string; requestsPerSec: number; p50Ms: number; p99Ms: number; principals: string[] };
  /** governed req/s ÷ ungoverned req/s. */
  throughput: number;
  /** governed p50 ÷ ungoverned p50. */
  p50: number;
  p99: number;
}

/** Audit on ÷ off for one workload: the governed gateway with and without its audit writer. */
export interface AuditResult {
  workload: string;
  off: { id: string; requestsPerSec: number; p50Ms: number; p99Ms: number };
  on: { id: string; requestsPerSec: number; p50Ms: number; p99Ms: number; eventsPerSec: number };
  /** audited req/s ÷ unaudited req/s. */
  throughput: number;
  p50: number;
  p99: number;
}

/** At the end of the run, after a flush: the governed gateway's audit store against the requests it was sent. */
export interface AuditCheck {
  /** `sqlite` (the run's folder) or `postgres` (--audit-db). */
  store: string;
  /** Requests the governed gateway received: verification probes, warm-up and measured load (including those in flight when a run ended, which it still answers). */
  requests: number;
  /** Events in the store. */
  events: number;
  met: boolean;
  writer: { written: number; queued: number; failedBatches: number; rejected: number };
}

export interface Report {
  startedAt: string;
  machine: Machine;
  /** 1-minute load average before the mesh started and after the last run: other work on the machine skews results. */
  loadAverage: { before: number; after: number };
  /** Whether the gateway had CPU 1 to itself, everything else sharing CPU 0 (see cpus.ts). */
  pinned: boolean;
  placement: string;
  settings: { scale: number; durationSec: number; warmupSec: number; connections: number; maxRequests: number };
  subgraphs: string[];
  results: RunResult[];
  ratios: RatioResult[];
  /** Governance on ÷ off per workload (small, heavy). */
  governance: GovernanceResult[];
  /** Audit on ÷ off per workload (small, heavy). */
  audit: AuditResult[];
  auditCheck: AuditCheck;
}

/** Why a probe's response is not valid data for a workload, or undefined when it is. */
function problemWith({ status, body }: Probe, minOrders: number): string | undefined {
  const orders = body?.data?.orders?.nodes;
  return body?.errors?.length ? `HTTP ${status}, errors: ${body.errors.map((e) => e.message).join('; ')}`
    : status !== 200 ? `HTTP ${status}`
    : !Array.isArray(orders) ? 'no data.orders.nodes in the response'
    : orders.length < minOrders ? `${orders.length} orders, expected at least ${minOrders}`
    : undefined;
}

/** The governed gateway must refuse a token it cannot verify: proof that its pipeline is on. */
async function verifyGovernanceOn(mesh: Mesh): Promise<void> {
  const { status, body } = await probe(mesh.endpoint(GOVERNED_GATEWAY), '{ __typename }', () => ({ authorization: 'Bearer not.a.token' }));
  const code = (body?.errors?.[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code;
  if (status !== 401 || code !== 'UNAUTHENTICATED') throw new Error(`the governed gateway accepted an unverifiable token (HTTP ${status}, ${code ?? 'no error code'}): its pipeline is not on`);
}

/**
 * Sends one request per workload (governed ones: one per caller, with its token); throws unless
 * each returns the expected data without any error. A customer sees only its own orders, so it
 * must get at least one rather than `minOrders`. Returns the mean response size per workload.
 */
async function verify(mesh: Mesh, workloads: Workload[], sent: { governed: number }): Promise<Map<string, number>> {
  const bytes = new Map<string, number>();
  if (workloads.some((w) => w.target === GOVERNED_GATEWAY)) {
    sent.governed += 1;
    await verifyGovernanceOn(mesh);
  }
  for (const w of workloads) {
    const callers = w.principals ?? [undefined];
    // One probe per caller, concurrently: callers of one workload only differ in their token.
    const sizes = await Promise.all(
      callers.map(async (name) => {
        const principal = name === undefined ? undefined : benchPrincipals.find((p) => p.name === name);
        if (name !== undefined && !principal) throw new Error(`workload ${workloadId(w)} names an unknown principal "${name}"`);
        const headers: RequestHeaders | undefined = name === undefined ? mesh.signerFor(w.target) : () => mesh.principalHeaders(name);
        if (w.target === GOVERNED_GATEWAY) sent.governed += 1;
        const response = await probe(mesh.endpoint(w.target), w.query, headers);
        const problem = problemWith(response, principal && ownRowsOnly(principal) ? 1 : w.minOrders);
        if (problem) {
          const as = name === undefined ? '' : ` as ${name}`;
          throw new Error(`workload ${workloadId(w)} does not return valid data${as} (${problem}); a benchmark of failing requests measures nothing`);
        }
        return response.bytes;
      }),
    );
    bytes.set(workloadId(w), sizes.reduce((a, b) => a + b, 0) / sizes.length);
  }
  return bytes;
}

/** Headers for each request of a workload: the subgraph signature, or the callers' tokens in turn. */
function requestHeaders(mesh: Mesh, w: Workload): RequestHeaders | undefined {
  if (!w.principals?.length) return mesh.signerFor(w.target);
  const rotation = w.principals.map((name) => mesh.principalHeaders(name));
  let next = 0;
  return () => rotation[next++ % rotation.length];
}

async function measure(mesh: Mesh, w: Workload, options: BenchOptions, responseBytes: number, sent: { governed: number }): Promise<RunResult> {
  const headers = requestHeaders(mesh, w);
  const audited = w.target === GOVERNED_GATEWAY;
  const count = (result: LoadResult) => {
    if (audited) sent.governed += result.sent;
    return result;
  };
  const load = async (durationSec: number) =>
    count(await runLoad({
      url: mesh.endpoint(w.target),
      query: w.query,
      headers,
      connections: options.connections,
      durationSec,
      maxRequests: options.maxRequests,
      signal: options.signal,
    }));
  if (options.warmupSec > 0) await load(options.warmupSec);
  const sqlBefore = await mesh.settledSqlStatements();
  const writtenBefore = audited ? (await mesh.auditStats()).written : 0;
  const cpuBefore = mesh.cpuSeconds();
  const wallStart = performance.now();
  const result = await load(options.durationSec);
  const wallSec = (performance.now() - wallStart) / 1000;
  const cpuAfter = mesh.cpuSeconds();
  const writtenAfter = audited ? (await mesh.auditStats()).written : 0;
  const sqlAfter = await mesh.settledSqlStatements();
  mesh.assertAlive(workloadId(w));
  const cpuUsed = Object.keys(cpuAfter)
    .filter((name) => name in cpuBefore)
    .map((name) => [name, cpuAfter[name] - cpuBefore[name]] as const);
  return {
    id: workloadId(w),
    workload: w.name,
    target: w.target,
    measures: w.measures,
    requests: result.responses,
    durationSec: result.durationSec,
    requestsPerSec: result.requestsPerSec,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    responseKB: responseBytes / 1024,
    ...(w.principals && { principals: w.principals }),
    // Divided by requests sent: the servers also did the work of requests in flight at the end.
    sqlPerRequest: Object.fromEntries(mesh.subgraphs.map((s) => [s.name, result.sent > 0 ? (sqlAfter[s.name] - sqlBefore[s.name]) / result.sent : 0])),
    cpuPercent: Object.fromEntries(cpuUsed.map(([name, seconds]) => [name, Math.round((100 * seconds) / wallSec)])),
    cpuMsPerRequest: Object.fromEntries(cpuUsed.map(([name, seconds]) => [name, result.sent > 0 ? (1000 * seconds) / result.sent : 0])),
    failures: result.failures,
    ...(audited && { auditEventsPerSec: (writtenAfter - writtenBefore) / wallSec }),
  };
}

function audit(results: RunResult[], comparisons: typeof defaultAuditComparisons): AuditResult[] {
  return comparisons.flatMap((c) => {
    const on = results.find((r) => r.id === c.audited);
    const off = results.find((r) => r.id === c.unaudited);
    if (!on || !off) return [];
    const figures = (r: RunResult) => ({ id: r.id, requestsPerSec: r.requestsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms });
    return [
      {
        workload: c.workload,
        off: figures(off),
        on: { ...figures(on), eventsPerSec: on.auditEventsPerSec ?? 0 },
        throughput: on.requestsPerSec / off.requestsPerSec,
        p50: on.p50Ms / off.p50Ms,
        p99: on.p99Ms / off.p99Ms,
      },
    ];
  });
}

function ratios(results: RunResult[], comparisons: Comparison[]): RatioResult[] {
  return comparisons.flatMap((c) => {
    const g = results.find((r) => r.id === c.gateway);
    const d = results.find((r) => r.id === c.direct);
    if (!g || !d) return [];
    return [{ label: c.label, gateway: c.gateway, direct: c.direct, throughput: g.requestsPerSec / d.requestsPerSec, p50: g.p50Ms / d.p50Ms, p99: g.p99Ms / d.p99Ms }];
  });
}

function governance(results: RunResult[], comparisons: typeof defaultGovernanceComparisons): GovernanceResult[] {
  return comparisons.flatMap((c) => {
    const on = results.find((r) => r.id === c.governed);
    const off = results.find((r) => r.id === c.ungoverned);
    if (!on || !off) return [];
    const figures = (r: RunResult) => ({ id: r.id, requestsPerSec: r.requestsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms });
    return [
      {
        workload: c.workload,
        ungoverned: figures(off),
        governed: { ...figures(on), principals: on.principals ?? [] },
        throughput: on.requestsPerSec / off.requestsPerSec,
        p50: on.p50Ms / off.p50Ms,
        p99: on.p99Ms / off.p99Ms,
      },
    ];
  });
}

/**
 * Starts the mesh on fresh data, verifies every workload, then warms up and measures each in
 * turn. Every child process is stopped before this returns or throws.
 */
export async function runBenchmark(options: BenchOptions): Promise<Report> {
  const log = options.log ?? (() => undefined);
  const workloads = options.workloads ?? defaultWorkloads;
  const placement = choosePlacement(options.pin);
  pin(placement, process.pid, SHARED_CPU);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-bench-'));
  const startedAt = new Date().toISOString();
  const loadBefore = os.loadavg()[0];
  let mesh: Mesh | undefined;
  const auditDb = options.auditDbUrl ? { url: options.auditDbUrl, schema: `bench_audit_${randomBytes(4).toString('hex')}` } : undefined;
  try {
    log(`starting the subgraphs and the gateways, ungoverned and governed (fresh demo data at scale ${options.scale} in ${dataDir})…`);
    mesh = await startMesh({ scale: options.scale, dataDir, placement, audit: auditDb, signal: options.signal });
    const sent = { governed: 0 };
    const responseBytes = await verify(mesh, workloads, sent);
    const results: RunResult[] = [];
    for (const w of workloads) {
      log(`${workloadId(w)}: ${options.warmupSec} s warm-up, ${options.durationSec} s measured`);
      results.push(await measure(mesh, w, options, responseBytes.get(workloadId(w))!, sent));
    }
    // Requests in flight when a run ended are still answered (and audited): let them settle, then flush.
    await mesh.settledSqlStatements();
    const stats = await mesh.auditStats(true);
    const auditCheck: AuditCheck = {
      store: auditDb ? 'postgres' : 'sqlite',
      requests: sent.governed,
      events: stats.events,
      met: stats.events === sent.governed,
      writer: { written: stats.written, queued: stats.queued, failedBatches: stats.failedBatches, rejected: stats.rejected },
    };
    return {
      startedAt,
      machine: describeMachine(),
      loadAverage: { before: loadBefore, after: os.loadavg()[0] },
      pinned: placement.pinned,
      placement: placement.description,
      settings: { scale: options.scale, durationSec: options.durationSec, warmupSec: options.warmupSec, connections: options.connections, maxRequests: options.maxRequests },
      subgraphs: mesh.subgraphs.map((s) => s.name),
      results,
      ratios: ratios(results, options.comparisons ?? defaultComparisons),
      governance: governance(results, options.governanceComparisons ?? defaultGovernanceComparisons),
      audit: audit(results, options.auditComparisons ?? defaultAuditComparisons),
      auditCheck,
    };
  } finally {
    await mesh?.stop();
    if (auditDb) {
      const db = createDb(auditDb);
      await db.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [auditDb.schema]).finally(() => db.close());
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
