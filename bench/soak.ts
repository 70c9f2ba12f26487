import { requestsFor, runLoad, type Failures } from './load';
import { rssGrowth, sampleRss } from './memory';
import type { Mesh } from './mesh';
import { GOVERNED, type Workload } from './workloads';

export interface SoakResult {
  workload: string;
  durationSec: number;
  requestsPerSec: number;
  p99Ms: number;
  /** Governed gateway VmRSS, the mean of 1-s readings over the first fifth of the run (minute 1 of the default 5) and over the last fifth (minute 5). */
  rssFirstMB?: number;
  rssLastMB?: number;
  /** The highest reading in each of those windows. */
  rssFirstPeakMB?: number;
  rssLastPeakMB?: number;
  /** rssLast ÷ rssFirst − 1. */
  growth?: number;
  failures: Failures;
  audit: { events: number; requests: number; met: boolean };
}

/** The soak reads the gateway's RSS this often. */
const SOAK_RSS_EVERY_MS = 1_000;

/**
 * Loads the governed gateway alone for `seconds` (default run: 300) and compares its RSS over
 * the first fifth of the run with the last fifth (see `rssGrowth`): growth past the first minute
 * points at a leak (caches without bounds, audit queue, per-request listeners), not at warm-up.
 */
export async function runSoak(
  mesh: Mesh,
  workload: Workload,
  settings: { seconds: number; connections: number; signal?: AbortSignal },
  onGoverned: (requests: number) => void,
): Promise<SoakResult> {
  const service = mesh.gateways[GOVERNED];
  const eventsBefore = (await mesh.auditStats(true)).events;
  const rss = sampleRss(service.pid, SOAK_RSS_EVERY_MS);
  const result = await runLoad({
    url: service.url,
    requests: requestsFor(workload, mesh.tokens.headersOf),
    connections: settings.connections,
    durationSec: settings.seconds,
    maxRequests: Number.MAX_SAFE_INTEGER,
    signal: settings.signal,
  }).finally(() => rss.stop());
  const durationMs = result.durationSec * 1000;
  const memory = rssGrowth(rss.samples(), durationMs, durationMs / 5);
  onGoverned(result.sent);
  await mesh.settle(GOVERNED);
  const events = (await mesh.auditStats(true)).events - eventsBefore;
  mesh.assertAlive(`the soak run`);
  return {
    workload: workload.name,
    durationSec: result.durationSec,
    requestsPerSec: result.requestsPerSec,
    p99Ms: result.p99Ms,
    ...(memory && {
      rssFirstMB: memory.firstMB,
      rssLastMB: memory.lastMB,
      rssFirstPeakMB: memory.firstPeakMB,
      rssLastPeakMB: memory.lastPeakMB,
      growth: memory.growth,
    }),
    failures: result.failures,
    audit: { events, requests: result.sent, met: events === result.sent },
  };
}
