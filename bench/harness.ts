import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { choosePlacement, describeMachine, pin, SHARED_CPU, type Machine } from './cpus';
import { probe, runLoad, type LoadResult } from './load';
import { startMesh, type Mesh } from './mesh';
import { comparisons as defaultComparisons, workloadId, workloads as defaultWorkloads, type Comparison, type Workload } from './workloads';

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
  /** Body size of one response, from the verification request. */
  responseKB: number;
  /** SQL statements per request sent, per subgraph (deltas of `GET /stats`). */
  sqlPerRequest: Record<string, number>;
  /** CPU use over the run per process (`gateway`, each subgraph, `load-generator`), in % of one core; only the load generator without /proc. */
  cpuPercent: Record<string, number>;
  /** CPU time per request sent, per process, in ms: a server's cost even when it was not the bottleneck. */
  cpuMsPerRequest: Record<string, number>;
  failures: LoadResult['failures'];
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
}

/** Sends one request per workload; throws unless each returns the expected data without errors. */
async function verify(mesh: Mesh, workloads: Workload[]): Promise<Map<string, number>> {
  const bytes = new Map<string, number>();
  for (const w of workloads) {
    const { status, bytes: size, body } = await probe(mesh.endpoint(w.target), w.query, mesh.signerFor(w.target));
    const orders = body?.data?.orders?.nodes;
    const problem =
      body?.errors?.length ? `HTTP ${status}, errors: ${body.errors.map((e) => e.message).join('; ')}`
      : status !== 200 ? `HTTP ${status}`
      : !Array.isArray(orders) ? 'no data.orders.nodes in the response'
      : orders.length < w.minOrders ? `${orders.length} orders, expected at least ${w.minOrders}`
      : undefined;
    if (problem) throw new Error(`workload ${workloadId(w)} does not return valid data (${problem}); a benchmark of failing requests measures nothing`);
    bytes.set(workloadId(w), size);
  }
  return bytes;
}

async function measure(mesh: Mesh, w: Workload, options: BenchOptions, responseBytes: number): Promise<RunResult> {
  const load = (durationSec: number) =>
    runLoad({
      url: mesh.endpoint(w.target),
      query: w.query,
      sign: mesh.signerFor(w.target),
      connections: options.connections,
      durationSec,
      maxRequests: options.maxRequests,
      signal: options.signal,
    });
  if (options.warmupSec > 0) await load(options.warmupSec);
  const sqlBefore = await mesh.settledSqlStatements();
  const cpuBefore = mesh.cpuSeconds();
  const wallStart = performance.now();
  const result = await load(options.durationSec);
  const wallSec = (performance.now() - wallStart) / 1000;
  const cpuAfter = mesh.cpuSeconds();
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
    // Divided by requests sent: the servers also did the work of requests in flight at the end.
    sqlPerRequest: Object.fromEntries(mesh.subgraphs.map((s) => [s.name, result.sent > 0 ? (sqlAfter[s.name] - sqlBefore[s.name]) / result.sent : 0])),
    cpuPercent: Object.fromEntries(cpuUsed.map(([name, seconds]) => [name, Math.round((100 * seconds) / wallSec)])),
    cpuMsPerRequest: Object.fromEntries(cpuUsed.map(([name, seconds]) => [name, result.sent > 0 ? (1000 * seconds) / result.sent : 0])),
    failures: result.failures,
  };
}

function ratios(results: RunResult[], comparisons: Comparison[]): RatioResult[] {
  return comparisons.flatMap((c) => {
    const g = results.find((r) => r.id === c.gateway);
    const d = results.find((r) => r.id === c.direct);
    if (!g || !d) return [];
    return [{ label: c.label, gateway: c.gateway, direct: c.direct, throughput: g.requestsPerSec / d.requestsPerSec, p50: g.p50Ms / d.p50Ms, p99: g.p99Ms / d.p99Ms }];
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
  try {
    log(`starting the subgraphs and the gateway (fresh demo data at scale ${options.scale} in ${dataDir})…`);
    mesh = await startMesh({ scale: options.scale, dataDir, placement, signal: options.signal });
    const responseBytes = await verify(mesh, workloads);
    const results: RunResult[] = [];
    for (const w of workloads) {
      log(`${workloadId(w)}: ${options.warmupSec} s warm-up, ${options.durationSec} s measured`);
      results.push(await measure(mesh, w, options, responseBytes.get(workloadId(w))!));
    }
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
    };
  } finally {
    await mesh?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
