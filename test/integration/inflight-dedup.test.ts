import http from 'node:http';
import type { AddressInfo } from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSubgraphFetcher } from '../../gateway/fetcher';
import { InflightFetches, inflightKey } from '../../gateway/inflight-dedup';
import { createGatewayMetrics, type GatewayMetrics } from '../../gateway/observability/metrics';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { domains } from '../../subgraphs';
import { MemoryAuditSink } from '../support/audit-sink';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

const ORDERS = 'query Orders { orders(first: 3) { nodes { id total customer { companyName } } } }';

describe('identical fetches in flight share one call, for one principal only', () => {
  it('shares a call while it is in flight, gives each taker its own copy, and keeps nothing after', async () => {
    const inflight = new InflightFetches<{ data: { n: number[] } }>();
    let calls = 0;
    const pending: (() => void)[] = [];
    const release = () => pending.splice(0).forEach((resolve) => resolve());
    const fetch = () => {
      const n = ++calls;
      return new Promise<{ data: { n: number[] } }>((resolve) => pending.push(() => resolve({ data: { n: [n] } })));
    };
    const answers = [inflight.run('k', fetch), inflight.run('k', fetch), inflight.run('k', fetch)];
    const other = inflight.run('other key', fetch);
    release();
    const [a, b, c] = await Promise.all(answers);
    expect(calls).toBe(2);
    await other;
    expect(a).toEqual(b);
    expect(b).toEqual(c);
    // Each request merges into its own answer.
    expect(new Set([a.data, b.data, c.data]).size).toBe(3);
    expect(inflight.joined).toBe(2);
    expect(inflight.size).toBe(0);
    const later = inflight.run('k', fetch);
    release();
    await later;
    expect(calls).toBe(3);
  });

  it("gives joiners copies parsed from the subgraph's body text, with the one fetch response", async () => {
    const body = { data: { orders: [{ id: '1', lines: [{ n: 1 }, { n: 2 }] }, { id: '2', note: 'é ✓', lines: [] }] }, errors: [{ message: 'partial', path: ['orders', 1] }] };
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { fetcher, close } = createSubgraphFetcher();
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
      const inflight = new InflightFetches<{ data?: any; errors?: any; http?: unknown }>();
      const fetch = async () => {
        const res = await fetcher(url, { method: 'POST', body: '{}' });
        return { ...(await res.json()), http: res };
      };
      const answers = await Promise.all([inflight.run('k', fetch), inflight.run('k', fetch), inflight.run('k', fetch)]);
      for (const answer of answers) expect({ data: answer.data, errors: answer.errors }).toEqual(body);
      expect(new Set(answers.map((a) => a.data)).size).toBe(3);
      expect(new Set(answers.map((a) => a.data.orders[0].lines)).size).toBe(3);
      expect(new Set(answers.map((a) => a.errors)).size).toBe(3);
      expect(new Set(answers.map((a) => a.http)).size).toBe(1);
    } finally {
      await close();
      server.close();
    }
  });

  it('a joiner whose shared call failed makes its own call', async () => {
    const inflight = new InflightFetches<{ data: string }>();
    let calls = 0;
    const fetch = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 10));
      if (calls === 1) throw new Error('subgraph down');
      return { data: 'second try' };
    };
    const [first, second] = await Promise.allSettled([inflight.run('k', fetch), inflight.run('k', fetch)]);
    expect(first.status).toBe('rejected');
    expect(second).toEqual({ status: 'fulfilled', value: { data: 'second try' } });
    expect(calls).toBe(2);
  });

  it("lets young collections free a settled call's answer: nothing old keeps it", async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
    const oldSpaceUsed = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!.space_used_size;
    const inflight = new InflightFetches<{ data: { rows: { i: number }[] } }>();
    // As in a gateway that has run a while: the map and its table are old.
    await inflight.run('warm-up', async () => ({ data: { rows: [] } }));
    gc({ type: 'minor' });
    gc({ type: 'minor' });
    gc();
    const before = oldSpaceUsed();
    // 400 calls of ~50 KB answers, eight in flight at a time: ~20 MB in all.
    for (let round = 0; round < 50; round++) {
      const calls = Array.from({ length: 8 }, (_, i) => inflight.run(`key ${round}/${i}`, async () => ({ data: { rows: Array.from({ length: 2000 }, (_, j) => ({ i: j })) } })));
      await Promise.all(calls);
    }
    await new Promise((resolve) => setImmediate(resolve));
    // Two young collections promote whatever is still reachable, or taken as reachable from old objects.
    gc({ type: 'minor' });
    gc({ type: 'minor' });
    expect(inflight.size).toBe(0);
    // Measured: 20 MB promoted while a settled entry still held its call's promise, 0.02 MB since.
    expect(oldSpaceUsed() - before).toBeLessThan(2_000_000);
  });

  it('only query fetches of incoming operations are keyed, by principal, operation and variables', () => {
    const options = (operation: string, principal: object | undefined, variables: object = {}) =>
      ({
        kind: 'incoming operation',
        request: { query: 'query Q { a }', operationName: 'Q', variables },
        incomingRequestContext: { operation: { operation } },
        context: { principal },
      }) as never;
    const alice = { subject: 'alice', roles: ['analyst'], scopes: [], grantedPurposes: [], purpose: null, client: { name: null, version: null }, attributes: {} };
    const bob = { ...alice, subject: 'bob' };
    expect(inflightKey(options('mutation', alice))).toBeUndefined();
    expect(inflightKey({ kind: 'health check', request: { query: '{ a }' }, context: {} } as never)).toBeUndefined();
    expect(inflightKey(options('query', alice))).toBe(inflightKey(options('query', { ...alice })));
    expect(inflightKey(options('query', alice))).not.toBe(inflightKey(options('query', bob)));
    expect(inflightKey(options('query', alice))).not.toBe(inflightKey(options('query', { ...alice, purpose: 'marketing' })));
    expect(inflightKey(options('query', alice))).not.toBe(inflightKey(options('query', alice, { first: 2 })));
  });
});

describe('in-flight sharing on the governed demo mesh', () => {
  const sink = new MemoryAuditSink();
  let mesh: RunningMesh;
  let unshared: MeshgateGateway;
  let unsharedUrl: string;
  let observed: MeshgateGateway;
  let observedUrl: string;
  let metrics: GatewayMetrics;
  // The sales `orders` resolver, slowed so that concurrent requests overlap, and counted.
  let ordersCalls = 0;

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    const query = (domains.sales.resolvers as any).Query;
    const orders = query.orders;
    query.orders = async (...args: unknown[]) => {
      ordersCalls++;
      await new Promise((r) => setTimeout(r, 150));
      return orders(...args);
    };
    const pipeline = () => createPipeline({ settings: {}, baseDir: process.cwd(), audit: sink }).plugins;
    mesh = await startMesh('sqlite', { scale: 0.05, plugins: pipeline() });
    unshared = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins: pipeline(), dedupeInflightFetches: false });
    unsharedUrl = await unshared.listen(0);
    metrics = createGatewayMetrics({ defaultMetrics: false });
    observed = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins: pipeline(), metrics });
    observedUrl = await observed.listen(0);
  }, 60_000);
  afterAll(async () => {
    await observed?.stop();
    await unshared?.stop();
    await mesh?.stop();
    vi.unstubAllEnvs();
  });

  async function askAll(url: string, subjects: string[]) {
    const tokens = await Promise.all(subjects.map((sub) => signToken({ sub, roles: ['analyst'] })));
    const before = ordersCalls;
    const events = sink.events.length;
    const bodies = await Promise.all(
      tokens.map(async (token) => {
        const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: ORDERS }) });
        return (await res.json()) as { data?: any; errors?: unknown[] };
      }),
    );
    return { bodies, calls: ordersCalls - before, events: sink.events.length - events };
  }

  it('five concurrent identical requests of one caller: one sales call, five answers, five audit events', async () => {
    const { bodies, calls, events } = await askAll(mesh.gatewayUrl, ['analyst-a', 'analyst-a', 'analyst-a', 'analyst-a', 'analyst-a']);
    for (const body of bodies) {
      expect(body.errors).toBeUndefined();
      expect(body.data).toEqual(bodies[0].data);
    }
    expect(bodies[0].data.orders.nodes).toHaveLength(3);
    expect(calls).toBe(1);
    expect(events).toBe(5);
  });

  it('different callers never share, and switched off nobody does', async () => {
    expect((await askAll(mesh.gatewayUrl, ['analyst-a', 'analyst-b', 'analyst-c'])).calls).toBe(3);
    expect((await askAll(unsharedUrl, ['analyst-a', 'analyst-a', 'analyst-a'])).calls).toBe(3);
  });

  it('counts the shared fetches in meshgate_subgraph_fetches_shared_total, by subgraph', async () => {
    const shared = async () => (await metrics.registry.getSingleMetric('meshgate_subgraph_fetches_shared_total')!.get()).values.find((v) => v.labels.subgraph === 'sales')?.value ?? 0;
    const before = await shared();
    expect((await askAll(observedUrl, ['analyst-a', 'analyst-a', 'analyst-a'])).calls).toBe(1);
    expect((await shared()) - before).toBe(2);
  });

  it('nothing is kept: the same request after the others finished calls the subgraph again', async () => {
    await askAll(mesh.gatewayUrl, ['analyst-a']);
    expect((await askAll(mesh.gatewayUrl, ['analyst-a'])).calls).toBe(1);
  });
});
