import type { Fetcher, FetcherHeaders, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { Agent, type Dispatcher } from 'undici';
import { LruMap } from '../shared/lru-map';

/**
 * A response's headers (lower-case names; repeated ones joined with ", "), read-only: Apollo's
 * data source reads `content-type` (cache hints are ignored, see shared/http.ts `NO_STORE`).
 * Building a WHATWG `Headers` per call validated every name and value again, for nothing.
 */
class ResponseHeaders implements FetcherHeaders {
  private readonly map = new Map<string, string>();
  /** `raw`: name, value, name, value… as undici hands them over (latin1, as HTTP/1.1 sends them). */
  constructor(raw: readonly (Buffer | string)[]) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i].toString('latin1').toLowerCase();
      const value = raw[i + 1].toString('latin1');
      const seen = this.map.get(name);
      this.map.set(name, seen === undefined ? value : `${seen}, ${value}`);
    }
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  entries() {
    return this.map.entries();
  }
  keys() {
    return this.map.keys();
  }
  values() {
    return this.map.values();
  }
  [Symbol.iterator]() {
    return this.map.entries();
  }
  append(): never {
    throw new TypeError('subgraph response headers are read-only');
  }
  set(): never {
    throw new TypeError('subgraph response headers are read-only');
  }
  delete(): never {
    throw new TypeError('subgraph response headers are read-only');
  }
}

/** The body text of a response from `createSubgraphFetcher`'s fetcher; undefined for any other. */
export function bodyTextOf(response: unknown): string | undefined {
  return response instanceof SubgraphResponse ? response.bodyText : undefined;
}

/** The minimal fetch-style response `RemoteGraphQLDataSource` reads: status, headers, body. */
class SubgraphResponse implements FetcherResponse {
  readonly redirected = false;
  bodyUsed = false;
  constructor(
    readonly url: string,
    readonly status: number,
    readonly headers: FetcherHeaders,
    readonly bodyText: string,
  ) {}
  get ok() {
    return this.status >= 200 && this.status < 300;
  }
  get statusText() {
    return String(this.status);
  }
  async text() {
    this.bodyUsed = true;
    return this.bodyText;
  }
  async json() {
    this.bodyUsed = true;
    return JSON.parse(this.bodyText);
  }
  async arrayBuffer() {
    this.bodyUsed = true;
    const bytes = Buffer.from(this.bodyText);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  clone(): FetcherResponse {
    return new SubgraphResponse(this.url, this.status, this.headers, this.bodyText);
  }
}

/** A subgraph call's deadline unless `meshgate.subgraphs` says otherwise. */
export const DEFAULT_SUBGRAPH_TIMEOUT_MS = 30_000;

export interface SubgraphFetcherOptions {
  /** Longest wait for a subgraph's response headers and between body chunks (default 30 s). */
  timeoutMs?: number;
  /** Keep-alive connections per subgraph origin (default 128). */
  connections?: number;
}

const timeoutError = (timeoutMs: number) => new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError');

/** A fetcher that keeps a whole-exchange deadline itself, without an AbortController per call (see `withDeadline`). */
const WITH_DEADLINE = Symbol('meshgate.fetcher.withDeadline');
type DeadlineFetcher = Fetcher & { [WITH_DEADLINE]?: (timeoutMs: number) => Fetcher };

/**
 * A fetcher for subgraph calls over undici with keep-alive connections: measured 1.4–2.1× the
 * throughput of the gateway's default fetcher on a heavy federated query (FIELD-NOTES.md).
 * It dispatches on the agent with a handler that collects the body, not through undici's
 * `request`, which built a Readable stream, an async resource and a promise chain per call only
 * to read a few KB whole: a call with a 1 KB answer cost 163 µs against 107 (client and server
 * in one process), and governed `small` 1.52 against 1.39 ms of gateway CPU per request.
 */
export function createSubgraphFetcher(options: SubgraphFetcherOptions = {}): { fetcher: Fetcher; close(): Promise<void> } {
  const timeout = options.timeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS;
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: options.connections ?? 128 });
  // The gateway calls a handful of routing URLs over and over: parse each once.
  const targets = new LruMap<string, { origin: string; path: string }>(256);
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      targets.set(url, (target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` }));
    }
    return target;
  };

  /** One call; `deadlineMs` bounds the whole exchange (connect, headers, body). */
  const call = (url: string, init: FetcherRequestInit, deadlineMs?: number) =>
    new Promise<FetcherResponse>((resolve, reject) => {
      const signal = init.signal as AbortSignal | undefined;
      if (signal?.aborted) return reject(signal.reason);
      const chunks: Buffer[] = [];
      let status = 0;
      let headers: ResponseHeaders | undefined;
      /** undici's abort for this call, once it has a connection; the reason to abort with, if it came first. */
      let abort: ((reason: Error) => void) | undefined;
      let stopWith: Error | undefined;
      let settled = false;
      const finish = () => {
        settled = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      // Settles at once (a call still waiting for a connection is aborted when it gets one).
      const stop = (reason: Error) => {
        if (settled) return;
        finish();
        stopWith = reason;
        abort?.(reason);
        reject(reason);
      };
      const onAbort = () => stop(signal!.reason);
      const timer = deadlineMs === undefined ? undefined : setTimeout(() => stop(timeoutError(deadlineMs)), deadlineMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      const { origin, path } = targetOf(url);
      const handler: Dispatcher.DispatchHandler = {
        onConnect(abortCall) {
          if (stopWith) abortCall(stopWith);
          else abort = abortCall;
        },
        onHeaders(statusCode, rawHeaders) {
          // 1xx informational answers precede the real one.
          if (statusCode >= 200) {
            status = statusCode;
            headers = new ResponseHeaders(rawHeaders as unknown as Buffer[]);
          }
          return true;
        },
        onData(chunk) {
          chunks.push(chunk);
          return true;
        },
        onComplete() {
          if (settled) return;
          finish();
          const body = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
          resolve(new SubgraphResponse(url, status, headers ?? new ResponseHeaders([]), body));
        },
        onError(err) {
          if (settled) return;
          finish();
          reject(err);
        },
      };
      agent.dispatch(
        { origin, path, method: (init.method ?? 'GET') as Dispatcher.HttpMethod, headers: init.headers, body: init.body, headersTimeout: timeout, bodyTimeout: timeout },
        handler,
      );
    });

  const fetcher: DeadlineFetcher = (url: string, init: FetcherRequestInit = {}) => call(url, init);
  fetcher[WITH_DEADLINE] = (timeoutMs) => ((url: string, init: FetcherRequestInit = {}) => call(url, init, timeoutMs)) as Fetcher;
  return { fetcher: fetcher as Fetcher, close: () => agent.close() };
}

/**
 * Gives every call a deadline for the whole exchange (connect, headers and body): undici's own
 * timeouts restart per phase and per chunk, so a subgraph that trickles could hold a request forever.
 * The fetch rejects with a `TimeoutError` and its connection is released.
 * `createSubgraphFetcher`'s fetcher keeps the deadline itself; any other gets an AbortController
 * per call, whose timer is cleared when the call settles (`AbortSignal.timeout` kept every call's
 * signal and timer alive for the whole timeout, 30 s).
 */
export function withDeadline(fetcher: Fetcher, timeoutMs: number): Fetcher {
  const own = (fetcher as DeadlineFetcher)[WITH_DEADLINE];
  if (own) return own(timeoutMs);
  return (async (url: string, init: FetcherRequestInit = {}) => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(timeoutError(timeoutMs)), timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal as AbortSignal, deadline.signal]) : deadline.signal;
    try {
      return await fetcher(url, { ...init, signal });
    } finally {
      clearTimeout(timer);
    }
  }) as Fetcher;
}
