/**
 * Which subgraphs one request actually called: the gateway's data sources note every call on the
 * request's context (see `buildService` in gateway/server.ts); the audit step reads them back.
 * Wire-exact: a fetch the query plan skips (an entity fetch over an empty list) is not listed.
 */
const CALLED = Symbol('meshgate.subgraphsCalled');

type Carrier = { [CALLED]?: Set<string> };

/** Notes a call to `subgraph` on a request context (health checks and schema loads have none: ignored). */
export function noteSubgraphCall(context: unknown, subgraph: string): void {
  if (typeof context !== 'object' || context === null || !('requestId' in context)) return;
  ((context as Carrier)[CALLED] ??= new Set()).add(subgraph);
}

/** The subgraphs called for this request so far, sorted. */
export function subgraphsCalled(context: object): string[] {
  const called = (context as Carrier)[CALLED];
  return called ? [...called].sort() : [];
}
