import { randomBytes } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db';
import { ANONYMOUS, type Principal } from '../../shared/principal';
import { signSubgraphRequest } from '../../shared/signing';
import { prepareDatabase } from '../../shared/subgraph-main';
import { createSubgraphService, type SubgraphService } from '../../shared/subgraph-server';
import { ValidatedQueries } from '../../shared/validated-queries';
import { sales } from '../../subgraphs/sales';
import { createTestDb } from '../support/db';

// A subgraph answers repeat queries without Apollo Server's pipeline (shared/validated-queries.ts):
// these check that such answers are Apollo's byte for byte, and that everything else is still Apollo's.

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** POSTs with exactly the headers given (undici's `request` adds no `accept`, as the gateway's fetcher sends). */
async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.statusCode, contentType: res.headers['content-type'] as string | undefined, body: await res.body.text() };
}

const ORDERS = 'query SmallOrders__sales__0 { orders(first: 3) { nodes { id orderDate total customer { companyName } lines { quantity product { id } } } } }';

describe('a subgraph answering repeat queries without Apollo Server', () => {
  let db: Database;
  let service: SubgraphService;
  let url: string;
  let stats: () => Promise<number>;

  beforeAll(async () => {
    db = createTestDb('sqlite', 'sales');
    await prepareDatabase(sales, db, { scale: 0.02 });
    service = await createSubgraphService(sales, db, undefined, { env: { NODE_ENV: 'development' } });
    const base = await service.listen(0);
    url = `${base}/graphql`;
    stats = async () => ((await (await fetch(`${base}/stats`)).json()) as { answeredWithoutApollo: number }).answeredWithoutApollo;
  });
  afterAll(async () => {
    await service?.stop();
    await db?.close();
  });

  it.each([
    ['no accept header', {}],
    ['accept */*', { accept: '*/*' }],
    ['accept application/json', { accept: 'application/json' }],
  ])('answers a query Apollo validated before exactly as Apollo does (%s)', async (_, headers: Record<string, string>) => {
    const query = `${ORDERS} # ${JSON.stringify(headers)}`;
    const before = await stats();
    const byApollo = await post(url, { query, operationName: 'SmallOrders__sales__0' }, headers);
    expect(await stats()).toBe(before);
    const direct = await post(url, { query, operationName: 'SmallOrders__sales__0' }, headers);
    expect(await stats()).toBe(before + 1);
    expect(direct).toEqual(byApollo);
    expect(byApollo.status).toBe(200);
    expect(JSON.parse(byApollo.body).data.orders.nodes).toHaveLength(3);
    // `extensions` (even empty) always goes to Apollo: the same answer again.
    expect(await post(url, { query, extensions: {} }, headers)).toEqual(byApollo);
    expect(await stats()).toBe(before + 1);
  });

  it('leaves every answer with errors to Apollo: resolver errors, bad variables, another operation name', async () => {
    const badDate = '{ orders(first: 1, filter: { orderedFrom: "yesterday" }) { nodes { id } } }';
    const withVariable = 'query Page($first: Int) { orders(first: $first) { nodes { id } } }';
    await post(url, { query: withVariable, variables: { first: 1 } });
    const before = await stats();

    const first = await post(url, { query: badDate });
    const again = await post(url, { query: badDate });
    expect(again).toEqual(first);
    expect(JSON.parse(first.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');

    const badVariable = await post(url, { query: withVariable, variables: { first: 'many' } });
    expect(badVariable.status).toBe(400);
    expect(JSON.parse(badVariable.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');

    const otherName = await post(url, { query: withVariable, variables: { first: 1 }, operationName: 'Other' });
    expect(otherName.status).toBe(400);
    expect(JSON.parse(otherName.body).errors[0].message).toMatch(/Unknown operation named "Other"/);
    expect(await stats()).toBe(before);

    // The same query with good variables is still answered directly.
    const good = await post(url, { query: withVariable, variables: { first: 2 } });
    expect(JSON.parse(good.body).data.orders.nodes).toHaveLength(2);
    expect(await stats()).toBe(before + 1);
  });

  it('answers only what Apollo validated, and any other accept header through Apollo', async () => {
    const before = await stats();
    for (let i = 0; i < 2; i++) {
      const invalid = await post(url, { query: '{ orders(first: 1) { nodes { nope } } }' });
      expect(invalid.status).toBe(400);
      expect(JSON.parse(invalid.body).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const unparsable = await post(url, { query: '{ orders(' });
      expect(JSON.parse(unparsable.body).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
      const graphqlResponse = await post(url, { query: ORDERS }, { accept: 'application/graphql-response+json' });
      expect(graphqlResponse.contentType).toBe('application/graphql-response+json; charset=utf-8');
      const unacceptable = await post(url, { query: ORDERS }, { accept: 'text/html' });
      expect(unacceptable.status).toBe(406);
    }
    expect(await stats()).toBe(before);
  });
});

describe('signed requests answered directly', () => {
  const secret = randomBytes(32).toString('hex');
  let db: Database;
  let service: SubgraphService;
  let url: string;

  beforeAll(async () => {
    db = createTestDb('sqlite', 'sales');
    await prepareDatabase(sales, db, { scale: 0.02 });
    service = await createSubgraphService(sales, db, undefined, { secret });
    url = `${await service.listen(0)}/graphql`;
  });
  afterAll(async () => {
    await service?.stop();
    await db?.close();
  });

  const signedPost = (body: string, principal: Principal) => post(url, body, signSubgraphRequest({ body, principal, secret }));

  it('checks the signature first and scopes rows by the signed principal', async () => {
    const body = JSON.stringify({ query: '{ orders(first: 100) { nodes { id customer { id } } } }' });
    const customers = (answer: Answer) => new Set(JSON.parse(answer.body).data.orders.nodes.map((o: { customer: { id: string } }) => o.customer.id));
    const everyone = await signedPost(body, ANONYMOUS);
    const again = await signedPost(body, ANONYMOUS);
    expect(again).toEqual(everyone);
    expect(customers(everyone).size).toBeGreaterThan(1);

    const [own] = [...customers(everyone)] as string[];
    const customer: Principal = { ...ANONYMOUS, subject: 'shop-user', roles: ['customer'], attributes: { customerId: own } };
    expect(customers(await signedPost(body, customer))).toEqual(new Set([own]));
    expect(customers(await signedPost(body, customer))).toEqual(new Set([own]));

    const unsigned = await post(url, body);
    expect(unsigned.status).toBe(401);
    expect(JSON.parse(unsigned.body).errors[0].extensions.code).toBe('SIGNATURE_INVALID');
  });
});

describe('ValidatedQueries', () => {
  it('keeps at most the configured number of query texts, dropping the least recently used', async () => {
    const schema = buildSubgraphSchema({
      typeDefs: parse('type Query { a: Int b: Int c: Int } type Mutation { touch: Int }'),
      resolvers: { Query: { a: () => 1, b: () => 2, c: () => 3 }, Mutation: { touch: () => 4 } },
    });
    const queries = new ValidatedQueries(schema, 2);
    const apollo = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled(), queries.plugin()] });
    await apollo.start();
    const req = { method: 'POST', headers: {} } as never;
    const context = async () => ({});
    for (const query of ['{ a }', '{ b }']) await apollo.executeOperation({ query });
    expect(queries.size).toBe(2);
    // `{ a }` used again, so `{ b }` is the one dropped for `{ c }`.
    expect(await queries.answer(req, { query: '{ a }' }, context)).toEqual({ status: 200, contentType: 'application/json; charset=utf-8', body: '{"data":{"a":1}}\n' });
    await apollo.executeOperation({ query: '{ c }' });
    expect(queries.size).toBe(2);
    expect(await queries.answer(req, { query: '{ b }' }, context)).toBeUndefined();
    expect(await queries.answer(req, { query: '{ c }' }, context)).toBeDefined();
    expect(await queries.answer(req, { query: '{ a }' }, context)).toBeDefined();
    // Only queries are kept: a write whose answer had errors would run a second time in Apollo.
    await apollo.executeOperation({ query: 'mutation { touch }' });
    expect(await queries.answer(req, { query: 'mutation { touch }' }, context)).toBeUndefined();
    // A context that refuses the request is Apollo's to answer.
    expect(await queries.answer(req, { query: '{ a }' }, () => Promise.reject(new Error('refused')))).toBeUndefined();
    await apollo.stop();
  });
});
