import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoProduct, demoStock, demoWorld } from '../../shared/demo-data';
import { encodeCursor } from '../../shared/pagination';
import { dialects } from '../../test/support/db';
import { startSubgraph, type RunningSubgraph } from '../../test/support/subgraph';
import { inventory } from './index';

const world = demoWorld(0.05);

describe.each(dialects)('inventory subgraph on %s', (dialect) => {
  let sg: RunningSubgraph;
  beforeAll(async () => {
    sg = await startSubgraph(inventory, dialect, { scale: 0.05 });
  });
  afterAll(() => sg?.stop());

  it('resolves product entities by id, in request order, with stock summed over warehouses', async () => {
    const ids = ['7', '3', '999999', '1'];
    const res = await sg.query(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku unitPrice availability { onHand reserved warehouseCount } } } }`,
      { r: ids.map((id) => ({ __typename: 'Product', id })) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities.map((p: any) => p?.id ?? null)).toEqual(['7', '3', null, '1']);
    const p7 = demoProduct(world, 6);
    const stock = [0, 1, 2, 3].map((w) => demoStock(world, 6, w)).filter((s) => s !== null);
    expect(res.data._entities[0]).toMatchObject({
      sku: p7.sku,
      unitPrice: p7.unitPrice,
      availability: {
        onHand: stock.reduce((n, s) => n + s!.onHand, 0),
        reserved: stock.reduce((n, s) => n + s!.reserved, 0),
        warehouseCount: stock.length,
      },
    });
  });

  it('pages products by keyset without gaps or repeats', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await sg.query(
        `query($after: String) { products(first: 7, after: $after, orderBy: { field: UNIT_PRICE, direction: DESC }) { totalCount pageInfo { hasNextPage endCursor } nodes { id unitPrice } } }`,
        { after },
      );
      const page = res.data.products;
      seen.push(...page.nodes.map((n: any) => n.id));
      const prices = page.nodes.map((n: any) => n.unitPrice);
      expect([...prices].sort((a, b) => b - a)).toEqual(prices);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen.length).toBe(world.counts.products);
    expect(new Set(seen).size).toBe(world.counts.products);
  });

  it('filters products by category and search text', async () => {
    const expected = Array.from({ length: world.counts.products }, (_, i) => demoProduct(world, i)).filter((p) => p.categoryId === 2);
    const res = await sg.query(`{ products(first: 100, filter: { categoryId: "2" }) { totalCount nodes { id } } }`);
    expect(res.data.products.totalCount).toBe(expected.length);
    expect(res.data.products.nodes.map((n: any) => Number(n.id))).toEqual(expected.map((p) => p.id));
    const sku = await sg.query(`{ products(filter: { search: "sku-000012" }) { nodes { sku } } }`);
    expect(sku.data.products.nodes).toEqual([{ sku: 'SKU-000012' }]);
  });

  it('refuses a page larger than the maximum and a forged cursor with BAD_USER_INPUT', async () => {
    const big = await sg.query(`{ products(first: 101) { nodes { id } } }`);
    expect(big.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    const forged = await sg.query(`{ products(after: "bm90LWEtY3Vyc29y") { nodes { id } } }`);
    expect(forged.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a well-formed cursor whose values do not fit the order with BAD_USER_INPUT', async () => {
    const wrongType = [
      // A price cursor whose price is a word: PostgreSQL would fail comparing it with a numeric.
      `{ products(after: "${encodeCursor(['cheap', 1])}", orderBy: { field: UNIT_PRICE }) { nodes { id } } }`,
      `{ products(after: "${encodeCursor([1, 'x'])}") { nodes { id } } }`,
      `{ products(after: "${encodeCursor([1, 1e12])}") { nodes { id } } }`,
      `{ suppliers(after: "${encodeCursor([12.5, 1])}") { nodes { id } } }`,
      `{ categories { products(after: "${encodeCursor(['Tea', 'one'])}") { nodes { id } } } }`,
    ];
    for (const query of wrongType) {
      const res = await sg.query(query);
      expect(res.errors?.[0].extensions.code, query).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0].extensions.argumentName, query).toBe('after');
    }
    const page = await sg.query(`{ products(first: 2, orderBy: { field: UNIT_PRICE }) { pageInfo { endCursor } } }`);
    const next = await sg.query(`{ products(first: 2, after: "${page.data.products.pageInfo.endCursor}", orderBy: { field: UNIT_PRICE }) { nodes { id } } }`);
    expect(next.errors).toBeUndefined();
    expect(next.data.products.nodes).toHaveLength(2);
  });

  it('finds no product, and no error, for an id no row can have', async () => {
    const res = await sg.query(`{ a: product(id: "abc") { id } b: product(id: "1e12") { id } c: product(id: "99999999999") { id } d: product(id: "1") { id } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ a: null, b: null, c: null, d: { id: '1' } });
    const entities = await sg.query(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id } } }`, {
      r: ['abc', '-1', '2'].map((id) => ({ __typename: 'Product', id })),
    });
    expect(entities.errors).toBeUndefined();
    expect(entities.data._entities).toEqual([null, null, { id: '2' }]);
    const filtered = await sg.query(`{ products(filter: { categoryId: "abc" }) { totalCount nodes { id } } }`);
    expect(filtered.errors).toBeUndefined();
    expect(filtered.data.products).toEqual({ totalCount: 0, nodes: [] });
  });

  it('loads nested relations with a constant number of statements', async () => {
    const query = (n: number) =>
      `{ products(first: ${n}) { nodes { id category { name products(first: 3) { totalCount nodes { id } } } supplier { companyName } stockLevels { warehouse { code } available } availability { status } } } }`;
    const count = async (n: number) => {
      const before = sg.statements();
      const res = await sg.query(query(n));
      expect(res.errors).toBeUndefined();
      expect(res.data.products.nodes).toHaveLength(n);
      return sg.statements() - before;
    };
    expect(await count(30)).toBe(await count(2));
  });
});
