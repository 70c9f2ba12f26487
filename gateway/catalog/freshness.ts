import { request } from 'undici';
import { freshnessMs } from '../governance/descriptor';
import type { SupergraphSubgraph } from '../supergraph';

export type FreshnessStatus = 'FRESH' | 'STALE' | 'UNKNOWN';

export interface Freshness {
  status: FreshnessStatus;
  /** When the domain's newest data was loaded, as the domain reports it. */
  newestDataAt: string | null;
  ageSeconds: number | null;
  /** The objective from the descriptor, e.g. `15m`. */
  objective: string | null;
  /** Why the status is UNKNOWN (or what STALE means), in words. */
  reason: string | null;
}

/** Where a subgraph of ours reports its newest data: `/freshness` beside its GraphQL path. */
function freshnessUrl(graphqlUrl: string): string {
  const url = new URL(graphqlUrl);
  url.pathname = url.pathname.replace(/\/graphql\/?$/, '') + '/freshness';
  url.search = '';
  return url.toString();
}

/** Asks a subgraph when its newest data was loaded; never throws: a failure is a reason. */
export async function probeNewestData(subgraph: SupergraphSubgraph, timeoutMs = 2_000): Promise<{ at: Date | null; reason?: string }> {
  try {
    const res = await request(freshnessUrl(subgraph.url), { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return { at: null, reason: `the domain answered HTTP ${res.statusCode} for its freshness` };
    }
    const body = (await res.body.json()) as { newestDataAt?: unknown };
    if (body.newestDataAt === null) return { at: null, reason: 'the domain has recorded no data load' };
    const at = typeof body.newestDataAt === 'string' ? new Date(body.newestDataAt) : null;
    if (!at || Number.isNaN(at.getTime())) return { at: null, reason: 'the domain reported no valid time' };
    return { at };
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'no answer';
    return { at: null, reason: `the domain did not answer (${code})` };
  }
}

/** Holds a domain's newest data against its objective. */
export function assessFreshness(newest: { at: Date | null; reason?: string }, objective: string | undefined, now = Date.now()): Freshness {
  const base = { newestDataAt: newest.at?.toISOString() ?? null, objective: objective ?? null };
  if (!newest.at) return { ...base, status: 'UNKNOWN', ageSeconds: null, reason: newest.reason ?? 'unknown' };
  const ageMs = Math.max(0, now - newest.at.getTime());
  const ageSeconds = Math.round(ageMs / 1000);
  if (!objective) return { ...base, status: 'UNKNOWN', ageSeconds, reason: 'the descriptor sets no freshness objective' };
  const limit = freshnessMs(objective);
  if (limit === undefined) return { ...base, status: 'UNKNOWN', ageSeconds, reason: `the freshness objective "${objective}" is not a duration` };
  return ageMs <= limit
    ? { ...base, status: 'FRESH', ageSeconds, reason: null }
    : { ...base, status: 'STALE', ageSeconds, reason: `newest data is older than the ${objective} objective` };
}
