import { buildSchema, getOperationAST, parse, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { catalogSource } from '../../gateway/authorization/catalog';
import { hashQuery } from '../../gateway/authorization/plan';
import { useAuthorize, type AuthorizeState } from '../../gateway/plugins/authorize';
import type { GatewayContext } from '../../gateway/plugins/types';
import type { Policy } from '../../policies/types';
import type { Classification } from '../../shared/classification';
import { ANONYMOUS } from '../../shared/principal';

// The authorize step's plan cache across a hot reload, hook by hook: a request whose planning
// awaits the policy while a new supergraph loads must not leave a plan built from the old
// classifications in the new supergraph's cache.

const SDL = 'type Query { report: String }';
// Two supergraphs with the same API schema: today Query.report is PUBLIC, after the reload RESTRICTED.
const before = { sdl: '# before\ntype Query { report: String }', apiSchema: buildSchema(SDL) };
const after = { sdl: '# after\ntype Query { report: String }', apiSchema: buildSchema(SDL) };
const classified: Record<string, Classification> = { [before.sdl]: { level: 'PUBLIC' }, [after.sdl]: { level: 'RESTRICTED' } };

/** PUBLIC is allowed, the rest denied; while `hold` is set, every decision waits for it. */
function latchedPolicy() {
  const state = { decisions: 0, hold: undefined as Promise<void> | undefined };
  const policy: Policy = {
    anonymous: 'allow',
    readsArguments: false,
    async decide(_principal, field) {
      state.decisions++;
      await state.hold;
      return field.classification.level === 'PUBLIC' ? { decision: 'allow', reason: 'public' } : { decision: 'deny', reason: 'clearance' };
    },
    mask: () => null,
    principalKey: () => 'anonymous',
  };
  return { policy, state };
}

const QUERY = parse('{ report }');

/** Runs authorize's didResolveOperation for `{ report }` on `schema`, as Apollo would; returns its plan. */
async function resolve(plugin: ReturnType<typeof useAuthorize>, schema: GraphQLSchema) {
  const contextValue: GatewayContext = { requestId: 'r', principal: ANONYMOUS, state: {} };
  const rc = { contextValue, schema, document: QUERY, operation: getOperationAST(QUERY), operationName: null, queryHash: hashQuery(QUERY), request: { variables: {} } };
  const hooks = await plugin.apollo!.requestDidStart!(rc as never);
  await hooks!.didResolveOperation!(rc as never);
  return (contextValue.state.authorize as AuthorizeState).plan;
}

describe('authorize across a hot reload', () => {
  it('a plan built while a reload lands stays with the old supergraph: the next request plans again, with the new classifications', async () => {
    const { policy, state } = latchedPolicy();
    const plugin = useAuthorize({ policy, catalogOf: catalogSource((sdl) => new Map([['Query.report', classified[sdl]]])) });
    plugin.onSupergraph!(before);

    let release!: () => void;
    state.hold = new Promise<void>((resolve) => (release = resolve));
    const inFlight = resolve(plugin, before.apiSchema);
    await Promise.resolve();
    expect(state.decisions).toBe(1); // planning is waiting on the policy
    plugin.onSupergraph!(after);
    state.hold = undefined;
    release();
    // The request finishes on the supergraph it started with: PUBLIC then, allowed.
    expect((await inFlight).denied).toEqual([]);

    const next = await resolve(plugin, after.apiSchema);
    expect(state.decisions).toBe(2); // planned again, not served the in-flight request's plan
    expect(next.denied.map((d) => d.coordinate)).toEqual(['Query.report']);
    // Plans are cached per supergraph: the same operation on the new one is not decided again.
    await resolve(plugin, after.apiSchema);
    expect(state.decisions).toBe(2);
  });

  it('a request whose schema predates a reload plans with that schema\'s classifications, and caches nothing into the new supergraph', async () => {
    const { policy, state } = latchedPolicy();
    const plugin = useAuthorize({ policy, catalogOf: catalogSource((sdl) => new Map([['Query.report', classified[sdl]]])) });
    plugin.onSupergraph!(before);
    plugin.onSupergraph!(after);
    expect((await resolve(plugin, before.apiSchema)).denied).toEqual([]);
    expect((await resolve(plugin, after.apiSchema)).denied.map((d) => d.coordinate)).toEqual(['Query.report']);
    expect(state.decisions).toBe(2);
  });
});
