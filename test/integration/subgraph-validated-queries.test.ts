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
import { domains } from '../../subgraphs';
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

// Direct answers run a compiled query (graphql-jit), not graphql-js `execute`: each query below is
// answered by Apollo first and then directly, and both must be the same bytes. The queries cover
// what compilation could get wrong: aliases, named and inline fragments, @include/@skip on fields
// and fragment spreads, variables with defaults, input objects with enums, entity unions with
// missing entities, nulls, lists of lists, cursors, __typename.
const SUBGRAPH_QUERIES: Record<string, { query: string; variables?: Record<string, unknown> }[]> = {
  sales: [
    {
      query: `query Orders($first: Int = 4, $lines: Boolean!, $noCustomer: Boolean = false, $order: OrderOrder) {
        orders(first: $first, orderBy: $order) {
          __typename
          totalCount
          pageInfo { hasNextPage endCursor }
          edges { cursor node { ...OrderParts } }
          nodes { id first: orderDate later: orderDate customer @skip(if: $noCustomer) { id companyName contactName } }
        }
      }
      fragment OrderParts on Order { __typename id status total requiredDate lines @include(if: $lines) { lineNumber quantity amount product { __typename id } } ... on Order { lineCount } }`,
      variables: { lines: true, order: { field: 'ORDER_DATE', direction: 'DESC' } },
    },
    {
      query: `query Filtered($filter: OrderFilter!) { orders(first: 3, filter: $filter) { nodes { id status salesRep { id } } } salesReps { id } missing: order(id: "999999999") { id } }`,
      variables: { filter: { status: ['SHIPPED', 'DELIVERED'] } },
    },
    { query: `query Skipped($lines: Boolean = false) { orders(first: 2) { nodes { id ...Lines @include(if: $lines) ... @skip(if: $lines) { total } } } } fragment Lines on Order { lines { quantity } }` },
    {
      query: `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { __typename ... on Order { id total customer { id } } ... on Customer { id companyName salesSummary { orderCount revenue } } ... on Product { id salesStats { unitsSold } } } }`,
      variables: { representations: [{ __typename: 'Order', id: '1' }, { __typename: 'Customer', id: 'C000001' }, { __typename: 'Order', id: '999999999' }, { __typename: 'Product', id: '1' }] },
    },
  ],
  inventory: [
    {
      query: `query Products($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { id sku name unitPrice discontinued availability { available status } stockLevels { onHand reserved warehouse { code } } category { name } } } }`,
      variables: { representations: [{ __typename: 'Product', id: '1' }, { __typename: 'Product', id: '2' }, { __typename: 'Product', id: '1' }] },
    },
    { query: `{ products(first: 3) { nodes { id name supplier { companyName address { city } } } } categories { id name products(first: 2) { edges { cursor node { id } } } } }` },
  ],
  'customer-experience': [
    {
      query: `query Reviews($representations: [_Any!]!, $first: Int) { _entities(representations: $representations) { ... on Product { id averageRating reviewCount ratingDistribution { rating count } reviews(first: $first) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { rating title createdAt } } nodes { id } } } ... on Order { id orderReviews: reviews { id } supportTickets { id status satisfactionScore } } } }`,
      variables: { representations: [{ __typename: 'Product', id: '1' }, { __typename: 'Order', id: '1' }, { __typename: 'Product', id: '3' }], first: 2 },
    },
  ],
  logistics: [
    {
      query: `query Shipments($representations: [_Any!]!) { _entities(representations: $representations) { ... on Order { id shipmentStatus shipments { id status shippedAt deliveredAt deliveryDays carrier { name } trackingEvents { status occurredAt } } } } }`,
      variables: { representations: [{ __typename: 'Order', id: '1' }, { __typename: 'Order', id: '2' }, { __typename: 'Order', id: '999999999' }] },
    },
    { query: `{ shipments(first: 3, orderBy: { field: FREIGHT, direction: DESC }) { totalCount nodes { id freight order { id } } } }` },
  ],
};

describe.each(Object.keys(SUBGRAPH_QUERIES))('the %s subgraph: compiled direct answers equal Apollo\'s', (name) => {
  let db: Database;
  let service: SubgraphService;
  let base: string;
  const stats = async () => (await (await fetch(`${base}/stats`)).json()) as { answeredWithoutApollo: number; compiledQueries: number };

  beforeAll(async () => {
    const domain = domains[name];
    db = createTestDb('sqlite', domain.name);
    await prepareDatabase(domain, db, { scale: 0.02 });
    service = await createSubgraphService(domain, db, undefined, { env: { NODE_ENV: 'development' } });
    base = await service.listen(0);
  });
  afterAll(async () => {
    await service?.stop();
    await db?.close();
  });

  it.each(SUBGRAPH_QUERIES[name].map((q, i) => [i + 1, q] as const))('query %i', async (_, body) => {
    const before = await stats();
    const byApollo = await post(`${base}/graphql`, body);
    expect(byApollo.status, byApollo.body).toBe(200);
    expect(JSON.parse(byApollo.body).errors, byApollo.body).toBeUndefined();
    const direct = await post(`${base}/graphql`, body);
    expect(direct).toEqual(byApollo);
    // Answered directly, by a query compiled for it: not by Apollo, not by graphql-js `execute`.
    expect(await stats()).toMatchObject({ answeredWithoutApollo: before.answeredWithoutApollo + 1, compiledQueries: before.compiledQueries + 1 });
    // Compiled once: a third answer is still the same bytes.
    expect(await post(`${base}/graphql`, body)).toEqual(byApollo);
    expect((await stats()).compiledQueries).toBe(before.compiledQueries + 1);
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

  it('resolves function-valued properties as graphql-js does, or leaves the answer to Apollo', async () => {
    // graphql-js's default resolver calls a function-valued property; compiled code reads it.
    const schema = buildSubgraphSchema({
      typeDefs: parse('type Query { page: Page } type Page { summary: Summary count: Int } type Summary { rows: Int label: String }'),
      resolvers: { Query: { page: () => ({ summary: () => ({ rows: 2, label: 'two' }), count: () => 3 }) } },
    });
    const queries = new ValidatedQueries(schema);
    const apollo = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled(), queries.plugin()] });
    await apollo.start();
    const req = { method: 'POST', headers: {} } as never;
    const context = async () => ({});
    const lazyObject = '{ page { summary { rows label } } }';
    const lazyLeaf = '{ page { count } }';
    for (const query of [lazyObject, lazyLeaf]) await apollo.executeOperation({ query });
    // An object field: the same data as graphql-js, not a function's missing fields as nulls.
    expect(await queries.answer(req, { query: lazyObject }, context)).toMatchObject({ body: '{"data":{"page":{"summary":{"rows":2,"label":"two"}}}}\n' });
    // A leaf field: the compiled query fails to serialise the function, so Apollo answers (3).
    expect(await queries.answer(req, { query: lazyLeaf }, context)).toBeUndefined();
    expect(queries.compiled).toBe(2);
    await apollo.stop();
  });
});
