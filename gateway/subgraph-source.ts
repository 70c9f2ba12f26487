import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import type { Logger } from '../shared/logger';
import { ANONYMOUS, type Principal } from '../shared/principal';
import { assertUsableSecret, encodePrincipal, SIGNATURE_HEADERS, signEncoded } from '../shared/signing';
import { dedupeRepresentations, expandEntities } from './entity-dedup';
import { DEFAULT_SUBGRAPH_TIMEOUT_MS, withDeadline } from './fetcher';
import { InflightFetches, inflightKey } from './inflight-dedup';
import { tracedFetcher, tracingEnabled } from './observability/tracing';
import type { GatewayContext } from './plugins/types';
import { classifySubgraphFailure, subgraphFailureError, type SubgraphFailure } from './subgraph-failure';

/**
 * Signs what the fetcher is about to send: the body exactly as given (RemoteGraphQLDataSource
 * serialises the request once, in `sendRequest`, and hands that string to the fetcher) and the
 * principal header as set. Fresh timestamp and nonce on every call; a request without a
 * principal header goes out as ANONYMOUS.
 */
export function signingFetcher(fetcher: Fetcher, secret: string): Fetcher {
  assertUsableSecret(secret);
  return (url: string, init: FetcherRequestInit = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const principal = headers[SIGNATURE_HEADERS.principal] ?? encodePrincipal(ANONYMOUS);
    const signed = signEncoded({ body: init.body ?? '', principal, secret });
    return fetcher(url, { ...init, headers: { ...headers, ...signed } });
  };
}

/** What one subgraph call came to, for metrics: how long it took and, if it failed, how. */
export interface SubgraphFetchResult {
  subgraph: string;
  durationMs: number;
  /** Absent when the subgraph answered 2xx (GraphQL errors in its body are its own business). */
  failure?: SubgraphFailure;
}

/**
 * A subgraph data source whose failures reach the caller as SUBGRAPH_UNAVAILABLE or
 * SUBGRAPH_TIMEOUT naming the data product; what actually happened goes to the log with the
 * request id. The rest of the query plan still runs: the caller gets partial data.
 */
export class SubgraphSource extends RemoteGraphQLDataSource<GatewayContext> {
  // Set by RemoteGraphQLDataSource's constructor (Object.assign of the config): declared, not initialised.
  declare readonly name: string;
  declare readonly logger: Logger;
  /** Identical query fetches in flight share one call (inflight-dedup.ts); absent when switched off. */
  declare readonly inflight?: InflightFetches<Awaited<ReturnType<RemoteGraphQLDataSource['process']>>>;

  constructor(config: Partial<RemoteGraphQLDataSource<GatewayContext>> & { name: string; logger: Logger; inflight?: SubgraphSource['inflight'] }) {
    super(config);
  }

  /**
   * Entity fetches send each distinct representation once (entity-dedup.ts); identical fetches in
   * flight then share one call (inflight-dedup.ts), keyed on the distinct representations.
   */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const representations = options.request.variables?.representations;
    const deduped = Array.isArray(representations) && representations.length > 1 ? dedupeRepresentations(representations) : undefined;
    if (!deduped || deduped.unique.length === representations.length) return this.send(options);
    const request = { ...options.request, variables: { ...options.request.variables, representations: deduped.unique } };
    return expandEntities(await this.send({ ...options, request }), deduped);
  }

  private send(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const key = this.inflight && inflightKey(options);
    return key ? this.inflight!.run(key, () => super.process(options)) : super.process(options);
  }

  override didEncounterError(error: Error, _req: unknown, _res: unknown, context?: GatewayContext): void {
    const failure = classifySubgraphFailure(error);
    const requestId = (context as Partial<GatewayContext> | undefined)?.requestId;
    this.logger.warn({ requestId, subgraph: this.name, code: failure.code, reason: failure.reason, err: error.message }, 'subgraph call failed');
    throw subgraphFailureError(this.name, failure, requestId);
  }
}

type SubgraphRequest = GraphQLDataSourceProcessOptions<GatewayContext>['request'];
type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/**
 * RemoteGraphQLDataSource's `sendRequest` (private in its types) as @apollo/gateway 2.14 has it,
 * less the node-fetch `Request` it built on every call only to pass to `didEncounterError`, which
 * ours ignores: 2.3% of the governed gateway's CPU on the benchmark's `small` workload.
 * test/integration/subgraph-fetch.test.ts fails if an upgrade renames what this replaces.
 */
async function sendRequest(this: SubgraphSource, request: SubgraphRequest, context: GatewayContext): Promise<SubgraphResponse> {
  const { http, ...withoutHttp } = request;
  if (!http) throw new Error("Internal error: Only 'http' requests are supported.");
  const init = { method: http.method, headers: Object.fromEntries(http.headers), body: JSON.stringify(withoutHttp) };
  let response: FetcherResponse | undefined;
  try {
    response = await this.fetcher(http.url, init);
    if (!response.ok) throw await this.errorFromResponse(response);
    const body = await this.parseBody(response);
    if (typeof body !== 'object' || body === null) throw new Error(`Expected JSON response body, but received: ${body}`);
    return { ...body, http: response } as SubgraphResponse;
  } catch (error) {
    this.didEncounterError(error as Error, undefined, response, context);
    throw error;
  }
}
if (!Object.prototype.hasOwnProperty.call(RemoteGraphQLDataSource.prototype, 'sendRequest')) {
  throw new Error('@apollo/gateway: RemoteGraphQLDataSource.prototype.sendRequest is gone; gateway/subgraph-source.ts replaces it');
}
Object.defineProperty(SubgraphSource.prototype, 'sendRequest', { value: sendRequest, writable: true, configurable: true });

/** A subgraph data source that forwards the gateway context's principal, signed by its fetcher. */
export class SignedSubgraphSource extends SubgraphSource {
  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Health checks and schema loads carry no gateway context: they go out as ANONYMOUS.
    const principal = (options.context as Partial<GatewayContext> | undefined)?.principal ?? ANONYMOUS;
    options.request.http!.headers.set(SIGNATURE_HEADERS.principal, encodePrincipal(principal as Principal));
  }
}

/** Reports each call's duration and failure (if any) to `onFetch`. */
function observedFetcher(fetcher: Fetcher, subgraph: string, onFetch: (result: SubgraphFetchResult) => void): Fetcher {
  return (async (url: string, init?: FetcherRequestInit) => {
    const started = performance.now();
    const report = (failure?: SubgraphFailure) => onFetch({ subgraph, durationMs: performance.now() - started, failure });
    try {
      const res = await fetcher(url, init);
      report(res.ok ? undefined : { code: 'SUBGRAPH_UNAVAILABLE', reason: `HTTP ${res.status}` });
      return res;
    } catch (err) {
      report(classifySubgraphFailure(err));
      throw err;
    }
  }) as Fetcher;
}

export interface SubgraphSourceOptions {
  /** The subgraph's (data product's) name, as callers see it in errors. */
  name: string;
  /** The subgraph's routing URL (optional only as in Apollo's `buildService` definition). */
  url?: string;
  fetcher: Fetcher;
  /** The secret shared with the subgraphs; without one, requests go out unsigned and without a principal. */
  secret?: string;
  /** Longest a call to this subgraph may take, connect to last byte (default 30 s). */
  timeoutMs?: number;
  /** Called after every call with its duration and outcome (metrics). */
  onFetch?: (result: SubgraphFetchResult) => void;
  /** Identical query fetches of one principal in flight share one call (default true). */
  dedupeInflight?: boolean;
  /** Called for each fetch that joined an identical one in flight (metrics). */
  onSharedFetch?: (subgraph: string) => void;
  logger: Logger;
}

/**
 * The data source for one subgraph: a deadline per call, failures rewritten for the caller,
 * a span per call with W3C trace context when tracing is on, signed with the forwarded
 * principal when a secret is given.
 */
export function createSubgraphSource(options: SubgraphSourceOptions): SubgraphSource {
  const { name, url, secret, logger } = options;
  let fetcher = withDeadline(options.fetcher, options.timeoutMs ?? DEFAULT_SUBGRAPH_TIMEOUT_MS);
  if (options.onFetch) fetcher = observedFetcher(fetcher, name, options.onFetch);
  if (tracingEnabled()) fetcher = tracedFetcher(fetcher, name);
  const onJoin = options.onSharedFetch && (() => options.onSharedFetch!(name));
  const inflight = options.dedupeInflight === false ? undefined : new InflightFetches<SubgraphResponse>(onJoin);
  // Cache hints are the subgraph's view of its data, not of who may see the governed response (server.ts).
  const honorSubgraphCacheControlHeader = false;
  if (!secret) return new SubgraphSource({ name, url, fetcher, logger, inflight, honorSubgraphCacheControlHeader });
  return new SignedSubgraphSource({ name, url, fetcher: signingFetcher(fetcher, secret), logger, inflight, honorSubgraphCacheControlHeader });
}
