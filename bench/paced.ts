import { Pool } from 'undici';
import { assertLoopback, percentile, type Failures, type LoadRequest } from './load';

export interface PacedOptions {
  /** A GraphQL endpoint on 127.0.0.1. */
  url: string;
  /** Sent in turn, one per due time. */
  requests: LoadRequest[];
  ratePerSec: number;
  durationSec: number;
  /** At most this many requests (the run then ends early). */
  maxRequests?: number;
  /** Connections to the gateway; more requests due at once wait in the pool's queue (and that wait counts). */
  connections: number;
  signal?: AbortSignal;
}

export interface PacedResult {
  /** Requests sent (all that fell due within the duration). */
  sent: number;
  responses: number;
  /** Every response's latency in ms from when it was due, sorted. */
  latencies: Float64Array;
  p50Ms: number;
  p99Ms: number;
  failures: Failures;
}

/** A request still unanswered this long after the run is counted as a timeout. */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Open-loop load: request i falls due at start + i ÷ rate, whatever became of the earlier ones, and
 * its latency counts from when it fell due. A closed loop (autocannon's connections each waiting for
 * their answer) sends less when the gateway slows, so at saturation its latencies follow throughput
 * (p50 ≈ connections ÷ req/s); and autocannon's own rate limit sends each second's quota in a burst.
 * Here every gateway gets the same arrivals, so the latencies compare the gateways at the same load.
 */
export async function runPaced(options: PacedOptions): Promise<PacedResult> {
  assertLoopback(options.url);
  if (!(options.ratePerSec > 0)) throw new Error(`paced load needs a positive rate, got ${options.ratePerSec}`);
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.connections, keepAliveTimeout: 30_000 });
  const total = Math.max(1, Math.min(Math.floor(options.ratePerSec * options.durationSec), options.maxRequests ?? Infinity));
  const latencies: number[] = [];
  const failures: Failures = { errors: 0, timeouts: 0, non2xx: 0, graphqlErrors: 0 };
  const inFlight = new Set<Promise<void>>();
  const send = (i: number, due: number) => {
    const request = options.requests[i % options.requests.length];
    const call = pool
      .request({
        path: url.pathname + url.search,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...request.headers() },
        body: request.body,
        headersTimeout: DRAIN_TIMEOUT_MS,
        bodyTimeout: DRAIN_TIMEOUT_MS,
      })
      .then(async (res) => {
        const body = await res.body.text();
        if (res.statusCode < 200 || res.statusCode >= 300) failures.non2xx++;
        else if (body.includes('"errors":')) failures.graphqlErrors++;
        else latencies.push(performance.now() - due);
      })
      .catch((err: { code?: string }) => {
        if (err?.code === 'UND_ERR_HEADERS_TIMEOUT' || err?.code === 'UND_ERR_BODY_TIMEOUT') failures.timeouts++;
        else failures.errors++;
      })
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
  };

  const start = performance.now();
  const interval = 1000 / options.ratePerSec;
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const tick = () => {
        if (options.signal?.aborted) return reject(new Error('benchmark aborted'));
        const now = performance.now();
        // Everything due by now goes out now (timers fire late, never early), each timed from its due time.
        while (next < total && start + next * interval <= now) send(next, start + next * interval), next++;
        if (next >= total) return resolve();
        setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
      };
      tick();
    });
    await Promise.all(inFlight);
  } finally {
    await pool.destroy();
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    sent: total,
    responses: latencies.length,
    latencies: sorted,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    failures,
  };
}
