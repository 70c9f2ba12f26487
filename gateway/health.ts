import { request } from 'undici';
import { ANONYMOUS } from '../shared/principal';
import { signSubgraphRequest, subgraphSecretFromEnv } from '../shared/signing';
import type { SupergraphSubgraph } from './supergraph';

export interface SubgraphHealth {
  name: string;
  up: boolean;
  latencyMs: number;
  /** Why the subgraph is considered down (connection error code or HTTP status); absent when up. */
  reason?: string;
}

export interface ProbeOptions {
  /**
   * The secret shared with the subgraphs (default `MESHGATE_SUBGRAPH_SECRET`). Probes are signed
   * like every other subgraph request, as ANONYMOUS, so "up" also means "accepts this gateway's
   * signatures": a subgraph with a different secret is reported down (HTTP 401).
   */
  secret?: string;
}

const PROBE_BODY = '{"query":"{ __typename }"}';

/**
 * Whether a subgraph answers GraphQL at its routing URL. Any federation subgraph answers
 * `{ __typename }`, ours or not, so readiness needs no Meshgate-specific endpoint.
 */
export async function probeSubgraph(subgraph: SupergraphSubgraph, timeoutMs = 2_000, options: ProbeOptions = {}): Promise<SubgraphHealth> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const secret = options.secret ?? subgraphSecretFromEnv();
  try {
    const res = await request(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret ? signSubgraphRequest({ body: PROBE_BODY, principal: ANONYMOUS, secret }) : {}) },
      body: PROBE_BODY,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const body = (await res.body.json()) as { data?: { __typename?: string }; errors?: { extensions?: { code?: unknown } }[] };
    if (res.statusCode !== 200 || body?.data?.__typename !== 'Query') {
      // A refused signature names its code (e.g. "HTTP 401 SIGNATURE_INVALID": secrets differ).
      const code = body?.errors?.[0]?.extensions?.code;
      return { name: subgraph.name, up: false, latencyMs: elapsed(), reason: `HTTP ${res.statusCode}${typeof code === 'string' ? ` ${code}` : ''}` };
    }
    return { name: subgraph.name, up: true, latencyMs: elapsed() };
  } catch (err) {
    const reason = (err as { code?: string }).code ?? 'unreachable';
    return { name: subgraph.name, up: false, latencyMs: elapsed(), reason };
  }
}

/** How long the gateway's `GET /health` reuses one round of probes (see `cachedProbe`). */
export const HEALTH_CACHE_MS = 2_000;

/**
 * `probe`, its result reused for `ttlMs` after it settles, and one probe at a time: `GET /health`
 * is public behind the load balancer, and must not turn each request into a call to every subgraph.
 */
export function cachedProbe(probe: () => Promise<SubgraphHealth[]>, ttlMs = HEALTH_CACHE_MS): () => Promise<SubgraphHealth[]> {
  let cached: { result: Promise<SubgraphHealth[]>; until: number } | undefined;
  return () => {
    if (cached && performance.now() < cached.until) return cached.result;
    const entry = { result: probe(), until: Infinity }; // shared while in flight
    cached = entry;
    entry.result.then(
      () => (entry.until = performance.now() + ttlMs),
      () => cached === entry && (cached = undefined),
    );
    return entry.result;
  };
}

export async function probeSubgraphs(subgraphs: SupergraphSubgraph[], timeoutMs?: number, options?: ProbeOptions): Promise<SubgraphHealth[]> {
  return Promise.all(subgraphs.map((s) => probeSubgraph(s, timeoutMs, options)));
}
