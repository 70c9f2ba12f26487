import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { entityKeyString } from '../../gateway/audit/event-keys';
import { subjectAccess } from '../../gateway/audit/queries';
import { openAuditStore, type AuditStore } from '../../gateway/audit/store';
import { createAuditWriter, type AuditWriter } from '../../gateway/audit/writer';
import { composeSupergraph } from '../../gateway/compose';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { CLASSIFIED_DIRECTIVE_SDL } from '../../shared/classification';
import { asDataProduct } from '../support/data-product';
import { createTestDb, dialects } from '../support/db';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// A small subgraph whose entity has a composite key, `@key(fields: "orderId lineNo")`, and a
// personal field: the audit trail records each line as one stable entity-key string
// (`orderId=10248&lineNo=1`, percent-encoded) that subjectAccess finds.
const sdl = `
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@composeDirective"])
    @link(url: "https://meshgate.dev/classification/v1.0", import: ["@classified"])
    @composeDirective(name: "@classified")
  ${CLASSIFIED_DIRECTIVE_SDL}
  type Query { orderLines: [OrderLine!]! @classified(level: "INTERNAL") }
  type OrderLine @key(fields: "orderId lineNo") @classified(level: "INTERNAL") {
    orderId: ID!
    lineNo: Int!
    note: String @classified(level: "CONFIDENTIAL", category: "FREE_TEXT")
  }`;
const lines = [
  { orderId: '10248', lineNo: 1, note: 'leave at the back door' },
  { orderId: '10248', lineNo: 2, note: null },
  { orderId: 'A&B=1 %', lineNo: 1, note: 'gift' },
];
const resolvers = {
  Query: { orderLines: () => lines },
  OrderLine: { __resolveReference: (ref: { orderId: string; lineNo: number }) => lines.find((l) => l.orderId === ref.orderId && l.lineNo === ref.lineNo) },
};

describe.each(dialects)('composite entity keys in the audit trail on %s', (dialect) => {
  let subgraph: ApolloServer;
  let gateway: MeshgateGateway;
  let url: string;
  let store: AuditStore;
  let writer: AuditWriter;

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    subgraph = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as any }) });
    const { url: subgraphUrl } = await startStandaloneServer(subgraph, { listen: { port: 0, host: '127.0.0.1' } });
    const composed = composeSupergraph([asDataProduct({ name: 'orders', routingUrl: subgraphUrl, origin: 'fixture', sdl })]);
    if (!composed.ok) throw new Error(JSON.stringify(composed.problems));
    store = await openAuditStore({ db: createTestDb(dialect, 'audit'), chain: 'replica-a' });
    writer = createAuditWriter({ append: (events) => store.append(events), close: async () => {} }, { flushIntervalMs: 5 });
    const { plugins } = createPipeline({ settings: {}, baseDir: process.cwd(), audit: writer });
    gateway = await createGateway({ supergraphSdl: composed.supergraphSdl, plugins });
    url = `${await gateway.listen(0)}/graphql`;
  });
  afterAll(async () => {
    await gateway?.stop();
    await writer?.close();
    await store?.close();
    await subgraph?.stop();
    vi.unstubAllEnvs();
  });

  const ask = async (query: string) => {
    const token = await signToken({ sub: 'composite-admin', roles: ['admin'] });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    await writer.flush();
    return body.data;
  };

  it('records each line once as `orderId=…&lineNo=…`, whether or not the client selected the key', async () => {
    const data = await ask('{ orderLines { note } }');
    // The gateway selected the key fields itself and stripped them from the response.
    expect(data.orderLines).toEqual(lines.map((l) => ({ note: l.note })));
    await ask('{ orderLines { lineNo orderId note } }');
    const events = await store.knex('events').orderBy('seq').select('fields');
    const keysOf = (row: { fields: string }) => JSON.parse(row.fields).find((f: any) => f.coordinate === 'OrderLine.note').entityKeys.sort();
    // Line 2 returned no note: its key is not recorded. Keys follow the @key order, not the selection's.
    const expected = ['orderId=10248&lineNo=1', 'orderId=A%26B%3D1%20%25&lineNo=1'];
    expect(events.map(keysOf)).toEqual([expected, expected]);
    expect(entityKeyString([{ name: 'orderId', value: 'A&B=1 %' }, { name: 'lineNo', value: 1 }])).toBe(expected[1]);
    expect(entityKeyString([{ name: 'id', value: 'C000001' }])).toBe('C000001');

    const access = await subjectAccess(store, 'orderId=10248&lineNo=1');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({ subject: 'composite-admin', coordinates: ['OrderLine.note'] });
    expect(await subjectAccess(store, expected[1])).toHaveLength(2);
    expect(await subjectAccess(store, 'orderId=10248&lineNo=2')).toEqual([]);
    expect(await subjectAccess(store, '10248')).toEqual([]);
  });
});
