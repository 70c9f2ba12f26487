import type { ApolloServerPlugin, BaseContext, GraphQLRequestListener, GraphQLResponse } from '@apollo/server';

/**
 * Lets go of each answer's data once Apollo Server has serialised and sent it.
 *
 * Why: a young collection copies what is alive into the old generation, and a request in flight
 * at one is alive: its request context and Apollo's response object go old. The answer is built
 * last and hung on that response; when the request ends, the now-old response is garbage, but a
 * young collection cannot know (it takes every old-to-young pointer as live), so it copied every
 * answer of the interval into the old generation too, where only a full collection frees it. On
 * `heavy` that was ~8 MB per young collection (25–45 ms pauses that stop every request in flight)
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
