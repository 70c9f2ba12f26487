import autocannon from 'autocannon';
import type { Workload } from './workloads';

/** One entry of autocannon's `requests[]`: a fixed body, headers asked for each time it is sent. */
export interface LoadRequest {
  body: string;
  headers: () => Record<string, string>;
}

export interface LoadOptions {
  /** A GraphQL endpoint on 127.0.0.1. */
  url: string;
  /** Each connection sends these in turn, over and over. */
  requests: LoadRequest[];
  connections: number;
  durationSec: number;
  /** The run also ends after this many requests (at least `connections`). */
  maxRequests: number;
  signal?: AbortSignal;
}

export interface LoadResult {
  /** Responses received. */
  responses: number;
  /** Requests sent, including those still in flight when the run ended. */
  sent: number;
  durationSec: number;
  requestsPerSec: number;
  /** Every response's latency in ms, sorted: rounds of a row are merged before taking percentiles. */
  latencies: Float64Array;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts (no response within 10 s), non-2xx statuses, 2xx bodies carrying GraphQL errors. */
  failures: Failures;
}

export interface Failures {
  errors: number;
  timeouts: number;
  non2xx: number;
  graphqlErrors: number;
}

export function graphqlBody(query: string): string {
  return JSON.stringify({ query });
}

/** A workload's steps as autocannon requests: each step's callers' headers in turn, one per request. */
export function requestsFor(workload: Workload, headersOf: (principal: string) => Record<string, string>): LoadRequest[] {
  return workload.steps.map((step) => {
    const rotation = step.principals.map(headersOf);
    let next = 0;
    return { body: graphqlBody(step.operation.query), headers: () => rotation[next++ % rotation.length] };
  });
}

export function assertLoopback(url: string): void {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`refusing to send benchmark traffic to ${url}: 127.0.0.1 only`);
}

/** Failed responses of any kind: errors, timeouts, non-2xx, GraphQL errors. */
export function failedResponses(failures: Failures): number {
  return failures.errors + failures.timeouts + failures.non2xx + failures.graphqlErrors;
}

/** Several runs' latencies as one sorted array, for percentiles over all of them. */
export function mergedLatencies(parts: Float64Array[]): Float64Array {
  const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all.sort();
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Runs autocannon against one endpoint until the duration or the request cap is reached, with a
 * hard stop shortly after the duration should autocannon overrun. Latency percentiles come from
 * every response's own timing (autocannon's histogram rounds to whole ms).
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  assertLoopback(options.url);
  if (options.signal?.aborted) return Promise.reject(new Error('benchmark aborted'));
  const latencies: number[] = [];
  return new Promise<LoadResult>((resolve, reject) => {
    let hardStop: NodeJS.Timeout | undefined;
    const onAbort = () => instance.stop();
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // autocannon builds a `requests[]` entry once unless it has setupRequest, and then hands
        // setupRequest the shared entry: return a new object, never mutate the one given.
        requests: options.requests.map((r) => ({
          method: 'POST' as const,
          body: r.body,
          setupRequest: (request: { headers?: Record<string, string> }) => ({ ...request, headers: { ...request.headers, ...r.headers() } }),
        })),
        connections: options.connections,
        duration: options.durationSec,
        maxOverallRequests: Math.max(options.maxRequests, options.connections),
        // A 2xx GraphQL response can still carry errors: count those as mismatches.
        verifyBody: (body) => !body.includes('"errors":'),
      },
      (err, result) => {
        clearTimeout(hardStop);
        options.signal?.removeEventListener('abort', onAbort);
        if (options.signal?.aborted) return reject(new Error('benchmark aborted'));
        if (err) return reject(err);
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          responses: latencies.length,
          sent: result.requests.sent,
          durationSec: result.duration,
          requestsPerSec: result.duration > 0 ? latencies.length / result.duration : 0,
          latencies: sorted,
          p50Ms: percentile(sorted, 50),
          p99Ms: percentile(sorted, 99),
          // autocannon counts timeouts among its errors too.
          failures: { errors: result.errors - result.timeouts, timeouts: result.timeouts, non2xx: result.non2xx, graphqlErrors: result.mismatches },
        });
      },
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => latencies.push(responseTimeMs));
    hardStop = setTimeout(() => instance.stop(), options.durationSec * 1000 + 5_000);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface Probe {
  status: number;
  bytes: number;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } | undefined;
}

/** One request, to check a workload before loading it. */
export async function probe(url: string, body: string, headers: Record<string, string> = {}): Promise<Probe> {
  assertLoopback(url);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: Probe['body'];
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, bytes: Buffer.byteLength(text), body: parsed };
}
