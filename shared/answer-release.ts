import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener, GraphQLResponse } from '@apollo/server';

/**
 * Lets go of each answer's data once Apollo Server has serialised and sent it.
 *
 * Why: Apollo's response object is made when a request starts, and goes old when a young
 * collection finds the request in flight; the answer, built last, is hung on it. A young
 * collection takes every pointer from the old generation as live, whether its holder is still in
 * use or not, so answers were copied into the old generation, where only a full collection frees
 * them: on `heavy` ~8 MB per young collection (25–45 ms pauses that stop every request in flight)
 * and an old generation filling at 40 MB/s. Cutting the response's link to its data once it is
 * sent lets the next young collection free it where it is (bench/README.md, "answers let go").
 *
 * `plugin` goes into the Apollo Server's plugins; `release` is the route's `answered` hook.
 * Apollo runs each operation on a shallow copy of the context the route made, so a request is
 * known by `keyOf(context)`: an object the copy shares with the original.
 */
export function answerRelease<C extends BaseContext>(keyOf: (context: C) => object): { plugin: ApolloServerPlugin<C>; release(context: C): void } {
  // Weakly: a request that never reaches the route's `answered` (its client left) drops its entry with its context.
  const sent = new WeakMap<object, GraphQLResponse>();
  // One listener for every request: it only remembers which response is the request's.
  const listener: GraphQLRequestListener<C> = {
    async willSendResponse({ contextValue, response }) {
      sent.set(keyOf(contextValue), response);
    },
  };
  return {
    plugin: { requestDidStart: async () => listener },
    release(context) {
      const key = keyOf(context);
      const response = sent.get(key);
      if (!response) return;
      sent.delete(key);
      // Only Apollo reads the response, and it has serialised it by now (the audit step counted
      // it in willSendResponse). Incremental (@defer) bodies stream their own results: not used here.
      if (response.body.kind === 'single') response.body.singleResult.data = undefined;
    },
  };
}
