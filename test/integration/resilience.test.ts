import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { subgraphTimeouts } from '../../gateway/subgraph-timeouts';
import { createSubgraphService } from '../../shared/subgraph-server';
import { captureLog, type CapturedLog } from '../support/log-capture';
import { startMesh, type RunningMesh } from '../support/mesh';

// Issue #6: a dead or slow subgraph costs the caller only the fields it owns. The rest of the
// result arrives, with an error naming the data product and a stable code, never the raw
// error (a bare gateway forwards `connect ECONNREFUSED 127.0.0.1:4001`), a URL, a host or a
// stack trace; the details are in the log under the request id. The gateway recovers by itself.

type Body = { data?: any; errors?: any[] };

async function post(url: string, query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Body; text: string }> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

/** A subgraph that accepts connections and requests and never answers: the slowest possible subgraph. */
async function startStalledSubgraph() {
  const held: http.ServerResponse[] = [];
  let aborted = 0;
  const server = http.createServer((req, res) => {
    held.push(res);
    req.on('close', () => (aborted += res.writableEnded ? 0 : 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    received: () => held.length,
    aborted: () => aborted,
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** A subgraph that answers 502 with an upstream proxy's page naming internal hosts. */
async function startBrokenSubgraph() {
  const server = http.createServer((_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<h1>502 Bad Gateway</h1> upstream sales-db-7.internal.example:5432 refused');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Nothing in an answer may reveal how the mesh is built or what failed inside it. */
function expectNoInternals(text: string) {
  for (const leak of ['ECONNREFUSED', '127.0.0.1', 'http://', 'internal.example', 'stacktrace', '    at ', 'TimeoutError', 'aborted']) expect(text, leak).not.toContain(leak);
}

describe('a subgraph that is down, slow or broken', () => {
  const secret = randomBytes(32).toString('base64url');
  let mesh: RunningMesh;
  let gateway: MeshgateGateway;
  let url: string;
  let log: CapturedLog;
  let stalled: Awaited<ReturnType<typeof startStalledSubgraph>>;
  let broken: Awaited<ReturnType<typeof startBrokenSubgraph>>;
  let productId: string;
  const TIMEOUT_MS = 400;

  beforeAll(async () => {
    mesh = await startMesh('sqlite', { scale: 0.02, subgraphSecret: secret });
    stalled = await startStalledSubgraph();
    broken = await startBrokenSubgraph();
    log = captureLog();
    // logistics never answers (with a short deadline of its own); customer-experience answers 502.
    gateway = await createGateway({
      supergraphSdl: mesh.supergraphSdl,
      subgraphSecret: secret,
      routingUrls: { logistics: stalled.url, 'customer-experience': broken.url },
      subgraphTimeouts: { logistics: TIMEOUT_MS },
      logger: log.logger,
    });
    url = await gateway.listen(0);
    productId = (await post(url, '{ products(first: 1) { nodes { id } } }')).body.data.products.nodes[0].id;
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await stalled?.stop();
    await broken?.stop();
    await mesh?.stop();
  });

  const ordersAndProduct = () => `{ orders(first: 2) { nodes { id } } product(id: "${productId}") { name } }`;

  it('a killed subgraph: the rest of the data, SUBGRAPH_UNAVAILABLE naming it, details only in the log; recovered once it is back', async () => {
    const before = await post(url, ordersAndProduct());
    expect(before.body.errors).toBeUndefined();
    expect(before.body.data.product.name).toEqual(expect.any(String));

    const inventory = mesh.services.inventory;
    const port = Number(new URL(inventory.url).port);
    await inventory.service.stop();

    const down = await post(url, ordersAndProduct());
    expect(down.status).toBe(200);
    expect(down.body.data.orders.nodes).toHaveLength(2);
    expect(down.body.data.product).toBeNull();
    expect(down.body.errors).toHaveLength(1);
    const [error] = down.body.errors!;
    expect(error.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'inventory', requestId: expect.any(String) });
    expect(error.message).toContain('"inventory"');
    expectNoInternals(down.text);
    const logged = log.entries().find((e) => e.requestId === error.extensions.requestId && e.subgraph === 'inventory');
    expect(logged).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', reason: 'ECONNREFUSED', level: 40 });

    // The subgraph comes back on the same address: the next request is whole again.
    const revived = await createSubgraphService(inventory.service.domain, inventory.db, undefined, { secret });
    await revived.listen(port);
    try {
      const after = await post(url, ordersAndProduct());
      expect(after.body.errors).toBeUndefined();
      expect(after.body.data.product.name).toBe(before.body.data.product.name);
    } finally {
      mesh.services.inventory.service = revived; // the mesh's teardown stops the running one
    }
  });

  it('a subgraph that never answers: SUBGRAPH_TIMEOUT after its own deadline, and its connection is released', async () => {
    const started = Date.now();
    const res = await post(url, '{ orders(first: 1) { nodes { id } } carriers { name } }');
    const elapsed = Date.now() - started;
    expect(stalled.received()).toBeGreaterThan(0);
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 2_000);
    // carriers is non-null at the root: the whole data is null, and the error says why.
    expect(res.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SUBGRAPH_TIMEOUT', serviceName: 'logistics' }) })]);
    expect(res.body.errors![0].message).toContain('"logistics"');
    expectNoInternals(res.text);
    await vi.waitFor(() => expect(stalled.aborted()).toBe(stalled.received()), { timeout: 2_000 });
    expect(log.entries().find((e) => e.requestId === res.body.errors![0].extensions.requestId)).toMatchObject({ code: 'SUBGRAPH_TIMEOUT', subgraph: 'logistics' });
  });

  it('a subgraph answering 502 from a proxy: SUBGRAPH_UNAVAILABLE, none of its body or URL', async () => {
    const res = await post(url, '{ reviews(first: 1) { nodes { id } } orders(first: 1) { nodes { id } } }');
    expect(res.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'customer-experience', requestId: expect.any(String) } })]);
    expectNoInternals(res.text);
    expect(log.entries().find((e) => e.requestId === res.body.errors![0].extensions.requestId)).toMatchObject({ reason: 'HTTP 502' });
  });

  it('in production: no landing page, no stack traces, no suggestions', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    const production = await createGateway({ supergraphSdl: mesh.supergraphSdl, subgraphSecret: secret, routingUrls: { logistics: stalled.url }, subgraphTimeouts: { logistics: 100 } });
    try {
      const prodUrl = await production.listen(0);
      const page = await fetch(`${prodUrl}/graphql`, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type')).not.toContain('text/html');
      expect(await page.text()).not.toMatch(/<html|<!doctype|sandbox|studio/i);

      const typo = await post(prodUrl, '{ ordrs(first: 1) { nodes { id } } }');
      expect(typo.body.errors![0].message).not.toMatch(/did you mean/i);
      expect(typo.text).not.toContain('orders');

      const failed = await post(prodUrl, '{ carriers { name } }');
      expect(failed.body.errors![0].extensions.code).toBe('SUBGRAPH_TIMEOUT');
      for (const answer of [typo, failed]) {
        expectNoInternals(answer.text);
        for (const e of answer.body.errors!) expect(e.extensions).not.toHaveProperty('stacktrace');
      }
    } finally {
      await production.stop();
      vi.unstubAllEnvs();
    }
  });
});

describe('meshgate.subgraphs in the config', () => {
  const names = ['inventory', 'sales'];

  it('reads a deadline for every subgraph and deadlines of particular ones', () => {
    expect(subgraphTimeouts(undefined, names)).toEqual({ bySubgraph: {} });
    expect(subgraphTimeouts({ timeoutMs: 5000, sales: { timeoutMs: 800 } }, names)).toEqual({ timeoutMs: 5000, bySubgraph: { sales: 800 } });
  });

  it.each([
    [{ timeoutMs: '5s' }, /timeoutMs must be a whole number of milliseconds/],
    [{ timeoutMs: 0 }, /timeoutMs must be a whole number/],
    [{ sales: { timeoutMs: 1.5 } }, /sales.timeoutMs must be a whole number/],
    [{ sale: { timeoutMs: 800 } }, /"sale" is neither timeoutMs nor a subgraph \(inventory, sales\)/],
    [{ sales: { timeout: 800 } }, /sales.timeout is not a setting/],
    [[1000], /must be a mapping/],
  ])('refuses %j with CONFIG_INVALID', (section, message) => {
    expect(() => subgraphTimeouts(section, names)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) }));
  });
});
