import { GraphQLError } from 'graphql';

export type SubgraphFailureCode = 'SUBGRAPH_TIMEOUT' | 'SUBGRAPH_UNAVAILABLE';

export interface SubgraphFailure {
  code: SubgraphFailureCode;
  /** For the log only (it may name hosts, ports and statuses): `ECONNREFUSED`, `HTTP 502`, `timeout`. */
  reason: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/**
 * What went wrong with a subgraph call, from whatever the fetcher or RemoteGraphQLDataSource
 * threw: a timeout (our deadline's `TimeoutError`, or undici's own timeouts), or anything else
 * (connection refused or reset, a non-2xx status, a body that is not JSON).
 */
export function classifySubgraphFailure(error: unknown): SubgraphFailure {
  const err = error as { name?: string; code?: unknown; message?: string; extensions?: { response?: { status?: number; body?: any } }; cause?: any };
  const code = typeof err?.code === 'string' ? err.code : typeof err?.cause?.code === 'string' ? err.cause.code : undefined;
  if (err?.name === 'TimeoutError' || err?.cause?.name === 'TimeoutError' || (code && TIMEOUT_CODES.has(code))) {
    return { code: 'SUBGRAPH_TIMEOUT', reason: code && TIMEOUT_CODES.has(code) ? code : 'timeout' };
  }
  const status = err?.extensions?.response?.status;
  if (typeof status === 'number') {
    // A refused signature names its code (HTTP 401 SIGNATURE_INVALID: the secrets differ).
    const bodyCode = err.extensions!.response!.body?.errors?.[0]?.extensions?.code;
    return { code: 'SUBGRAPH_UNAVAILABLE', reason: `HTTP ${status}${typeof bodyCode === 'string' ? ` ${bodyCode}` : ''}` };
  }
  return { code: 'SUBGRAPH_UNAVAILABLE', reason: code ?? err?.name ?? 'unknown' };
}

/**
 * The error the caller sees: the data product by name and a stable code, never the underlying
 * message (a bare gateway forwards `connect ECONNREFUSED 10.0.3.7:4002` and the subgraph's URL).
 * The request id finds the details in the gateway's log.
 */
export function subgraphFailureError(subgraph: string, failure: SubgraphFailure, requestId: string | undefined): GraphQLError {
  const what = failure.code === 'SUBGRAPH_TIMEOUT' ? 'did not answer in time' : 'is unavailable';
  return new GraphQLError(`data product "${subgraph}" ${what}; the fields it owns are missing from the result`, {
    extensions: { code: failure.code, serviceName: subgraph, ...(requestId && { requestId }) },
  });
}
