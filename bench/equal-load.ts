import type { Row } from './aggregate';
import { failedResponses, mergedLatencies, percentile, requestsFor } from './load';
import type { Mesh } from './mesh';
import { runPaced } from './paced';
import { BARE, GOVERNED, type Workload } from './workloads';

/** Default share of bare's saturated req/s at which both gateways are loaded (`--equal-load`). */
export const EQUAL_LOAD_SHARE = 0.5;

/** One gateway's latencies at the shared rate, all rounds together. */
export interface EqualLoadLatency {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
}

/** One workload sent to bare and governed at the same open-loop rate. */
export interface EqualLoadRow {
  workload: string;
  ratePerSec: number;
  bare: EqualLoadLatency;
  governed: EqualLoadLatency;
  /** governed p99 ÷ bare p99. */
  p99Ratio: number;
}

export interface EqualLoadSettings {
  /** Share of bare's saturated req/s (from the rounds) to send to both. */
  share: number;
  rounds: number;
  durationSec: number;
  /** Cap on requests per run, as for the rounds. */
  maxRequests: number;
  signal?: AbortSignal;
}

/** Connections the open-loop client may open: enough that a slow spell queues at the gateway, not in the client. */
const CONNECTIONS = 64;

/**
 * Latency at the same load: each workload goes to bare and to governed at `share` × bare's
 * saturated req/s, open loop (`paced.ts`), in alternating order per round. Under saturation a
 * closed loop's latency mostly restates throughput; this is what a caller sees below it.
 */
export async function measureEqualLoad(mesh: Mesh, workloads: Workload[], rows: Row[], settings: EqualLoadSettings, onGoverned: (requests: number) => void): Promise<EqualLoadRow[]> {
  const out: EqualLoadRow[] = [];
  for (const workload of workloads) {
    const bareRow = rows.find((r) => r.gateway === BARE && r.workload === workload.name);
    if (!bareRow || !(bareRow.requestsPerSec > 0)) continue;
    const ratePerSec = settings.share * bareRow.requestsPerSec;
    const latencies = { [BARE]: [] as Float64Array[], [GOVERNED]: [] as Float64Array[] };
    const failed = { [BARE]: 0, [GOVERNED]: 0 };
    for (let round = 0; round < settings.rounds; round++) {
      const order: (typeof BARE | typeof GOVERNED)[] = round % 2 === 0 ? [BARE, GOVERNED] : [GOVERNED, BARE];
      for (const gateway of order) {
        await mesh.settle(gateway);
        const result = await runPaced({
          url: mesh.gateways[gateway].url,
          requests: requestsFor(workload, mesh.tokens.headersOf),
          ratePerSec,
          durationSec: settings.durationSec,
          maxRequests: settings.maxRequests,
          connections: CONNECTIONS,
          signal: settings.signal,
        });
        if (gateway === GOVERNED) onGoverned(result.sent);
        latencies[gateway].push(result.latencies);
        failed[gateway] += failedResponses(result.failures);
        mesh.assertAlive(`${workload.name} via ${gateway} at ${ratePerSec.toFixed(0)} req/s`);
      }
    }
    const summary = (gateway: typeof BARE | typeof GOVERNED): EqualLoadLatency => {
      const all = mergedLatencies(latencies[gateway]);
      return { requests: all.length, p50Ms: percentile(all, 50), p99Ms: percentile(all, 99), failed: failed[gateway] };
    };
    const bare = summary(BARE);
    const governed = summary(GOVERNED);
    out.push({ workload: workload.name, ratePerSec, bare, governed, p99Ratio: governed.p99Ms / bare.p99Ms });
  }
  return out;
}
