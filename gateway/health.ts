import { request } from 'undici';
import type { SupergraphSubgraph } from './supergraph';

export interface SubgraphHealth {
  name: string;
  up: boolean;
  latencyMs: number;
  /** Why the subgraph is considered down (connection error code or HTTP status); absent when up. */
  reason?: string;
}

/**
 * Whether a subgraph answers GraphQL at its routing URL. Any federation subgraph answers
 * `{ __typename }`, ours or not, so readiness needs no Meshgate-specific endpoint.
 */
export async function probeSubgraph(subgraph: SupergraphSubgraph, timeoutMs = 2_000): Promise<SubgraphHealth> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await request(subgraph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const body = (await res.body.json()) as { data?: { __typename?: string } };
    if (res.statusCode !== 200 || body?.data?.__typename !== 'Query') {
      return { name: subgraph.name, up: false, latencyMs: elapsed(), reason: `HTTP ${res.statusCode}` };
    }
    return { name: subgraph.name, up: true, latencyMs: elapsed() };
  } catch (err) {
    const reason = (err as { code?: string }).code ?? 'unreachable';
    return { name: subgraph.name, up: false, latencyMs: elapsed(), reason };
  }
}

export async function probeSubgraphs(subgraphs: SupergraphSubgraph[], timeoutMs?: number): Promise<SubgraphHealth[]> {
  return Promise.all(subgraphs.map((s) => probeSubgraph(s, timeoutMs)));
}
