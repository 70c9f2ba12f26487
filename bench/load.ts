import autocannon from 'autocannon';

export interface LoadOptions {
  /** A GraphQL endpoint on 127.0.0.1. */
  url: string;
  query: string;
  connections: number;
  durationSec: number;
  /** The run also ends after this many requests (at least `connections`). */
  maxRequests: number;
  signal?: AbortSignal;
  /**
   * Headers for each request, called once per request with its body: a subgraph signature (fresh
   * nonce each; subgraphs execute only signed requests) or the next caller's bearer token.
   */
  headers?: RequestHeaders;
}

export type RequestHeaders = (body: string) => Record<string, string>;

export interface LoadResult {
  /** Responses received. */
  responses: number;
  /** Requests sent, including those still in flight when the run ended. */
  sent: number;
  durationSec: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts (no response within 10 s), non-2xx statuses, 2xx bodies carrying GraphQL errors. */
  failures: { errors: number; timeouts: number; non2xx: number; graphqlErrors: number };
}

export function graphqlBody(query: string): string {
  return JSON.stringify({ query });
}

export function assertLoopback(url: string): void {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`refusing to send benchmark traffic to ${url}: 127.0.0.1 only`);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Runs autocannon against one endpoint until the duration or the request cap is reached, with a
 * hard stop shortly after the duration should autocannon overrun. Latency percentiles are
 * computed from every response's own timing (autocannon's histogram rounds to whole ms).
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
        body: graphqlBody(options.query),
        // autocannon rebuilds a request only when its `requests` entry has setupRequest: fresh headers each.
        ...(options.headers && {
          requests: [
            {
              setupRequest: (request: { headers?: Record<string, string>; body?: string }) => ({
                ...request,
                headers: { ...request.headers, ...options.headers!(request.body ?? '') },
              }),
            },
          ],
        }),
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
  body: { data?: any; errors?: { message: string }[] } | undefined;
}

/** One request, to check a workload before loading it. */
export async function probe(url: string, query: string, headers?: RequestHeaders): Promise<Probe> {
  assertLoopback(url);
  const request = graphqlBody(query);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers?.(request) },
    body: request,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let body: Probe['body'];
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, bytes: Buffer.byteLength(text), body };
}
