import type http from 'node:http';
import { ApolloServer, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import { afterEach, describe, expect, it } from 'vitest';
import { answerRelease } from '../../shared/answer-release';
import { closeServer, createHttpServer, graphqlRoute, listen } from '../../shared/http';

interface Context {
  requestId: string;
  state: Record<string, unknown>;
}

const typeDefs = `type Query { order(id: ID!, waitMs: Int): Order } type Order { id: ID! lines: [Line!]! } type Line { n: Int! }`;
const resolvers = {
  Query: {
    order: async (_: unknown, { id, waitMs }: { id: string; waitMs?: number }) => {
      if (waitMs) await new Promise((r) => setTimeout(r, waitMs));
      return { id, lines: [{ n: 1 }, { n: 2 }] };
    },
  },
};

/** Every response object Apollo built, by request id, as a plugin sees it in willSendResponse. */
function responseSpy(): { plugin: ApolloServerPlugin<Context>; responses: Map<string, GraphQLResponse> } {
  const responses = new Map<string, GraphQLResponse>();
  return {
    responses,
    plugin: {
      async requestDidStart() {
        return {
          async willSendResponse({ contextValue, response }) {
            responses.set(contextValue.requestId, response);
          },
        };
      },
    },
  };
}

const servers: http.Server[] = [];
const apollos: ApolloServer<Context>[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
  await Promise.all(apollos.splice(0).map((a) => a.stop()));
});

/** An Apollo Server behind the route on 127.0.0.1, releasing answers or not. */
async function serve(release: boolean) {
  const spy = responseSpy();
  const answers = answerRelease<Context>((context) => context.state);
  const apollo = new ApolloServer<Context>({ typeDefs, resolvers, plugins: [spy.plugin, ...(release ? [answers.plugin] : [])] });
  await apollo.start();
  apollos.push(apollo);
  let next = 0;
  const route = graphqlRoute(apollo, {
    context: async () => ({ requestId: `r${++next}`, state: {} }),
    ...(release && { answered: answers.release }),
  });
  const server = createHttpServer({ '/graphql': route }, (err) => {
    throw err;
  });
  servers.push(server);
  const url = `${await listen(server, 0)}/graphql`;
  const ask = async (query: string) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    return (await res.json()) as { data?: any; errors?: unknown[] };
  };
  return { ask, responses: spy.responses };
}

describe('answer release (shared/answer-release.ts)', () => {
  it('drops the data of a sent answer from Apollo’s response object, after the caller got all of it', async () => {
    const { ask, responses } = await serve(true);
    const answer = await ask('{ order(id: "7") { id lines { n } } }');
    expect(answer).toEqual({ data: { order: { id: '7', lines: [{ n: 1 }, { n: 2 }] } } });
    const response = responses.get('r1')!;
    expect(response.body.kind).toBe('single');
    expect(response.body.kind === 'single' && response.body.singleResult.data).toBeUndefined();
  });

  it('leaves the response alone without the route’s `answered` hook (the control)', async () => {
    const { ask, responses } = await serve(false);
    await ask('{ order(id: "7") { id } }');
    const response = responses.get('r1')!;
    expect(response.body.kind === 'single' && response.body.singleResult.data).toEqual({ order: { id: '7' } });
  });

  it('releases each of several requests in flight at once, each after its own answer (Apollo hands plugins a copy of the context)', async () => {
    const { ask, responses } = await serve(true);
    // The slow one is answered last: releasing the fast one must not touch it before it is sent.
    const [slow, fast] = await Promise.all([ask('{ order(id: "slow", waitMs: 150) { id } }'), ask('{ order(id: "fast") { id lines { n } } }')]);
    expect(slow).toEqual({ data: { order: { id: 'slow' } } });
    expect(fast).toEqual({ data: { order: { id: 'fast', lines: [{ n: 1 }, { n: 2 }] } } });
    expect(responses.size).toBe(2);
    for (const response of responses.values()) expect(response.body.kind === 'single' && response.body.singleResult.data).toBeUndefined();
  });

  it('keeps errors and answers with errors intact for the caller', async () => {
    const { ask, responses } = await serve(true);
    const answer = await ask('{ order(id: "7") { nope } }');
    expect(answer.errors).toHaveLength(1);
    expect(responses.get('r1')!.body.kind).toBe('single');
  });
});
