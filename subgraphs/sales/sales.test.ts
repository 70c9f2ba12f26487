import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomer, demoOrder, demoSalesRep, demoWorld } from '../../shared/demo-data';
import { encodeCursor } from '../../shared/pagination';
import { dialects } from '../../test/support/db';
import { startSubgraph, type RunningSubgraph } from '../../test/support/subgraph';
import { sales } from './index';

const world = demoWorld(0.05);
const orders = Array.from({ length: world.counts.orders }, (_, i) => demoOrder(world, i));
type DemoOrder = (typeof orders)[number];
type DemoLine = DemoOrder['lines'][number];

// Expected figures in exact integer arithmetic: a line's value in hundredths of a cent.
const lineValue = (l: DemoLine) => l.quantity * Math.round(l.unitPrice * 100) * (100 - Math.round(l.discount * 100));
const amountCents = (l: DemoLine) => Math.round(lineValue(l) / 100);
const orderTotal = (o: DemoOrder) => o.lines.reduce((n, l) => n + amountCents(l), 0) / 100;
const revenue = (values: number[]) => Math.round(values.reduce((n, v) => n + v, 0) / 100) / 100;
const sold = orders.filter((o) => o.status !== 'CANCELLED');

function customerSummary(id: string) {
  const own = sold.filter((o) => o.customerId === id);
  const dates = own.map((o) => o.orderDate).sort();
  return {
    orderCount: own.length,
    revenue: revenue(own.flatMap((o) => o.lines.map(lineValue))),
    firstOrderDate: dates[0] ?? null,
    lastOrderDate: dates.at(-1) ?? null,
  };
}

function productStats(id: number) {
  const lines = sold.flatMap((o) => o.lines).filter((l) => l.productId === id);
  return {
    unitsSold: lines.reduce((n, l) => n + l.quantity, 0),
    revenue: revenue(lines.map(lineValue)),
    orderCount: new Set(lines.map((l) => l.orderId)).size,
  };
}

const ids = (list: { id: string | number }[]) => list.map((o) => String(o.id));

describe.each(dialects)('sales subgraph on %s', (dialect) => {
  let sg: RunningSubgraph;
  beforeAll(async () => {
    sg = await startSubgraph(sales, dialect, { scale: 0.05 });
  });
  afterAll(() => sg?.stop());

  async function ok(query: string, variables?: Record<string, unknown>) {
    const res = await sg.query(query, variables);
    expect(res.errors).toBeUndefined();
    return res.data;
  }

  async function allPages(field: string, args: string, first: number) {
    const seen: any[] = [];
    let after: string | null = null;
    for (;;) {
      const data: any = await ok(
        `query($after: String) { ${field}(first: ${first}, after: $after${args}) { totalCount pageInfo { hasNextPage endCursor } nodes { id orderDate } } }`,
        { after },
      );
      const page = data[field];
      seen.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) return { seen, totalCount: page.totalCount };
      after = page.pageInfo.endCursor;
    }
  }

  it('resolves customer entities in request order, with their sales summary', async () => {
    const keys = ['C000003', 'NOPE', 'C000001'];
    const data = await ok(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id companyName address { city country } salesSummary { orderCount revenue firstOrderDate lastOrderDate } } } }`,
      { r: keys.map((id) => ({ __typename: 'Customer', id })) },
    );
    expect(data._entities.map((c: any) => c?.id ?? null)).toEqual(['C000003', null, 'C000001']);
    const c3 = demoCustomer(world, 2);
    expect(data._entities[0]).toEqual({
      id: 'C000003',
      companyName: c3.companyName,
      address: { city: c3.address.city, country: c3.address.country },
      salesSummary: customerSummary('C000003'),
    });
    expect(data._entities[2].salesSummary).toEqual(customerSummary('C000001'));
    expect(data._entities[2].salesSummary.orderCount).toBeGreaterThan(0);
  });

  it('resolves order entities in request order, with lines, amounts and totals', async () => {
    const keys = ['5', '999999', 'abc', '2'];
    const data = await ok(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id orderDate status customer { id } salesRep { id } lineCount total lines { lineNumber product { id } quantity amount } } } }`,
      { r: keys.map((id) => ({ __typename: 'Order', id })) },
    );
    expect(data._entities.map((o: any) => o?.id ?? null)).toEqual(['5', null, null, '2']);
    for (const [n, o] of [[0, orders[4]], [3, orders[1]]] as const) {
      expect(data._entities[n]).toEqual({
        id: String(o.id),
        orderDate: o.orderDate,
        status: o.status,
        customer: { id: o.customerId },
        salesRep: { id: String(o.salesRepId) },
        lineCount: o.lines.length,
        total: orderTotal(o),
        lines: o.lines.map((l) => ({ lineNumber: l.lineNumber, product: { id: String(l.productId) }, quantity: l.quantity, amount: amountCents(l) / 100 })),
      });
    }
  });

  it('adds sales figures to product entities without looking products up', async () => {
    const keys = ['3', '999999', '1'];
    const data = await ok(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id salesStats { unitsSold revenue orderCount } } } }`,
      { r: keys.map((id) => ({ __typename: 'Product', id })) },
    );
    expect(data._entities).toEqual([
      { id: '3', salesStats: productStats(3) },
      { id: '999999', salesStats: { unitsSold: 0, revenue: 0, orderCount: 0 } },
      { id: '1', salesStats: productStats(1) },
    ]);
    expect(data._entities[0].salesStats.unitsSold).toBeGreaterThan(0);
  });

  it('filters orders by customer, status list and date range', async () => {
    const top = demoCustomer(world, 0).id;
    const byCustomer = await allPages('orders', `, filter: { customerId: "${top}" }`, 10);
    expect(ids(byCustomer.seen)).toEqual(ids(orders.filter((o) => o.customerId === top)));
    expect(byCustomer.totalCount).toBe(byCustomer.seen.length);

    const open = await allPages('orders', ', filter: { status: [PENDING, CONFIRMED] }', 100);
    const expectedOpen = orders.filter((o) => o.status === 'PENDING' || o.status === 'CONFIRMED');
    expect(expectedOpen.length).toBeGreaterThan(0);
    expect(ids(open.seen)).toEqual(ids(expectedOpen));

    const range = await allPages('orders', ', filter: { orderedFrom: "2024-03-01", orderedTo: "2024-03-31", salesRepId: "2" }', 100);
    const expectedRange = orders.filter((o) => o.orderDate >= '2024-03-01' && o.orderDate <= '2024-03-31' && o.salesRepId === 2);
    expect(expectedRange.length).toBeGreaterThan(0);
    expect(ids(range.seen)).toEqual(ids(expectedRange));
  });

  it('pages all orders by keyset without gaps or repeats, in both sort orders', async () => {
    const byDate = await allPages('orders', ', orderBy: { field: ORDER_DATE, direction: DESC }', 37);
    expect(byDate.totalCount).toBe(world.counts.orders);
    expect(new Set(ids(byDate.seen)).size).toBe(world.counts.orders);
    const keys = byDate.seen.map((o) => `${o.orderDate}:${String(o.id).padStart(8, '0')}`);
    expect([...keys].sort().reverse()).toEqual(keys);

    const byId = await allPages('orders', ', orderBy: { field: ID }', 100);
    expect(ids(byId.seen)).toEqual(ids(orders));
  });

  it("pages a customer's and a sales rep's orders, filtered, through nested connections", async () => {
    const customerId = demoCustomer(world, 0).id;
    const expected = orders.filter((o) => o.customerId === customerId && o.status === 'DELIVERED').reverse();
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: any = await ok(
        `query($id: ID!, $after: String) { customer(id: $id) { orders(first: 3, after: $after, filter: { status: [DELIVERED] }, orderBy: { field: ID, direction: DESC }) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } } }`,
        { id: customerId, after },
      );
      const page = data.customer.orders;
      expect(page.totalCount).toBe(expected.length);
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids(expected));

    const rep = demoSalesRep(world, 2);
    const data = await ok(`{ salesRep(id: "3") { firstName birthDate reportsTo { id title } orders(first: 5) { totalCount nodes { id } } } }`);
    expect(data.salesRep).toEqual({
      firstName: rep.firstName,
      birthDate: rep.birthDate,
      reportsTo: { id: '1', title: 'Vice President, Sales' },
      orders: {
        totalCount: orders.filter((o) => o.salesRepId === 3).length,
        nodes: ids(orders.filter((o) => o.salesRepId === 3).slice(0, 5)).map((id) => ({ id })),
      },
    });
    expect((await ok('{ salesReps { id } }')).salesReps).toHaveLength(world.counts.salesReps);
  });

  it('lists customers by company name, filtered by country and search text', async () => {
    const customers = Array.from({ length: world.counts.customers }, (_, i) => demoCustomer(world, i));
    const country = customers[0].address.country;
    const data = await ok(`{ customers(first: 100, filter: { country: "${country}" }) { totalCount nodes { id companyName } } }`);
    const expected = customers.filter((c) => c.address.country === country);
    expect(data.customers.totalCount).toBe(expected.length);
    expect(new Set(ids(data.customers.nodes))).toEqual(new Set(ids(expected)));
    const names = data.customers.nodes.map((c: any) => c.companyName);
    expect([...names].sort()).toEqual(names);
    const word = customers[0].contactName.split(' ')[1].toLowerCase();
    const search = await ok(`{ customers(first: 100, filter: { search: "${word}" }) { totalCount } }`);
    expect(search.customers.totalCount).toBe(
      customers.filter((c) => `${c.companyName}\n${c.contactName}`.toLowerCase().includes(word)).length,
    );
  });

  it('refuses oversized pages, forged cursors and bad dates with BAD_USER_INPUT', async () => {
    const bad = [
      `{ orders(first: 101) { nodes { id } } }`,
      `{ customer(id: "C000001") { orders(first: 101) { nodes { id } } } }`,
      `{ orders(after: "bm90LWEtY3Vyc29y") { nodes { id } } }`,
      `{ orders(after: "${encodeCursor(['x', 'y'])}") { nodes { id } } }`,
      `{ orders(after: "${encodeCursor(['2024-01-01', 5])}", orderBy: { field: ID }) { nodes { id } } }`,
      `{ customers(after: "${encodeCursor([1, 2])}") { nodes { id } } }`,
      `{ orders(filter: { orderedFrom: "2024-02-30" }) { nodes { id } } }`,
      `{ orders(filter: { orderedTo: "yesterday" }) { nodes { id } } }`,
      `{ salesRep(id: "1") { orders(filter: { orderedFrom: "2024-1-5" }) { nodes { id } } } }`,
      // Cursors and dates PostgreSQL would refuse: an id beyond its integer, a NUL, year 0.
      `{ orders(after: "${encodeCursor(['2024-01-01', 1e12])}") { nodes { id } } }`,
      `{ customers(after: "${encodeCursor(['A\u0000', 'C000001'])}") { nodes { id } } }`,
      `{ customer(id: "C000001") { orders(after: "${encodeCursor([5, 'x'])}", orderBy: { field: ID }) { nodes { id } } } }`,
      `{ orders(filter: { orderedFrom: "0000-01-01" }) { nodes { id } } }`,
    ];
    for (const query of bad) {
      const res = await sg.query(query);
      expect(res.errors?.[0].extensions.code, query).toBe('BAD_USER_INPUT');
    }
  });

  it('finds nothing, and no error, for integer ids no row can have', async () => {
    const data = await ok(`{ salesRep(id: "99999999999") { id } order(id: "1e3") { id } orders(filter: { salesRepId: "abc" }) { totalCount } }`);
    expect(data).toEqual({ salesRep: null, order: null, orders: { totalCount: 0 } });
  });

  it('loads orders and customers with nested relations in a constant number of statements', async () => {
    const count = async (query: string, list: 'orders' | 'customers', n: number) => {
      const before = sg.statements();
      const data = await ok(query);
      expect(data[list].nodes).toHaveLength(n);
      return sg.statements() - before;
    };
    const orderQuery = (n: number) =>
      `{ orders(first: ${n}) { totalCount nodes { id customer { companyName } salesRep { lastName } lineCount total lines { product { id } amount } } } }`;
    const customerQuery = (n: number) =>
      `{ customers(first: ${n}) { nodes { id salesSummary { revenue } orders(first: 3) { totalCount nodes { id total customer { id } } } } } }`;
    const orderStatements = await count(orderQuery(2), 'orders', 2);
    expect(await count(orderQuery(50), 'orders', 50)).toBe(orderStatements);
    const customerStatements = await count(customerQuery(2), 'customers', 2);
    expect(await count(customerQuery(50), 'customers', 50)).toBe(customerStatements);
  });
});
