import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dedupeRepresentations, expandEntities } from '../../gateway/entity-dedup';
import { createSubgraphFetcher } from '../../gateway/fetcher';
import { computeResponse } from '../../gateway/result-shaping';
import { createSubgraphSource } from '../../gateway/subgraph-source';
import { createLogger } from '../../shared/logger';
import { domains } from '../../subgraphs';
import { startMesh, type RunningMesh } from '../support/mesh';
import { postGraphql } from '../support/subgraph';

const ORDERS_WITH_PRODUCTS = `query OrdersWithProducts {
  orders(first: 40) {
    nodes {
      id
      lines { lineNumber product { id name sku availability { available status } stockLevels { onHand warehouse { code } } reviews(first: 2) { nodes { rating title } } } }
      shipments { status carrier { name } }
    }
  }
}`;

describe('entity representations are sent once per distinct value', () => {
  it('maps each occurrence to the answer of its representation, and repeats errors per occurrence', () => {
    const a = { __typename: 'Product', id: 'P1' };
    const b = { __typename: 'Product', id: 'P2' };
    const deduped = dedupeRepresentations([a, b, { ...a }, b, a]);
    expect(deduped.unique).toEqual([a, b]);
    expect(deduped.positions).toEqual([0, 1, 0, 1, 0]);
    const response = {
      data: { _entities: [{ name: 'one' }, null] },
      errors: [
        { message: 'P2 is gone', path: ['_entities', 1, 'name'] },
        { message: 'not about an entity' },
      ],
    };
    const expanded = expandEntities(response, deduped);
    expect(expanded.data._entities).toEqual([{ name: 'one' }, null, { name: 'one' }, null, { name: 'one' }]);
    expect(expanded.errors).toEqual([
      { message: 'P2 is gone', path: ['_entities', 1, 'name'] },
      { message: 'P2 is gone', path: ['_entities', 3, 'name'] },
      { message: 'not about an entity' },
    ]);
    // A malformed answer (wrong length) is handed on untouched: the gateway rejects it as before.
    const short = { data: { _entities: [{ name: 'one' }] } };
    expect(expandEntities(short, deduped)).toBe(short);
  });

  it('tells representations apart by every key and value, whatever their shape', () => {
    const product = { __typename: 'Product', id: '7' };
    const sameIdOtherType = { __typename: 'Order', id: '7' };
    const numericId = { __typename: 'Product', id: 7 };
    const compositeKey = { __typename: 'Product', id: '7', warehouse: 'W1' };
    const otherWarehouse = { __typename: 'Product', id: '7', warehouse: 'W2' };
    const nested = { __typename: 'Stock', key: { sku: 'A', site: 1 } };
    const all = [product, sameIdOtherType, numericId, compositeKey, otherWarehouse, nested];
    const deduped = dedupeRepresentations([...all, ...all.map((r) => structuredClone(r))]);
    expect(deduped.unique).toEqual(all);
    expect(deduped.positions).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
  });

  it('a subgraph source sends the distinct representations and answers for all of them', async () => {
    const bodies: any[] = [];
    const stub = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const body = JSON.parse(raw);
        bodies.push(body);
        const entities = body.variables.representations.map((r: { id: string }) => (r.id === 'P2' ? null : { name: `name of ${r.id}` }));
        const errors = body.variables.representations.flatMap((r: { id: string }, i: number) => (r.id === 'P2' ? [{ message: 'P2 is gone', path: ['_entities', i] }] : []));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { _entities: entities }, errors }));
      });
    });
    await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
    const { fetcher, close } = createSubgraphFetcher();
    try {
      const source = createSubgraphSource({ name: 'inventory', url: `http://127.0.0.1:${(stub.address() as AddressInfo).port}/graphql`, fetcher, logger: createLogger('test') });
      const representations = ['P1', 'P2', 'P1', 'P3', 'P2', 'P1'].map((id) => ({ __typename: 'Product', id }));
      const response = await source.process({
        kind: 'HEALTH_CHECK' as never,
        request: { query: 'query($representations:[_Any!]!){_entities(representations:$representations){... on Product{name}}}', variables: { representations } },
        context: {} as never,
      });
      expect(bodies).toHaveLength(1);
      expect(bodies[0].variables.representations.map((r: { id: string }) => r.id)).toEqual(['P1', 'P2', 'P3']);
      expect(response.data?._entities).toEqual([{ name: 'name of P1' }, null, { name: 'name of P1' }, { name: 'name of P3' }, null, { name: 'name of P1' }]);
      expect(response.errors?.map((e) => e.path)).toEqual([
        ['_entities', 1],
        ['_entities', 4],
      ]);
    } finally {
      await close();
      await new Promise((resolve) => stub.close(resolve));
    }
  });
});

describe('entity deduplication on the demo mesh', () => {
  let mesh: RunningMesh;
  let bare: ApolloServer;
  let bareUrl: string;
  // Products each subgraph resolved by reference: one per representation it received.
  const resolved: Record<string, number> = { inventory: 0, 'customer-experience': 0 };
  beforeAll(async () => {
    for (const name of Object.keys(resolved)) {
      const product = (domains[name].resolvers as any).Product;
      const resolve = product.__resolveReference;
      product.__resolveReference = (...args: unknown[]) => {
        resolved[name] += 1;
        return resolve(...args);
      };
    }
    mesh = await startMesh('sqlite', { scale: 0.05 });
    bare = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: mesh.supergraphSdl }) });
    bareUrl = (await startStandaloneServer(bare, { listen: { port: 0, host: '127.0.0.1' } })).url;
  }, 60_000);
  afterAll(async () => {
    await bare?.stop();
    await mesh?.stop();
  });

  it('answers exactly what plain @apollo/gateway answers, from fewer entities resolved', async () => {
    // The gateway put Meshgate's result shaping in place of Apollo's, for the whole process (so
    // the plain gateway here shapes with it too: test/unit/result-shaping.test.ts compares the two).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require('@apollo/gateway/dist/resultShaping').computeResponse).toBe(computeResponse);
    const count = () => ({ ...resolved });
    const before = count();
    const governed = await mesh.query(ORDERS_WITH_PRODUCTS);
    const viaMeshgate = count();
    const plain = await postGraphql(bareUrl, ORDERS_WITH_PRODUCTS);
    const viaBare = count();
    expect(governed.errors).toBeUndefined();
    expect(plain.errors).toBeUndefined();
    expect(governed.data).toEqual(plain.data);

    const lines = governed.data.orders.nodes.flatMap((o: any) => o.lines);
    const products = new Set(lines.map((l: any) => l.product.id));
    expect(lines.length).toBeGreaterThan(products.size);
    // Plain @apollo/gateway asks inventory for every line's product; Meshgate for each product once.
    expect(viaBare.inventory - viaMeshgate.inventory).toBe(lines.length);
    expect(viaMeshgate.inventory - before.inventory).toBe(products.size);
    expect(viaMeshgate['customer-experience'] - before['customer-experience']).toBe(products.size);
  });
});
