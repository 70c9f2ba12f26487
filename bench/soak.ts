import { requestsFor, runLoad, type Failures } from './load';
import { residentMB } from './memory';
import type { Mesh } from './mesh';
import { GOVERNED, type Workload } from './workloads';

export interface SoakResult {
  workload: string;
  durationSec: number;
  requestsPerSec: number;
  p99Ms: number;
  /** Governed gateway VmRSS after the first fifth of the run (minute 1 of the default 5) and at its end. */
  rssFirstMB?: number;
  rssLastMB?: number;
  /** rssLast ÷ rssFirst − 1. */
  growth?: number;
  failures: Failures;
  audit: { events: number; requests: number; met: boolean };
}

/**
 * Loads the governed gateway alone for `seconds` (default run: 300) and reads its RSS at one
 * fifth of the run and at the end: growth past the first minute points at a leak (caches
 * without bounds, audit queue, per-request listeners), not at warm-up.
 */
export async function runSoak(
  mesh: Mesh,
  workload: Workload,
  settings: { seconds: number; connections: number; signal?: AbortSignal },
  onGoverned: (requests: number) => void,
): Promise<SoakResult> {
  const service = mesh.gateways[GOVERNED];
  const eventsBefore = (await mesh.auditStats(true)).events;
  let rssFirstMB: number | undefined;
  const firstReading = setTimeout(() => (rssFirstMB = residentMB(service.pid)), (settings.seconds * 1000) / 5);
  const result = await runLoad({
    url: service.url,
    requests: requestsFor(workload, mesh.tokens.headersOf),
    connections: settings.connections,
    durationSec: settings.seconds,
    maxRequests: Number.MAX_SAFE_INTEGER,
    signal: settings.signal,
  }).finally(() => clearTimeout(firstReading));
  const rssLastMB = residentMB(service.pid);
  onGoverned(result.sent);
  await mesh.settle(GOVERNED);
  const events = (await mesh.auditStats(true)).events - eventsBefore;
  mesh.assertAlive(`the soak run`);
  return {
    workload: workload.name,
    durationSec: result.durationSec,
    requestsPerSec: result.requestsPerSec,
    p99Ms: result.p99Ms,
    ...(rssFirstMB !== undefined && { rssFirstMB }),
    ...(rssLastMB !== undefined && { rssLastMB }),
    ...(rssFirstMB !== undefined && rssLastMB !== undefined && { growth: rssLastMB / rssFirstMB - 1 }),
    failures: result.failures,
    audit: { events, requests: result.sent, met: events === result.sent },
  };
}
