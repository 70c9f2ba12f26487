import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeSubgraphs } from '../../gateway/health';
import type { MeshgatePlugin } from '../../gateway/plugins/types';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { createLogger } from '../../shared/logger';
import { ANONYMOUS, type Principal } from '../../shared/principal';
import { decodePrincipal, encodePrincipal, SIGNATURE_HEADERS, signSubgraphRequest } from '../../shared/signing';
import { createSubgraphService } from '../../shared/subgraph-server';
import { sales } from '../../subgraphs/sales';
import { createTestDb, dialects } from '../support/db';
import { startMesh, type RunningMesh } from '../support/mesh';

// Defence in depth (issue #3): subgraphs execute only requests the gateway signed, the gateway
// never exposes `_entities` or `_service`, and sales enforces its row-level rules itself on the
// principal the gateway forwards (signed).

type GraphqlBody = { data?: any; errors?: any[] };

const principal = (over: Partial<Principal>): Principal => ({ ...ANONYMOUS, client: { name: null, version: null }, attributes: {}, ...over });

/** Test-only pipeline step: the caller's principal from an `x-test-principal` JSON header (the real authenticate step is separate). */
const testPrincipal: MeshgatePlugin = {
  name: 'test-principal',
  prepareContext(req, context) {
    const raw = req.headers['x-test-principal'];
    if (typeof raw === 'string') context.principal = JSON.parse(raw) as Principal;
  },
};

interface Captured {
  headers: Record<string, string>;
  body: Buffer;
}

/** A pass-through proxy in front of one subgraph that records each request exactly as the gateway sent it. */
async function startCapturingProxy(target: string) {
  const captured: Captured[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(k))) as Record<string, string>;
    captured.push({ headers, body });
    const upstream = await fetch(target, { method: req.method, headers, body: req.method === 'POST' ? body : undefined });
    const text = Buffer.from(await upstream.arrayBuffer());
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    captured,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: GraphqlBody }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as GraphqlBody };
}

describe.each(dialects)('defence in depth, on %s', (dialect) => {
  const secret = randomBytes(32).toString('hex');
  let mesh: RunningMesh;
  let gateway: MeshgateGateway;
  let gatewayUrl: string;
  let proxy: Awaited<ReturnType<typeof startCapturingProxy>>;
  const salesUrl = () => `${mesh.services.sales.url}/graphql`;
  const salesDb = () => mesh.services.sales.db.knex;

  /** Through the test gateway (sales behind the capturing proxy), as `who`. */
  const ask = async (query: string, who: Principal = ANONYMOUS, variables?: Record<string, unknown>) =>
    (await post(`${gatewayUrl}/graphql`, JSON.stringify({ query, variables }), { 'x-test-principal': JSON.stringify(who) })).body;

  beforeAll(async () => {
    mesh = await startMesh(dialect, { scale: 0.1, subgraphSecret: secret });
    proxy = await startCapturingProxy(salesUrl());
    gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, subgraphSecret: secret, plugins: [testPrincipal], routingUrls: { sales: proxy.url } });
    gatewayUrl = await gateway.listen(0);
  });
  afterAll(async () => {
    await gateway?.stop();
    await proxy?.stop();
    await mesh?.stop();
  });

  describe('a signing subgraph', () => {
    it('refuses direct unsigned calls with 401 SIGNATURE_INVALID and executes nothing', async () => {
      const before = mesh.statements().sales;
      for (const query of ['{ __typename }', '{ _service { sdl } }', '{ _entities(representations: [{ __typename: "Order", id: "1" }]) { ... on Order { id total } } }', '{ orders { totalCount } }']) {
        const res = await post(salesUrl(), JSON.stringify({ query }));
        expect(res.status, query).toBe(401);
        expect(res.body, query).toEqual({ errors: [{ message: 'request is not signed by the gateway', extensions: { code: 'SIGNATURE_INVALID' } }] });
      }
      const get = await fetch(`${salesUrl()}?query=${encodeURIComponent('{ _service { sdl } }')}`, { headers: { 'apollo-require-preflight': 'true' } });
      expect(get.status).toBe(401);
      expect(((await get.json()) as GraphqlBody).errors![0].extensions.code).toBe('SIGNATURE_INVALID');
      expect(mesh.statements().sales).toBe(before);
    });

    it('refuses a forged signature (wrong secret) and a principal header without a signature', async () => {
      const body = JSON.stringify({ query: '{ _service { sdl } }' });
      const forged = signSubgraphRequest({ body, principal: ANONYMOUS, secret: randomBytes(32).toString('hex') });
      expect(await post(salesUrl(), body, forged)).toMatchObject({ status: 401, body: { errors: [{ extensions: { code: 'SIGNATURE_INVALID' } }] } });
      const claimed = { [SIGNATURE_HEADERS.principal]: encodePrincipal(principal({ subject: 'x', roles: ['admin'] })) };
      expect(await post(salesUrl(), body, claimed)).toMatchObject({ status: 401, body: { errors: [{ extensions: { code: 'SIGNATURE_INVALID' } }] } });
    });

    it('answers a correctly signed request, _service included (that is what the gateway may do)', async () => {
      const body = JSON.stringify({ query: '{ _service { sdl } }' });
      const res = await post(salesUrl(), body, signSubgraphRequest({ body, principal: ANONYMOUS, secret }));
      expect(res.status).toBe(200);
      expect(res.body.data._service.sdl).toContain('type Order');
    });

    it('keeps /health and /stats unsigned', async () => {
      expect((await fetch(`${mesh.services.sales.url}/health`)).status).toBe(200);
      expect((await fetch(`${mesh.services.sales.url}/stats`)).status).toBe(200);
    });

    it('accepts what the gateway sent, once: a captured request replayed is refused, tampered copies too', async () => {
      const who = principal({ subject: 'analyst-1', roles: ['analyst'] });
      const first = proxy.captured.length;
      const res = await ask('{ order(id: "1") { id status } }', who);
      expect(res.errors).toBeUndefined();
      expect(res.data.order.id).toBe('1');
      const sent = proxy.captured.slice(first);
      expect(sent).toHaveLength(1);
      const request = sent[0];
      // What the gateway sent: signed, with the context's principal.
      for (const name of Object.values(SIGNATURE_HEADERS)) expect(request.headers[name], name).toBeTruthy();
      expect(decodePrincipal(request.headers[SIGNATURE_HEADERS.principal])).toEqual(who);

      const before = mesh.statements().sales;
      const replay = await post(salesUrl(), request.body.toString('utf8'), request.headers);
      expect(replay).toEqual({ status: 401, body: { errors: [{ message: 'request was already accepted once (replayed nonce)', extensions: { code: 'REPLAYED_REQUEST' } }] } });

      const tamperedBody = request.body.toString('utf8').replace('status', 'requiredDate');
      expect(tamperedBody).not.toBe(request.body.toString('utf8'));
      expect((await post(salesUrl(), tamperedBody, request.headers)).body.errors![0].extensions.code).toBe('SIGNATURE_INVALID');
      const escalated = { ...request.headers, [SIGNATURE_HEADERS.principal]: encodePrincipal({ ...who, roles: ['admin'] }) };
      expect((await post(salesUrl(), request.body.toString('utf8'), escalated)).body.errors![0].extensions.code).toBe('SIGNATURE_INVALID');
      const renonced = { ...request.headers, [SIGNATURE_HEADERS.nonce]: randomBytes(16).toString('base64url') };
      expect((await post(salesUrl(), request.body.toString('utf8'), renonced)).body.errors![0].extensions.code).toBe('SIGNATURE_INVALID');
      expect(mesh.statements().sales).toBe(before);
    });

    it('signs the gateway readiness probes: up with the shared secret, down (401) without or with another', async () => {
      const targets = Object.entries(mesh.services).map(([name, s]) => ({ name, url: `${s.url}/graphql` }));
      expect((await probeSubgraphs(targets, 2_000, { secret })).every((r) => r.up)).toBe(true);
      const other = await probeSubgraphs(targets, 2_000, { secret: randomBytes(32).toString('hex') });
      expect(other.map((r) => [r.up, r.reason])).toEqual(targets.map(() => [false, 'HTTP 401 SIGNATURE_INVALID']));
      const saved = process.env.MESHGATE_SUBGRAPH_SECRET;
      delete process.env.MESHGATE_SUBGRAPH_SECRET;
      try {
        expect((await probeSubgraphs(targets, 2_000)).every((r) => !r.up && r.reason === 'HTTP 401 SIGNATURE_INVALID')).toBe(true);
        // In production the secret comes from the environment, and the gateway's /health uses it.
        process.env.MESHGATE_SUBGRAPH_SECRET = secret;
        const health = await fetch(`${gatewayUrl}/health`);
        expect(health.status).toBe(200);
      } finally {
        if (saved === undefined) delete process.env.MESHGATE_SUBGRAPH_SECRET;
        else process.env.MESHGATE_SUBGRAPH_SECRET = saved;
      }
    });
  });

  describe('the gateway', () => {
    it('answers cross-domain queries end to end with signing on', async () => {
      const res = await mesh.query(`{ orders(first: 5, orderBy: { field: ID, direction: ASC }) { totalCount nodes {
        id total customer { id companyName } lines { product { name averageRating } } shipments { status carrier { name } }
      } } }`);
      expect(res.errors).toBeUndefined();
      expect(res.data.orders.nodes).toHaveLength(5);
      const [{ n }] = await salesDb()('orders').count({ n: '*' });
      expect(res.data.orders.totalCount).toBe(Number(n));
      for (const order of res.data.orders.nodes) {
        const row = await salesDb()('orders').join('customers', 'customers.id', 'orders.customer_id').where('orders.id', Number(order.id)).first('customers.id', 'customers.company_name');
        expect(order.customer).toEqual({ id: row.id, companyName: row.company_name });
        expect(order.lines.length).toBeGreaterThan(0);
      }
    });

    it('has no _entities or _service in its API schema', async () => {
      const res = await mesh.query('{ __schema { queryType { fields { name } } types { name } } }');
      expect(res.errors).toBeUndefined();
      const fields = res.data.__schema.queryType.fields.map((f: { name: string }) => f.name);
      expect(fields).toContain('orders');
      expect(fields).not.toContain('_entities');
      expect(fields).not.toContain('_service');
      const types = res.data.__schema.types.map((t: { name: string }) => t.name);
      for (const name of ['_Entity', '_Any', '_Service']) expect(types).not.toContain(name);
    });

    it('refuses _entities and _service as validation errors, without calling any subgraph', async () => {
      const before = proxy.captured.length;
      const statements = mesh.statements();
      for (const query of [
        '{ _service { sdl } }',
        '{ _entities(representations: [{ __typename: "Order", id: "1" }]) { ... on Order { id total } } }',
        'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
      ]) {
        const res = await ask(query, principal({ subject: 'admin', roles: ['admin'] }), { r: [{ __typename: 'Customer', id: 'C000001' }] });
        expect(res.data, query).toBeUndefined();
        expect(res.errors!.length, query).toBeGreaterThan(0);
        expect(res.errors!.every((e) => e.extensions.code === 'GRAPHQL_VALIDATION_FAILED'), JSON.stringify(res.errors)).toBe(true);
      }
      expect(proxy.captured.length).toBe(before);
      expect(mesh.statements()).toEqual(statements);
    });
  });

  describe('row-level rules in sales, on the forwarded principal', () => {
    let own: string;
    let other: string;
    let customer: Principal;
    let ownOrder: number;
    let otherOrder: number;

    beforeAll(async () => {
      const ranked = await salesDb()('orders').select('customer_id').count({ n: '*' }).groupBy('customer_id').orderBy([{ column: 'n', order: 'desc' }, 'customer_id']) as { customer_id: string }[];
      own = ranked[0].customer_id;
      other = ranked[1].customer_id;
      customer = principal({ subject: 'shop-user-1', roles: ['customer'], attributes: { customerId: own } });
      ownOrder = (await salesDb()('orders').where('customer_id', own).orderBy('id').first('id')).id;
      otherOrder = (await salesDb()('orders').where('customer_id', other).orderBy('id').first('id')).id;
    });

    const ownOrderIds = async (limit = 100) =>
      (await salesDb()('orders').where('customer_id', own).orderBy('id').limit(limit).select('id')).map((r: { id: number }) => String(r.id));
    const ownOrderCount = async () => Number((await salesDb()('orders').where('customer_id', own).count({ n: '*' }))[0].n);

    it('orders: a customer gets exactly its own orders, filtered in SQL (pages and totalCount)', async () => {
      const res = await ask('{ orders(first: 100, orderBy: { field: ID, direction: ASC }) { totalCount pageInfo { hasNextPage } nodes { id customer { id } } } }', customer);
      expect(res.errors).toBeUndefined();
      expect(res.data.orders.nodes.map((o: { id: string }) => o.id)).toEqual(await ownOrderIds());
      expect(res.data.orders.totalCount).toBe(await ownOrderCount());
      expect(res.data.orders.pageInfo.hasNextPage).toBe(false);
      expect(new Set(res.data.orders.nodes.map((o: any) => o.customer.id))).toEqual(new Set([own]));
      // Paging stays inside the customer's rows.
      const page1 = await ask('{ orders(first: 2, orderBy: { field: ID, direction: ASC }) { pageInfo { endCursor hasNextPage } nodes { id } } }', customer);
      const page2 = await ask('query($a: String) { orders(first: 100, after: $a, orderBy: { field: ID, direction: ASC }) { nodes { id } } }', customer, { a: page1.data.orders.pageInfo.endCursor });
      expect([...page1.data.orders.nodes, ...page2.data.orders.nodes].map((o: any) => o.id)).toEqual(await ownOrderIds());
    });

    it('orders: filtering for another customer gives nothing; other filters still apply', async () => {
      const res = await ask(`{ orders(filter: { customerId: "${other}" }) { totalCount nodes { id } } }`, customer);
      expect(res.errors).toBeUndefined();
      expect(res.data.orders).toEqual({ totalCount: 0, nodes: [] });
      const delivered = await ask('{ orders(first: 100, filter: { status: [DELIVERED] }) { totalCount nodes { id } } }', customer);
      const [{ n }] = await salesDb()('orders').where({ customer_id: own, status: 'DELIVERED' }).count({ n: '*' });
      expect(delivered.data.orders.totalCount).toBe(Number(n));
    });

    it('order(id) and customer(id) of another customer answer null, exactly like an unknown id', async () => {
      const res = await ask(`{
        mine: order(id: "${ownOrder}") { id customer { id } }
        theirs: order(id: "${otherOrder}") { id total customer { id } }
        missing: order(id: "99999999") { id }
        me: customer(id: "${own}") { id companyName }
        them: customer(id: "${other}") { id companyName }
        nobody: customer(id: "NO-SUCH") { id }
      }`, customer);
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({
        mine: { id: String(ownOrder), customer: { id: own } },
        theirs: null,
        missing: null,
        me: { id: own, companyName: expect.any(String) },
        them: null,
        nobody: null,
      });
    });

    it('customers: a customer sees only its own record', async () => {
      const res = await ask('{ customers(first: 100) { totalCount nodes { id } } }', customer);
      expect(res.errors).toBeUndefined();
      expect(res.data.customers).toEqual({ totalCount: 1, nodes: [{ id: own }] });
      const filtered = await ask('{ customers(filter: { search: "zzz-no-such-name" }) { totalCount nodes { id } } }', customer);
      expect(filtered.data.customers).toEqual({ totalCount: 0, nodes: [] });
    });

    it('nested lists stay scoped: a customer’s own orders, and a sales rep’s orders narrowed to the customer', async () => {
      const res = await ask(`{
        customer(id: "${own}") { orders(first: 100) { totalCount nodes { id } } salesSummary { orderCount } }
        salesReps { orders(first: 100) { totalCount nodes { customer { id } } } }
      }`, customer);
      expect(res.errors).toBeUndefined();
      expect(res.data.customer.orders.totalCount).toBe(await ownOrderCount());
      const repOrders = res.data.salesReps.flatMap((r: any) => r.orders.nodes);
      expect(new Set(repOrders.map((o: any) => o.customer.id))).toEqual(new Set([own]));
      expect(res.data.salesReps.reduce((n: number, r: any) => n + r.orders.totalCount, 0)).toBe(await ownOrderCount());
    });

    it('entities another subgraph points at are refused FORBIDDEN: another customer’s Order and Customer via _entities', async () => {
      // Logistics and customer-experience show their own rows (their rules are their business); the
      // sales fields of another customer's order or customer come from sales' _entities, which refuses them.
      const logistics = mesh.services.logistics.db.knex;
      const ownIds = await ownOrderIds(100_000);
      const ownShipment = await logistics('shipments').whereIn('order_id', ownIds.map(Number)).orderBy('id').first('id', 'order_id');
      const otherShipment = await logistics('shipments').whereNotIn('order_id', ownIds.map(Number)).orderBy('id').first('id', 'order_id');
      const otherReview = await mesh.services['customer-experience'].db.knex('reviews').whereNot('customer_id', own).orderBy('id').first('id', 'customer_id');
      expect(ownShipment && otherShipment && otherReview).toBeTruthy();
      const res = await ask(`{
        mine: shipment(id: "${ownShipment.id}") { id order { id total customer { id } } }
        theirs: shipment(id: "${otherShipment.id}") { id order { id total customer { id } } }
        review(id: "${otherReview.id}") { id customer { id companyName } }
      }`, customer);
      expect(res.data.mine).toMatchObject({ id: String(ownShipment.id), order: { id: String(ownShipment.order_id), total: expect.any(Number), customer: { id: own } } });
      // Order! and Customer! are non-null there, so the refusal nulls the shipment and the review.
      expect(res.data.theirs).toBeNull();
      expect(res.data.review).toBeNull();
      expect(res.errors!.map((e) => [e.extensions.code, e.extensions.serviceName, e.path[0]]).sort()).toEqual([
        ['FORBIDDEN', 'sales', 'review'],
        ['FORBIDDEN', 'sales', 'theirs'],
      ]);
      expect(JSON.stringify(res)).not.toContain(otherReview.customer_id);
      // The same entities, asked for directly with a signed request on behalf of the customer.
      const body = JSON.stringify({
        query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id total } ... on Customer { id companyName } } }',
        variables: { r: [{ __typename: 'Order', id: String(ownOrder) }, { __typename: 'Order', id: String(otherOrder) }, { __typename: 'Customer', id: own }, { __typename: 'Customer', id: other }] },
      });
      const direct = await post(salesUrl(), body, signSubgraphRequest({ body, principal: customer, secret }));
      expect(direct.status).toBe(200);
      expect(direct.body.data._entities[0]).toMatchObject({ id: String(ownOrder) });
      expect(direct.body.data._entities[1]).toBeNull();
      expect(direct.body.data._entities[2]).toMatchObject({ id: own });
      expect(direct.body.data._entities[3]).toBeNull();
      expect(new Set(direct.body.errors!.map((e) => e.extensions.code))).toEqual(new Set(['FORBIDDEN']));
      expect(new Set(direct.body.errors!.map((e) => e.path[1]))).toEqual(new Set([1, 3]));
    });

    it('a customer principal without a customerId reads no customer rows at all', async () => {
      const lost = principal({ subject: 'shop-user-2', roles: ['customer'] });
      const res = await ask(`{ orders { totalCount nodes { id } } customers { totalCount } order(id: "${ownOrder}") { id } customer(id: "${own}") { id } }`, lost);
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ orders: { totalCount: 0, nodes: [] }, customers: { totalCount: 0 }, order: null, customer: null });
    });

    it('leaves non-customer principals (and ANONYMOUS) unaffected', async () => {
      const [{ n: orders }] = await salesDb()('orders').count({ n: '*' });
      const [{ n: customers }] = await salesDb()('customers').count({ n: '*' });
      for (const who of [ANONYMOUS, principal({ subject: 'analyst-1', roles: ['analyst'] }), principal({ subject: 'support-1', roles: ['support'], attributes: { customerId: own } })]) {
        const res = await ask(`{ orders { totalCount } customers { totalCount } them: customer(id: "${other}") { id } theirs: order(id: "${otherOrder}") { id } }`, who);
        expect(res.errors, JSON.stringify(who)).toBeUndefined();
        expect(res.data).toEqual({ orders: { totalCount: Number(orders) }, customers: { totalCount: Number(customers) }, them: { id: other }, theirs: { id: String(otherOrder) } });
      }
    });
  });
});

describe('a subgraph without a secret', () => {
  it('refuses to start in production (CONFIG_INVALID), and refuses a secret too short to be one', async () => {
    const db = createTestDb('sqlite', 'sales');
    const logger = createLogger('sales', 'silent');
    try {
      await expect(createSubgraphService(sales, db, logger, { env: { NODE_ENV: 'production' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(createSubgraphService(sales, db, logger, { env: { NODE_ENV: 'production', MESHGATE_SUBGRAPH_SECRET: '' } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(createSubgraphService(sales, db, logger, { secret: 'short' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(createGateway({ supergraphSdl: 'x', subgraphSecret: 'short' })).rejects.toBeDefined();
    } finally {
      await db.close();
    }
  });

  it('in development accepts unsigned requests as ANONYMOUS and never trusts an unsigned principal header', async () => {
    const db = createTestDb('sqlite', 'sales');
    const { prepareDatabase } = await import('../../shared/subgraph-main');
    await prepareDatabase(sales, db, { scale: 0.02 });
    const service = await createSubgraphService(sales, db, createLogger('sales', 'silent'), { env: { NODE_ENV: 'development' } });
    const url = `${await service.listen(0)}/graphql`;
    try {
      const [{ n }] = await db.knex('customers').count({ n: '*' });
      const claimed = { [SIGNATURE_HEADERS.principal]: encodePrincipal(principal({ subject: 'c', roles: ['customer'], attributes: { customerId: 'C000001' } })) };
      const res = await post(url, JSON.stringify({ query: '{ customers { totalCount } }' }), claimed);
      expect(res).toEqual({ status: 200, body: { data: { customers: { totalCount: Number(n) } } } });
    } finally {
      await service.stop();
      await db.close();
    }
  });
});
