import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, isIntrospectionType, isObjectType, parse, print, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db';
import { typeDefsOf } from '../../shared/domain';
import { ANONYMOUS, type Principal } from '../../shared/principal';
import { prepareDatabase } from '../../shared/subgraph-main';
import { createTestDb, dialects } from '../../test/support/db';
import { sales } from './index';
import { permissions, rowScope } from './policy';

// The sales row-level rules on the governed schema itself, executed in process with a chosen
// principal (over HTTP the principal comes from the gateway's signature: test/integration/defence.test.ts).

const asCustomer = (customerId?: string): Principal => ({ ...ANONYMOUS, subject: 'u', roles: ['customer'], attributes: customerId ? { customerId } : {} });

describe('the sales policy', () => {
  it('classifies every object type of the sales schema (unlisted types would be denied)', () => {
    const schema = buildSubgraphSchema({ typeDefs: typeDefsOf(sales), resolvers: sales.resolvers });
    const objectTypes = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && !isIntrospectionType(t)).map((t) => t.name);
    expect(objectTypes.filter((name) => !(name in permissions)), 'add a rule to subgraphs/sales/policy.ts').toEqual([]);
  });

  it('scopes by role: customers to their customerId (none without one), everyone else unrestricted', () => {
    expect(rowScope(ANONYMOUS)).toEqual({ all: true });
    expect(rowScope({ ...ANONYMOUS, subject: 'a', roles: ['analyst'], attributes: { customerId: 'C1' } })).toEqual({ all: true });
    expect(rowScope(asCustomer('C1'))).toEqual({ all: false, customerId: 'C1' });
    expect(rowScope({ ...asCustomer('C1'), roles: ['analyst', 'customer'] })).toEqual({ all: false, customerId: 'C1' });
    expect(rowScope(asCustomer())).toEqual({ all: false, customerId: null });
    expect(() => rowScope(undefined)).toThrow(/no principal/);
  });
});

describe.each(dialects)('the governed sales schema, on %s', (dialect) => {
  let db: Database;
  let schema: GraphQLSchema;
  let own: string;
  let other: string;
  let otherOrder: number;

  beforeAll(async () => {
    db = createTestDb(dialect, 'sales');
    await prepareDatabase(sales, db, { scale: 0.02 });
    schema = sales.applyPolicy!(buildSubgraphSchema({ typeDefs: typeDefsOf(sales), resolvers: sales.resolvers }));
    const ranked = await db.knex('orders').select('customer_id').count({ n: '*' }).groupBy('customer_id').orderBy([{ column: 'n', order: 'desc' }, 'customer_id']) as { customer_id: string }[];
    own = ranked[0].customer_id;
    other = ranked[1].customer_id;
    otherOrder = (await db.knex('orders').where('customer_id', other).first('id')).id;
  });
  afterAll(() => db?.close());

  const run = (source: string, principal: Principal | undefined, variableValues?: Record<string, unknown>) =>
    graphql({ schema, source, variableValues, contextValue: { db, loaders: sales.createLoaders(db), principal } });

  it('keeps _service and _entities working for the gateway', async () => {
    const res = await run(
      'query($r: [_Any!]!) { _service { sdl } _entities(representations: $r) { ... on Order { id } ... on Customer { id } ... on Product { id salesStats { orderCount } } } }',
      ANONYMOUS,
      { r: [{ __typename: 'Order', id: String(otherOrder) }, { __typename: 'Customer', id: other }, { __typename: 'Product', id: '1' }] },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._service).toEqual({ sdl: expect.stringContaining('type Customer') });
    expect((res.data as any)._entities).toMatchObject([{ id: String(otherOrder) }, { id: other }, { id: '1' }]);
  });

  it('refuses another customer’s entities with one FORBIDDEN each, and serves the customer’s own', async () => {
    const ownOrder = (await db.knex('orders').where('customer_id', own).first('id')).id;
    const res = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id total lines { amount } } ... on Customer { id email } } }', asCustomer(own), {
      r: [{ __typename: 'Order', id: String(ownOrder) }, { __typename: 'Order', id: String(otherOrder) }, { __typename: 'Customer', id: own }, { __typename: 'Customer', id: other }],
    });
    expect((res.data as any)._entities[0]).toMatchObject({ id: String(ownOrder) });
    expect((res.data as any)._entities[1]).toBeNull();
    expect((res.data as any)._entities[2]).toMatchObject({ id: own });
    expect((res.data as any)._entities[3]).toBeNull();
    expect(res.errors!.every((e) => e.extensions.code === 'FORBIDDEN')).toBe(true);
    expect(new Set(res.errors!.map((e) => e.path![1]))).toEqual(new Set([1, 3]));
  });

  it('keeps resolver error codes (BAD_USER_INPUT stays BAD_USER_INPUT under the shield)', async () => {
    const res = await run('{ orders(first: 1000) { totalCount } }', asCustomer(own));
    expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('denies a type the policy does not list (deny by default), for everyone', async () => {
    const extended = parse(`${print(typeDefsOf(sales))}
      type Unlisted { secret: String }
      extend type Query { unlisted: Unlisted }`);
    const resolvers = { ...sales.resolvers, Query: { ...sales.resolvers.Query, unlisted: () => ({ secret: 'x' }) } };
    const governed = sales.applyPolicy!(buildSubgraphSchema({ typeDefs: extended, resolvers }));
    const res = await graphql({ schema: governed, source: '{ unlisted { secret } }', contextValue: { db, loaders: sales.createLoaders(db), principal: ANONYMOUS } });
    expect(res.data).toEqual({ unlisted: { secret: null } });
    expect(res.errors!.map((e) => e.extensions.code)).toEqual(['FORBIDDEN']);
  });

  it('fails closed when the context has no principal', async () => {
    const res = await run(`{ customer(id: "${own}") { id } orders { totalCount } }`, undefined);
    expect(res.data).toBeNull();
    expect(res.errors!.length).toBeGreaterThan(0);
    // Row rules are skipped only for a principal that reads every row: without one, shield still runs them.
    const entities = await run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id } ... on Customer { id } } }', undefined, {
      r: [{ __typename: 'Order', id: String(otherOrder) }, { __typename: 'Customer', id: other }],
    });
    expect((entities.data as any)._entities).toEqual([null, null]);
    expect(entities.errors!.map((e) => e.extensions.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
  });

  it('serves every row to a principal that reads them all, with row rules skipped, and the same answers as for a scoped owner', async () => {
    const analyst: Principal = { ...ANONYMOUS, subject: 'a', roles: ['analyst'] };
    const query = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id total customer { id } lines { amount } } ... on Customer { id companyName } } }';
    const r = [{ __typename: 'Order', id: String(otherOrder) }, { __typename: 'Customer', id: other }];
    const staff = await run(query, analyst, { r });
    expect(staff.errors).toBeUndefined();
    const owner = await run(query, asCustomer(other), { r });
    expect(owner.errors).toBeUndefined();
    expect(staff.data).toEqual(owner.data);
  });
});
