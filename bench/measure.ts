import { threadCpuSeconds, type ThreadCpuSeconds } from './cpus';
import { requestsFor, runLoad, type Failures, type LoadResult } from './load';
import { sampleRss } from './memory';
import type { Mesh } from './mesh';
import { GOVERNED, type GatewayName, type Workload } from './workloads';

export interface LoadSettings {
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** Cap on requests per measured run (the run also ends at its duration). */
  maxRequests: number;
  signal?: AbortSignal;
}

/** One measured run of one workload through one gateway, in one round. */
export interface RoundRow {
  gateway: GatewayName;
  workload: string;
  round: number;
  responses: number;
  /** Requests sent, including those in flight when the run ended (the gateway still answers them). */
  sent: number;
  durationSec: number;
  /** Wall time of the run as this process saw it, for CPU shares. */
  wallSec: number;
  latencies: Float64Array;
  requestsPerSec: number;
  /** SQL statements each subgraph ran during the run. */
  sqlStatements: Record<string, number>;
  /** CPU seconds per process during the run. */
  cpuSeconds: Record<string, number>;
  /** Seconds each process's main thread waited for a CPU during the run. */
  runQueueWaitSeconds: Record<string, number>;
  /** The gateway under load's CPU seconds during the run, by thread (without /proc: absent). */
  gatewayThreadSeconds?: ThreadCpuSeconds;
  /** Highest VmRSS of the gateway process sampled during the run. */
  peakRssMB?: number;
  failures: Failures;
  /** The governed gateway: events its audit store gained for this run, flushed (compare with `sent`). */
  auditEvents?: number;
}

/** The audit store's event count once it reaches `expected` (each answered request is audited after its response), or after 10 s. */
async function eventsOnceAudited(mesh: Mesh, expected: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { events } = await mesh.auditStats(true);
    if (events >= expected || Date.now() > deadline) return events;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const difference = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.keys(after).filter((k) => k in before).map((k) => [k, after[k] - before[k]]));

/**
 * CPU seconds by thread between two readings. The process's counter and its threads' are rounded
 * to ticks apart, so the helpers' share (the process minus the threads) can read a tick lower
 * than before: never less than nothing.
 */
function threadDifference(after: ThreadCpuSeconds, before: ThreadCpuSeconds): ThreadCpuSeconds {
  const grew = (key: keyof ThreadCpuSeconds) => Math.max(0, after[key] - before[key]);
  return { eventLoop: grew('eventLoop'), auditThread: grew('auditThread'), helpers: grew('helpers') };
}

/**
 * Warms up (when `warm` and a warm-up is set), then measures one workload through one gateway:
 * throughput and latency from the load, SQL from the subgraphs' counters, CPU and RSS from /proc,
 * and for the governed gateway the audit events written for the measured requests.
 * `onGoverned` counts every request the governed gateway was sent, warm-up included.
 */
export async function measureRow(
  mesh: Mesh,
  gateway: GatewayName,
  workload: Workload,
  round: number,
  settings: LoadSettings & { warm: boolean },
  onGoverned: (requests: number) => void,
): Promise<RoundRow> {
  const service = mesh.gateways[gateway];
  const requests = requestsFor(workload, mesh.tokens.headersOf);
  const load = async (durationSec: number): Promise<LoadResult> => {
    const result = await runLoad({ url: service.url, requests, connections: settings.connections, durationSec, maxRequests: settings.maxRequests, signal: settings.signal });
    if (gateway === GOVERNED) onGoverned(result.sent);
    return result;
  };
  if (settings.warm && settings.warmupSec > 0) await load(settings.warmupSec);
  const audited = gateway === GOVERNED;
  // At rest and flushed first, so the deltas hold this run's work only (the previous row ended settled).
  const sqlBefore = await mesh.settle(gateway);
  const eventsBefore = audited ? (await mesh.auditStats(true)).events : 0;
  const cpuBefore = mesh.cpuSeconds();
  const waitBefore = mesh.runQueueWait();
  const threadsBefore = threadCpuSeconds(service.pid);
  const rss = sampleRss(service.pid);
  const wallStart = performance.now();
  const result = await load(settings.durationSec);
  const wallSec = (performance.now() - wallStart) / 1000;
  const peakRssMB = rss.stop();
  const cpuAfter = mesh.cpuSeconds();
  const waitAfter = mesh.runQueueWait();
  const threadsAfter = threadCpuSeconds(service.pid);
  const sqlAfter = await mesh.settle(gateway);
  const eventsAfter = audited ? await eventsOnceAudited(mesh, eventsBefore + result.sent) : 0;
  mesh.assertAlive(`${workload.name} via ${gateway}`);
  return {
    gateway,
    workload: workload.name,
    round,
    responses: result.responses,
    sent: result.sent,
    durationSec: result.durationSec,
    wallSec,
    latencies: result.latencies,
    requestsPerSec: result.requestsPerSec,
    sqlStatements: difference(sqlAfter, sqlBefore),
    cpuSeconds: difference(cpuAfter, cpuBefore),
    runQueueWaitSeconds: difference(waitAfter, waitBefore),
    ...(threadsBefore && threadsAfter && { gatewayThreadSeconds: threadDifference(threadsAfter, threadsBefore) }),
    ...(peakRssMB !== undefined && { peakRssMB }),
    failures: result.failures,
    ...(audited && { auditEvents: eventsAfter - eventsBefore }),
  };
}
