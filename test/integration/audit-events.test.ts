import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { getOperationAST, parse, type DocumentNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditEvent, AuditFieldUse } from '../../gateway/audit/types';
import { catalogSource } from '../../gateway/authorization/catalog';
import { createPipeline } from '../../gateway/pipeline';
import { useAudit } from '../../gateway/plugins/audit';
import { useAuthorize } from '../../gateway/plugins/authorize';
import { useMask } from '../../gateway/plugins/mask';
import type { MeshgatePlugin } from '../../gateway/plugins/types';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import type { FieldInfo, Policy } from '../../policies/types';
import { levelRank, type Classification } from '../../shared/classification';
import { ANONYMOUS } from '../../shared/principal';
import { MemoryAuditSink } from '../support/audit-sink';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// The audit step in the real governed gateway (authenticate → introspection → authorize → mask →
// audit) over the demo mesh: one event per request, matching what was asked and what left.
//
// Value counting: `values` is the number of non-null values of a coordinate in the final response
// (after masking), summed over every response position that selected it — two aliases of one
// field are one coordinate with the values of both aliases; inside lists each element counts; a
// list-valued field counts its non-null elements.

interface Caller {
  sub: string;
  roles: string[];
  purpose?: string;
}
const ANALYST: Caller = { sub: 'audit-analyst', roles: ['analyst'] };
const ADMIN: Caller = { sub: 'audit-admin', roles: ['admin'] };
const HR: Caller = { sub: 'audit-hr', roles: ['hr'], purpose: 'hr-administration' };

async function headersFor(caller: Caller, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const token = await signToken({ sub: caller.sub, roles: caller.roles, ...(caller.purpose && { purposes: [caller.purpose] }) });
  return { authorization: `Bearer ${token}`, ...(caller.purpose && { 'x-purpose': caller.purpose }), ...extra };
}

async function post(url: string, query: string, variables: Record<string, unknown> | undefined, headers: Record<string, string>) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
}

const use = (event: AuditEvent, coordinate: string): AuditFieldUse | undefined => event.fields.find((f) => f.coordinate === coordinate);
const keysDeep = (value: unknown): string[] =>
  value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => [k, ...keysDeep(v)]) : [];

describe('audit events from the governed gateway', () => {
  const sink = new MemoryAuditSink();
  const closedSink = new MemoryAuditSink();
  let mesh: RunningMesh;
  let strict: MeshgateGateway;
  let strictUrl: string;
  let closed: MeshgateGateway;
  let closedUrl: string;

  /** Sends one request and returns its response and the one event it produced. */
  async function ask(query: string, caller: Caller | null, variables?: Record<string, unknown>, options: { url?: string; headers?: Record<string, string>; events?: MemoryAuditSink } = {}) {
    const events = options.events ?? sink;
    const before = events.events.length;
    const headers = caller ? await headersFor(caller, options.headers) : (options.headers ?? {});
    const response = await post(options.url ?? mesh.gatewayUrl, query, variables, headers);
    expect(events.events.length - before).toBe(1);
    return { ...response, event: events.events[events.events.length - 1] };
  }

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    const pipeline = createPipeline({ settings: {}, baseDir: process.cwd(), audit: sink });
    mesh = await startMesh('sqlite', { scale: 0.05, plugins: pipeline.plugins });
    const strictPipeline = createPipeline({ settings: { governance: { mode: 'strict' } }, baseDir: process.cwd(), audit: sink });
    strict = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins: strictPipeline.plugins });
    strictUrl = await strict.listen(0);
    closedSink.closed.add('RESTRICTED');
    closed = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins: createPipeline({ settings: {}, baseDir: process.cwd(), audit: closedSink }).plugins });
    closedUrl = await closed.listen(0);
  });

  afterAll(async () => {
    await strict?.stop();
    await closed?.stop();
    await mesh?.stop();
    vi.unstubAllEnvs();
  });

  it('records who asked, what, every field with classification, decision and values, subgraphs and outcome', async () => {
    const { body, event } = await ask(
      'query Customers { customers(first: 3) { totalCount nodes { id companyName email } } }',
      ANALYST,
      undefined,
      { headers: { 'apollographql-client-name': 'audit-test', 'apollographql-client-version': '1.2.3' } },
    );
    expect(body.errors).toBeUndefined();
    expect(event).toMatchObject({
      subject: 'audit-analyst',
      roles: ['analyst'],
      clientName: 'audit-test',
      clientVersion: '1.2.3',
      purpose: null,
      operationName: 'Customers',
      subgraphs: ['sales'],
      outcome: 'ok',
      errorCodes: [],
    });
    expect(event.requestId).toBeTruthy();
    expect(Date.parse(event.time)).toBeGreaterThan(Date.now() - 60_000);
    expect(event.latencyMs).toBeGreaterThan(0);
    expect(event.operationHash).toMatch(/^[0-9a-f]{64}$/);
    expect(event.operationSignature).toContain('customers(first:0)');
    expect(use(event, 'Query.customers')).toMatchObject({ decision: 'allowed', values: 1, classification: { level: 'INTERNAL' } });
    expect(use(event, 'CustomerConnection.nodes')).toMatchObject({ decision: 'allowed', values: 3 });
    expect(use(event, 'Customer.companyName')).toMatchObject({ decision: 'allowed', values: 3 });
    expect(use(event, 'Customer.email')).toMatchObject({ decision: 'masked', values: 3, classification: { level: 'CONFIDENTIAL', category: 'CONTACT' } });
    expect(use(event, 'Customer.email')!.entityKeys!.sort()).toEqual(body.data.customers.nodes.map((n: any) => n.id).sort());
    expect(use(event, 'Customer.companyName')!.entityKeys).toBeUndefined();
  });

  it('adds the entity key the client did not select, reports it and removes it from the response', async () => {
    const { body: ids } = await ask('{ customers(first: 3) { nodes { id } } }', ADMIN);
    const { body, event } = await ask('{ customers(first: 3) { nodes { email } } }', ANALYST);
    expect(body.data.customers.nodes).toHaveLength(3);
    expect(keysDeep(body.data).filter((k) => k.startsWith('__meshgate'))).toEqual([]);
    for (const node of body.data.customers.nodes) expect(Object.keys(node)).toEqual(['email']);
    expect(use(event, 'Customer.email')).toMatchObject({ decision: 'masked', values: 3 });
    expect(use(event, 'Customer.email')!.entityKeys!.sort()).toEqual(ids.data.customers.nodes.map((n: any) => n.id).sort());
  });

  it('keys non-entity personal data by the nearest entity above it, and SalesRep by its id', async () => {
    const { body, event } = await ask('{ customers(first: 3) { nodes { id address { city } } } }', ADMIN);
    const withCity = body.data.customers.nodes.filter((n: any) => n.address?.city != null);
    expect(withCity.length).toBeGreaterThan(0);
    expect(use(event, 'PostalAddress.city')).toMatchObject({ decision: 'allowed', values: withCity.length });
    expect(use(event, 'PostalAddress.city')!.entityKeys!.sort()).toEqual(withCity.map((n: any) => n.id).sort());

    const reps = await ask('{ salesReps { birthDate } }', HR);
    expect(reps.body.errors).toBeUndefined();
    const { body: repIds } = await ask('{ salesReps { id birthDate } }', ADMIN);
    const born = repIds.data.salesReps.filter((r: any) => r.birthDate != null).map((r: any) => r.id);
    expect(born.length).toBeGreaterThan(0);
    expect(use(reps.event, 'SalesRep.birthDate')).toMatchObject({ decision: 'allowed', values: born.length, classification: { level: 'RESTRICTED', category: 'IDENTITY' } });
    expect(use(reps.event, 'SalesRep.birthDate')!.entityKeys!.sort()).toEqual(born.sort());
    expect(keysDeep(reps.body.data).some((k) => k.startsWith('__meshgate'))).toBe(false);
  });

  it('counts two aliases of one field as one coordinate with the values of both, through fragments', async () => {
    const { body, event } = await ask(
      `{ customers(first: 2) { nodes { ...C a: email b: email } } }
       fragment C on Customer { companyName email }`,
      ADMIN,
    );
    expect(body.errors).toBeUndefined();
    const emails = body.data.customers.nodes.flatMap((n: any) => [n.email, n.a, n.b]).filter((v: unknown) => v != null);
    expect(event.fields.filter((f) => f.coordinate === 'Customer.email')).toHaveLength(1);
    expect(use(event, 'Customer.email')).toMatchObject({ decision: 'allowed', values: emails.length });
    expect(use(event, 'Customer.companyName')).toMatchObject({ values: 2 });
    expect(use(event, 'Customer.email')!.entityKeys).toHaveLength(2);
  });

  it('records denied fields with no values and a partly denied result as partial', async () => {
    const { body, event } = await ask('{ customers(first: 2) { nodes { id } } salesReps { title } }', ANALYST);
    expect(body.data.customers.nodes).toHaveLength(2);
    expect(body.data.salesReps.length).toBeGreaterThan(0);
    expect(body.data.salesReps.every((r: any) => r.title === null)).toBe(true);
    expect(event.outcome).toBe('partial');
    expect(event.errorCodes).toEqual(['FORBIDDEN']);
    expect(use(event, 'Query.salesReps')).toMatchObject({ decision: 'allowed', values: body.data.salesReps.length });
    expect(use(event, 'SalesRep.title')).toMatchObject({ decision: 'denied', values: 0 });
    expect(use(event, 'Customer.id')).toMatchObject({ decision: 'allowed', values: 2 });
  });

  it('never records an argument value in clear: string and number literals, defaults and variables', async () => {
    const secrets = ['C000001', 'C000002', 'C000003', 'zzsecretzz', 'Ruritania'];
    const requests = [
      await ask('{ customer(id: "C000001") { companyName } customers(first: 37, filter: { search: "zzsecretzz" }) { totalCount } }', ADMIN),
      await ask('query ById($id: ID!) { customer(id: $id) { companyName } }', ADMIN, { id: 'C000002' }),
      await ask('query Def($id: ID! = "C000003", $n: Int = 41) { customer(id: $id) { companyName } customers(first: $n, filter: { country: "Ruritania" }) { totalCount } }', ADMIN),
    ];
    for (const { event } of requests) {
      const text = JSON.stringify(event);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(event.operationSignature).not.toMatch(/37|41/);
      expect(event.operationSignature).toBeTruthy();
    }
    expect(requests[0].event.operationSignature).toContain('first:0');
    expect(requests[1].event.operationSignature).toContain('customer(id:$id)');
  });

  it('gives one rejected event for a forged token, a strict-mode denial, a validation and a parse error', async () => {
    const forged = await signToken({ sub: 'mallory', roles: ['admin'] }, { key: 'not-the-secret-0123456789abcdefghijklmnopqrstu' });
    const unauth = await ask('{ customers(first: 1) { totalCount } }', null, undefined, { headers: { authorization: `Bearer ${forged}`, 'apollographql-client-name': 'forger' } });
    expect(unauth.status).toBe(401);
    expect(unauth.event).toMatchObject({ outcome: 'rejected', errorCodes: ['UNAUTHENTICATED'], subject: null, clientName: 'forger', fields: [], subgraphs: [] });
    expect(JSON.stringify(unauth.event)).not.toContain('mallory');

    const denied = await ask('{ customers(first: 1) { totalCount } salesReps { title } }', ANALYST, undefined, { url: strictUrl });
    expect(denied.status).toBe(403);
    expect(denied.event).toMatchObject({ outcome: 'rejected', errorCodes: ['FORBIDDEN'], subject: 'audit-analyst', subgraphs: [] });
    expect(use(denied.event, 'SalesRep.title')).toMatchObject({ decision: 'denied', values: 0 });
    expect(use(denied.event, 'Query.customers')).toMatchObject({ decision: 'allowed', values: 0 });

    const invalid = await ask('{ customers(first: 1) { noSuchField } }', ANALYST);
    expect(invalid.event).toMatchObject({ outcome: 'rejected', errorCodes: ['GRAPHQL_VALIDATION_FAILED'], fields: [], subgraphs: [] });
    expect(invalid.event.operationSignature).toBeTruthy();

    const unparsable = await ask('{ customers(first: "C000001"', ANALYST);
    expect(unparsable.event).toMatchObject({ outcome: 'rejected', errorCodes: ['GRAPHQL_PARSE_FAILED'], operationSignature: null, operationHash: null });
    expect(JSON.stringify(unparsable.event)).not.toContain('C000001');
  });

  it('records what dry-run mode decided, with the values that did leave', async () => {
    const dry = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins: createPipeline({ settings: { governance: { mode: 'dry-run' } }, baseDir: process.cwd(), audit: sink }).plugins });
    try {
      const { body, event } = await ask('{ salesReps { id title } }', ANALYST, undefined, { url: await dry.listen(0) });
      expect(body.errors).toBeUndefined();
      const titles = body.data.salesReps.filter((r: any) => r.title != null).length;
      expect(titles).toBeGreaterThan(0);
      expect(event.outcome).toBe('ok');
      expect(use(event, 'SalesRep.title')).toMatchObject({ decision: 'denied', values: titles });
    } finally {
      await dry.stop();
    }
  });

  it('fails closed: refuses RESTRICTED reads with AUDIT_UNAVAILABLE before any subgraph call; PUBLIC still works', async () => {
    const before = mesh.statements();
    const refused = await ask('{ salesReps { id birthDate } }', HR, undefined, { url: closedUrl, events: closedSink });
    expect(refused.status).toBe(503);
    expect(refused.body.errors?.map((e) => e.extensions.code)).toEqual(['AUDIT_UNAVAILABLE']);
    expect(refused.body.data).toBeUndefined();
    expect(mesh.statements()).toEqual(before);
    expect(refused.event).toMatchObject({ outcome: 'rejected', errorCodes: ['AUDIT_UNAVAILABLE'], subgraphs: [] });
    expect(use(refused.event, 'SalesRep.birthDate')).toMatchObject({ decision: 'allowed', values: 0 });

    const open = await ask('{ products(first: 2) { nodes { id name } } }', HR, undefined, { url: closedUrl, events: closedSink });
    expect(open.status).toBe(200);
    expect(open.body.data.products.nodes).toHaveLength(2);
    expect(open.event).toMatchObject({ outcome: 'ok', subgraphs: ['inventory'] });
  });

  it('writes exactly one event per request under concurrency', async () => {
    const before = sink.events.length;
    const headers = { analyst: await headersFor(ANALYST), admin: await headersFor(ADMIN), hr: await headersFor(HR) };
    const queries: [string, Record<string, string>][] = [
      ['{ customers(first: 2) { nodes { email } } }', headers.analyst],
      ['{ customers(first: 2) { nodes { id } } salesReps { title } }', headers.analyst],
      ['{ salesReps { birthDate } }', headers.hr],
      ['{ products(first: 1) { nodes { name } } }', headers.admin],
      ['{ nope }', headers.admin],
      ['{ customers(first: 1) { totalCount } }', { authorization: 'Bearer not.a.token' }],
    ];
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => post(mesh.gatewayUrl, queries[i % queries.length][0], undefined, queries[i % queries.length][1])));
    expect(responses).toHaveLength(200);
    const events = sink.events.slice(before);
    expect(events).toHaveLength(200);
    expect(new Set(events.map((e) => e.requestId)).size).toBe(200);
    for (const r of responses) expect(keysDeep(r.body).some((k) => k.startsWith('__meshgate'))).toBe(false);
  });
});

describe('audit events: failures, every subgraph called, and uncounted values', () => {
  const sink = new MemoryAuditSink();
  let mesh: RunningMesh;
  const gateways: MeshgateGateway[] = [];

  const serve = async (plugins: MeshgatePlugin[], extra: Partial<Parameters<typeof createGateway>[0]> = {}) => {
    const gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins, ...extra });
    gateways.push(gateway);
    return gateway.listen(0);
  };
  const pipeline = () => createPipeline({ settings: {}, baseDir: process.cwd(), audit: sink }).plugins;
  async function ask(url: string, query: string, caller: Caller = ADMIN, extra: Record<string, string> = {}) {
    const before = sink.events.length;
    const response = await post(url, query, undefined, await headersFor(caller, extra));
    expect(sink.events.length - before).toBe(1);
    return { ...response, event: sink.events[sink.events.length - 1] };
  }

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    mesh = await startMesh('sqlite', { scale: 0.05, plugins: pipeline() });
  }, 60_000);
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await mesh?.stop();
    vi.unstubAllEnvs();
  });

  it('lists every subgraph a cross-domain query called', async () => {
    const { body, event } = await ask(
      mesh.gatewayUrl,
      '{ orders(first: 2) { nodes { id customer { companyName } lines { product { name reviewCount } } shipments { status } } } }',
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.orders.nodes[0].lines[0].product.reviewCount).toEqual(expect.any(Number));
    expect(event).toMatchObject({ outcome: 'ok', errorCodes: [], subgraphs: ['customer-experience', 'inventory', 'logistics', 'sales'] });
    expect(use(event, 'Product.reviewCount')).toMatchObject({ decision: 'allowed', values: body.data.orders.nodes.flatMap((o: any) => o.lines).length });
  });

  it('a dead subgraph: partial (or error when nothing is left) with SUBGRAPH_UNAVAILABLE, its fields uncounted, the call listed', async () => {
    const url = await serve(pipeline(), { routingUrls: { logistics: 'http://127.0.0.1:9/graphql' } });
    const partial = await ask(url, '{ orders(first: 2) { nodes { id } } shipment(id: "1") { status } }');
    expect(partial.body.data.orders.nodes).toHaveLength(2);
    expect(partial.body.data.shipment).toBeNull();
    expect(partial.event).toMatchObject({ outcome: 'partial', errorCodes: ['SUBGRAPH_UNAVAILABLE'], subgraphs: ['logistics', 'sales'] });
    expect(use(partial.event, 'Order.id')).toMatchObject({ values: 2 });
    expect(use(partial.event, 'Shipment.status')).toMatchObject({ decision: 'allowed', values: 0 });

    const nothing = await ask(url, '{ carriers { name } }');
    expect(nothing.body.data).toBeNull();
    expect(nothing.event).toMatchObject({ outcome: 'error', errorCodes: ['SUBGRAPH_UNAVAILABLE'], subgraphs: ['logistics'] });
    expect(use(nothing.event, 'Carrier.name')).toMatchObject({ values: 0 });
  });

  it('an unexpected failure inside the gateway: outcome error, INTERNAL_SERVER_ERROR, the fields it asked for', async () => {
    const plugins = pipeline();
    // A pipeline step that throws once execution starts: Apollo answers 500 without willSendResponse.
    plugins.push({
      name: 'test-explode',
      apollo: {
        async requestDidStart() {
          return {
            async executionDidStart() {
              throw new Error('boom (test)');
            },
          };
        },
      },
    });
    const url = await serve(plugins);
    const { status, event } = await ask(url, 'query Boom { customers(first: 2) { nodes { id email } } }');
    expect(status).toBe(500);
    expect(event).toMatchObject({ outcome: 'error', errorCodes: ['INTERNAL_SERVER_ERROR'], operationName: 'Boom', subject: 'audit-admin' });
    expect(use(event, 'Customer.email')).toMatchObject({ decision: 'allowed', values: 0 });
    expect(JSON.stringify(event)).not.toContain('boom');
  });

  it('values it could not count are flagged AUDIT_UNCOUNTED, not recorded as plain zeros', async () => {
    const plugins = pipeline();
    const at = plugins.findIndex((p) => p.name === 'audit');
    expect(at).toBeGreaterThan(0);
    // A step between authorize and audit that changes the document after authorize planned it
    // (with a new query hash, as a replacement must): audit's walk no longer lines up with the plan.
    const extended = parse('{ customers(first: 2) { nodes { id email companyName } } }', { noLocation: true });
    plugins.splice(at, 0, {
      name: 'test-rewrite',
      apollo: {
        async requestDidStart() {
          return {
            async responseForOperation(rc) {
              const writable = rc as { document: DocumentNode; operation: unknown; queryHash: string };
              writable.document = extended;
              writable.operation = getOperationAST(extended);
              writable.queryHash = 'test-rewrite-extended';
              return null;
            },
          };
        },
      },
    });
    const url = await serve(plugins);
    const { body, event } = await ask(url, '{ customers(first: 2) { nodes { id email } } }', ANALYST);
    expect(body.data.customers.nodes).toHaveLength(2);
    expect(event.outcome).toBe('ok');
    expect(event.errorCodes).toEqual(['AUDIT_UNCOUNTED']);
    expect(use(event, 'Customer.email')).toMatchObject({ decision: 'masked', values: 0 });
    expect(use(event, 'Customer.email')!.entityKeys).toBeUndefined();
    // An aligned request through the same gateway is counted as usual.
    const counted = await ask(mesh.gatewayUrl, '{ customers(first: 2) { nodes { id email } } }', ANALYST);
    expect(counted.event.errorCodes).toEqual([]);
    expect(use(counted.event, 'Customer.email')).toMatchObject({ values: 2 });
  });
});

describe('audit events through interfaces and unions', () => {
  // The people fixture of authorize.test.ts: an interface, a union, entity keys on both types.
  const typeDefs = parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    interface Person { id: ID! name: String email: String }
    type Employee implements Person @key(fields: "id") { id: ID! name: String email: String ssn: String }
    type Customer implements Person @key(fields: "id") { id: ID! name: String email: String }
    union SearchResult = Employee | Customer
    type Query { people: [Person!]! search: [SearchResult!]! }`);
  const employees = [
    { __typename: 'Employee', id: 'e1', name: 'Ada Lovelace', email: 'ada@corp.example', ssn: '123-45-6789' },
    { __typename: 'Employee', id: 'e2', name: 'Alan Turing', email: null, ssn: '987-65-4321' },
  ];
  const customers = [{ __typename: 'Customer', id: 'c1', name: 'Grace Hopper', email: 'grace@shop.example' }];
  const classifications = new Map<string, Classification>([
    ['Query.people', { level: 'PUBLIC' }],
    ['Query.search', { level: 'PUBLIC' }],
    ...['Person', 'Employee', 'Customer'].flatMap((t) => [
      [`${t}.id`, { level: 'PUBLIC' }],
      [`${t}.name`, { level: 'INTERNAL' }],
      [`${t}.email`, { level: 'CONFIDENTIAL', category: 'CONTACT' }],
    ] as [string, Classification][]),
    ['Employee.ssn', { level: 'RESTRICTED', category: 'IDENTITY' }],
  ]);
  /** analyst: up to INTERNAL in clear, CONFIDENTIAL personal data masked, the rest denied. */
  const policy: Policy = {
    anonymous: 'deny',
    readsArguments: false,
    async decide(_principal, field: FieldInfo) {
      const rank = levelRank(field.classification.level);
      if (rank <= levelRank('INTERNAL')) return { decision: 'allow', reason: 'clearance' };
      if (rank === levelRank('CONFIDENTIAL') && field.classification.category) return { decision: 'mask', reason: 'personal-data-masked' };
      return { decision: 'deny', reason: 'clearance' };
    },
    mask: (_field, value) => (typeof value === 'string' ? `${value[0]}***` : null),
    principalKey: () => 'analyst',
  };
  const analyst: MeshgatePlugin = { name: 'test-principal', prepareContext: (_req, context) => void (context.principal = { ...ANONYMOUS, subject: 'people-analyst', roles: ['analyst'] }) };
  const sink = new MemoryAuditSink();
  let subgraph: ApolloServer;
  let gateway: MeshgateGateway;
  let url: string;

  beforeAll(async () => {
    subgraph = new ApolloServer({
      schema: buildSubgraphSchema({
        typeDefs,
        resolvers: {
          Query: { people: () => [...employees, ...customers], search: () => [...customers, ...employees] },
          Person: { __resolveType: (p: { __typename: string }) => p.__typename },
          SearchResult: { __resolveType: (p: { __typename: string }) => p.__typename },
        } as any,
      }),
    });
    const { url: subgraphUrl } = await startStandaloneServer(subgraph, { listen: { port: 0, host: '127.0.0.1' } });
    const composed = composeServices([{ name: 'people', typeDefs, url: subgraphUrl }]);
    if (composed.errors) throw composed.errors[0];
    const catalogOf = catalogSource(() => classifications);
    gateway = await createGateway({
      supergraphSdl: composed.supergraphSdl!,
      plugins: [analyst, useAuthorize({ policy, mode: 'enforce', catalogOf }), useMask({ policy }), useAudit({ sink, catalogOf })],
    });
    url = await gateway.listen(0);
  });
  afterAll(async () => {
    await gateway?.stop();
    await subgraph?.stop();
  });

  const ask = async (query: string) => {
    const before = sink.events.length;
    const res = await post(url, query, undefined, {});
    expect(sink.events.length - before).toBe(1);
    return { ...res, event: sink.events[sink.events.length - 1] };
  };

  it('counts values and keys per concrete type, through an interface field, inline fragments and a union', async () => {
    const { body, event } = await ask('{ people { id email ... on Employee { name ssn } } search { ... on Customer { email } } }');
    expect(body.data.people.map((p: any) => p.email)).toEqual(['a***', null, 'g***']);
    expect(body.data.search).toEqual([{ email: 'g***' }, {}, {}]);
    expect(keysDeep(body.data).some((k) => k.startsWith('__meshgate'))).toBe(false);
    expect(event).toMatchObject({ outcome: 'partial', errorCodes: ['FORBIDDEN'], subgraphs: ['people'] });
    // people { email } selects the interface field: decided, and counted, for every implementation.
    const email = (t: string) => event.fields.filter((f) => f.coordinate === `${t}.email`);
    expect(event.fields.map((f) => f.coordinate).sort()).toEqual(expect.arrayContaining(['Employee.name', 'Employee.ssn', 'Query.people', 'Query.search']));
    const emails = [...email('Person'), ...email('Employee'), ...email('Customer')];
    expect(emails.every((f) => f.decision === 'masked')).toBe(true);
    expect(emails.reduce((n, f) => n + f.values, 0)).toBe(3); // a***, g*** in people; g*** in search
    expect(emails.flatMap((f) => f.entityKeys ?? []).sort()).toEqual(['c1', 'c1', 'e1']);
    expect(use(event, 'Employee.name')).toMatchObject({ decision: 'allowed', values: 2 });
    expect(use(event, 'Employee.ssn')).toMatchObject({ decision: 'denied', values: 0 });
    expect(use(event, 'Employee.ssn')!.entityKeys).toEqual([]);
  });

  it('counts one response key under two type conditions per type: each coordinate its own objects', async () => {
    const { body, event } = await ask('{ search { ... on Customer { name email } ... on Employee { name email } } }');
    expect(body.data.search.map((r: any) => r.name)).toEqual(['Grace Hopper', 'Ada Lovelace', 'Alan Turing']);
    expect(use(event, 'Customer.name')).toMatchObject({ values: 1 });
    expect(use(event, 'Employee.name')).toMatchObject({ values: 2 });
    expect(use(event, 'Customer.email')).toMatchObject({ values: 1, entityKeys: ['c1'] });
    expect(use(event, 'Employee.email')).toMatchObject({ values: 1, entityKeys: ['e1'] });
  });
});
