import type { ThreadCpuSeconds } from './cpus';
import { mergedLatencies, percentile, type Failures } from './load';
import type { RoundRow } from './measure';
import { BARE, type GatewayName } from './workloads';

/** One gateway and workload over all rounds: what the table prints and latest.json holds. */
export interface Row {
  gateway: GatewayName;
  workload: string;
  rounds: number;
  /** Responses over all rounds. */
  requests: number;
  /** Requests sent over all rounds (responses plus those in flight when a run ended). */
  sent: number;
  durationSec: number;
  /** All responses ÷ all measured seconds. */
  requestsPerSec: number;
  /** Each round's own req/s: their spread shows how noisy the machine was. */
  roundRequestsPerSec: number[];
  /** Percentiles over every response of every round. */
  p50Ms: number;
  p99Ms: number;
  /** Highest gateway VmRSS sampled during this row's runs. */
  peakRssMB?: number;
  /** SQL statements per request sent, all subgraphs together and per subgraph. */
  sqlPerRequest: number;
  sqlPerRequestBySubgraph: Record<string, number>;
  /** Mean response size over the workload's requests (verification probes). */
  responseKB: number;
  /** CPU use per process over the measured runs, in % of one core. */
  cpuPercent: Record<string, number>;
  /** Per process: ms per response its main thread spent waiting for a CPU (see `runQueueWaitSeconds`). */
  runQueueWaitMsPerRequest: Record<string, number>;
  /** The gateway's CPU ms per response by thread (see `threadCpuSeconds`); absent without /proc. */
  gatewayCpuMsByThread?: ThreadCpuSeconds;
  failures: Failures;
  /** The governed gateway: events its store gained during the measured runs against the requests sent in them. */
  audit?: { events: number; requests: number; met: boolean };
  /** This row ÷ the bare gateway's row of the same workload. */
  vsBare: { throughput: number; p50: number; p99: number };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function sumRecords(records: Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) total[k] = (total[k] ?? 0) + v;
  return total;
}

function combine(rows: RoundRow[], responseKB: number): Omit<Row, 'vsBare'> {
  const [first] = rows;
  const requests = sum(rows.map((r) => r.responses));
  const sent = sum(rows.map((r) => r.sent));
  const durationSec = sum(rows.map((r) => r.durationSec));
  const wallSec = sum(rows.map((r) => r.wallSec));
  const latencies = mergedLatencies(rows.map((r) => r.latencies));
  const sql = sumRecords(rows.map((r) => r.sqlStatements));
  const cpu = sumRecords(rows.map((r) => r.cpuSeconds));
  const waited = sumRecords(rows.map((r) => r.runQueueWaitSeconds));
  const peaks = rows.flatMap((r) => (r.peakRssMB === undefined ? [] : [r.peakRssMB]));
  const failures = sumRecords(rows.map((r) => ({ ...r.failures }))) as unknown as Failures;
  const events = rows.every((r) => r.auditEvents !== undefined) ? sum(rows.map((r) => r.auditEvents!)) : undefined;
  const threads = rows.every((r) => r.gatewayThreadSeconds) ? sumRecords(rows.map((r) => ({ ...r.gatewayThreadSeconds! }))) : undefined;
  const requestsPerSec = durationSec > 0 ? requests / durationSec : 0;
  // As gw ms/req (gw CPU% ÷ req/s), unrounded.
  const msPerRequest = (seconds: number) => (wallSec > 0 && requestsPerSec > 0 ? (1000 * seconds) / wallSec / requestsPerSec : NaN);
  return {
    gateway: first.gateway,
    workload: first.workload,
    rounds: rows.length,
    requests,
    sent,
    durationSec,
    requestsPerSec,
    roundRequestsPerSec: rows.map((r) => r.requestsPerSec),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    ...(peaks.length && { peakRssMB: Math.max(...peaks) }),
    // Per request sent: the subgraphs also did the work of requests in flight at the end.
    sqlPerRequest: sent > 0 ? sum(Object.values(sql)) / sent : 0,
    sqlPerRequestBySubgraph: Object.fromEntries(Object.entries(sql).map(([k, v]) => [k, sent > 0 ? v / sent : 0])),
    responseKB,
    cpuPercent: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, wallSec > 0 ? Math.round((100 * v) / wallSec) : 0])),
    runQueueWaitMsPerRequest: Object.fromEntries(Object.entries(waited).map(([k, v]) => [k, msPerRequest(v)])),
    ...(threads && { gatewayCpuMsByThread: { eventLoop: msPerRequest(threads.eventLoop), auditThread: msPerRequest(threads.auditThread), helpers: msPerRequest(threads.helpers) } }),
    failures,
    ...(events !== undefined && { audit: { events, requests: sent, met: events === sent } }),
  };
}

/** The rounds of each gateway and workload combined, in workload then gateway order, with ratios to the bare gateway. */
export function aggregate(roundRows: RoundRow[], workloads: string[], gateways: readonly GatewayName[], responseKB: (gateway: GatewayName, workload: string) => number): Row[] {
  return workloads.flatMap((workload) => {
    const rows = gateways.flatMap((gateway) => {
      const mine = roundRows.filter((r) => r.gateway === gateway && r.workload === workload);
      return mine.length ? [combine(mine, responseKB(gateway, workload))] : [];
    });
    const bare = rows.find((r) => r.gateway === BARE);
    return rows.map((r) => ({
      ...r,
      vsBare: bare ? { throughput: r.requestsPerSec / bare.requestsPerSec, p50: r.p50Ms / bare.p50Ms, p99: r.p99Ms / bare.p99Ms } : { throughput: NaN, p50: NaN, p99: NaN },
    }));
  });
}
