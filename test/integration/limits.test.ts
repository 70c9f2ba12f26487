import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Lexer, Source, TokenKind } from 'graphql';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { MemoryAuditSink } from '../support/audit-sink';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// Abuse limits (issue #6), over the real governed pipeline and the demo mesh: for each limit, just
// under passes and just over is refused with its own code and HTTP 400, audited as rejected, and
// no subgraph is called. The test gateway runs with small limits so each case stays within the others.

const LIMITS = { maxTokens: 120, maxDepth: 7, maxIntrospectionDepth: 9, maxAliases: 3, maxRootFields: 3, maxDirectives: 3, maxSelections: 30, maxCost: 501 };

type Body = { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };

const tokensOf = (query: string) => {
  const lexer = new Lexer(new Source(query));
  let n = 0;
  while (lexer.advance().kind !== TokenKind.EOF) n++;
  return n;
};

/** `{ f { f { … } } }`-style fragment bomb: 1 KB that expands to 2^levels selections of `id`. */
function fragmentBomb(levels: number): string {
  let document = '{ customers(first: 1) { nodes { ...F0 } } }\n';
  for (let i = 0; i < levels; i++) document += `fragment F${i} on Customer { ...F${i + 1} ...F${i + 1} }\n`;
  return `${document}fragment F${levels} on Customer { id }\n`;
}

describe('abuse limits', () => {
  const sink = new MemoryAuditSink();
  let mesh: RunningMesh;
  let gateway: MeshgateGateway;
  let url: string;
  let authorization: string;
  let subgraphRequests = 0;

  async function post(query: string, extra: { variables?: Record<string, unknown>; operationName?: string; target?: string } = {}) {
    const res = await fetch(`${extra.target ?? url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query, variables: extra.variables, operationName: extra.operationName }),
    });
    return { status: res.status, body: (await res.json()) as Body };
  }

  /** Sends a query that must be refused: 400, exactly `code`, one rejected audit event, no subgraph request. */
  async function expectRefused(query: string, code: string, extra: Parameters<typeof post>[1] = {}) {
    const events = sink.events.length;
    const calls = subgraphRequests;
    const { status, body } = await post(query, extra);
    expect({ status, codes: body.errors?.map((e) => e.extensions?.code), data: body.data }).toEqual({ status: 400, codes: [code], data: undefined });
    expect(subgraphRequests).toBe(calls);
    expect(sink.events.slice(events)).toMatchObject([{ subject: 'limits-admin', outcome: 'rejected', errorCodes: [code], subgraphs: [] }]);
    return body.errors![0].message;
  }

  async function expectServed(query: string, extra: Parameters<typeof post>[1] = {}) {
    const { status, body } = await post(query, extra);
    expect({ status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
    return body.data;
  }

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    mesh = await startMesh('sqlite', { scale: 0.05 });
    for (const { service } of Object.values(mesh.services)) service.httpServer.on('request', () => subgraphRequests++);
    const { plugins } = createPipeline({ settings: { limits: LIMITS }, baseDir: process.cwd(), audit: sink });
    gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins });
    url = await gateway.listen(0);
    authorization = `Bearer ${await signToken({ sub: 'limits-admin', roles: ['admin'] })}`;
  });

  afterAll(async () => {
    await gateway?.stop();
    await mesh?.stop();
    vi.unstubAllEnvs();
  });

  it('limits tokens (graphql parse maxTokens)', async () => {
    const padded = (n: number) => `{ supportTickets(first: 1, filter: { status: [${Array(n).fill('OPEN').join(' ')}] }) { nodes { id } } }`;
    const base = tokensOf(padded(0));
    const under = padded(LIMITS.maxTokens - base);
    expect(tokensOf(under)).toBe(LIMITS.maxTokens);
    await expectServed(under);
    expect(await expectRefused(padded(LIMITS.maxTokens - base + 1), 'TOKEN_LIMIT_EXCEEDED')).toBe(
      `the document has more than ${LIMITS.maxTokens} tokens; the limit is ${LIMITS.maxTokens} (meshgate.limits.maxTokens)`,
    );
  });

  it('limits depth, fragments expanded', async () => {
    await expectServed('{ suppliers(first: 1) { nodes { products(first: 1) { nodes { reviews(first: 1) { nodes { rating } } } } } } }');
    const message = await expectRefused('{ suppliers(first: 1) { nodes { products(first: 1) { nodes { reviews(first: 1) { nodes { product { id } } } } } } } }', 'DEPTH_LIMIT_EXCEEDED');
    expect(message).toContain('8 deep; the limit is 7 (meshgate.limits.maxDepth)');
    await expectRefused(
      '{ suppliers(first: 1) { nodes { products(first: 1) { nodes { ...R } } } } } fragment R on Product { reviews(first: 1) { nodes { product { id } } } }',
      'DEPTH_LIMIT_EXCEEDED',
    );
  });

  it('limits introspection depth on its own (maxDepth does not apply), fragments expanded', async () => {
    const ofTypes = (n: number) => `${'ofType { '.repeat(n)}name${' }'.repeat(n)}`;
    // __schema, types, fields, type: 4 levels, then the ofType chain and its leaf.
    const data = await expectServed(`{ __schema { types { fields { type { ${ofTypes(4)} } } } } }`);
    expect(data.__schema.types.length).toBeGreaterThan(0);
    const message = await expectRefused(`{ __schema { types { fields { type { ${ofTypes(5)} } } } } }`, 'INTROSPECTION_DEPTH_LIMIT_EXCEEDED');
    expect(message).toContain('10 deep; the limit is 9 (meshgate.limits.maxIntrospectionDepth)');
    await expectServed(`{ __type(name: "Product") { ...T } } fragment T on __Type { fields { type { ${ofTypes(5)} } } }`);
    await expectRefused(`{ __type(name: "Product") { ...T } } fragment T on __Type { fields { type { ${ofTypes(6)} } } }`, 'INTROSPECTION_DEPTH_LIMIT_EXCEEDED');
    await expectRefused(`{ ... on Query { __type(name: "Product") { fields { type { ${ofTypes(6)} } } } } }`, 'INTROSPECTION_DEPTH_LIMIT_EXCEEDED');
    // Nested lists are graphql-js's own rule, well within the depth limit.
    await expectRefused('{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }', 'GRAPHQL_VALIDATION_FAILED');
  });

  it('limits aliases', async () => {
    await expectServed('{ customers(first: 1) { nodes { a: id b: id c: id } } }');
    await expectRefused('{ customers(first: 1) { nodes { a: id b: id ...F } } } fragment F on Customer { c: id d: id }', 'ALIAS_LIMIT_EXCEEDED');
  });

  it('limits root fields', async () => {
    await expectServed('{ __typename customers(first: 1) { totalCount } orders(first: 1) { totalCount } }');
    await expectRefused('{ __typename customers(first: 1) { totalCount } orders(first: 1) { totalCount } products(first: 1) { totalCount } }', 'ROOT_FIELD_LIMIT_EXCEEDED');
  });

  it('limits directives', async () => {
    await expectServed('{ customers(first: 1) { totalCount @skip(if: false) nodes { id @include(if: true) companyName @include(if: true) } } }');
    await expectRefused('{ customers(first: 1) @include(if: true) { totalCount @skip(if: false) nodes { id @include(if: true) companyName @include(if: true) } } }', 'DIRECTIVE_LIMIT_EXCEEDED');
  });

  it('limits selections after fragment expansion', async () => {
    const ids = (n: number) => `{ customers(first: 1) { nodes { ${'id '.repeat(n)}} } }`;
    await expectServed(ids(LIMITS.maxSelections - 2));
    await expectRefused(ids(LIMITS.maxSelections - 1), 'SELECTION_LIMIT_EXCEEDED');
    // 2 + 2·2·2·4 = 34 once expanded, from a document of 12 selections.
    await expectRefused('{ customers(first: 1) { nodes { ...A ...A } } } fragment A on Customer { ...B ...B } fragment B on Customer { ...C ...C } fragment C on Customer { id id id id }', 'SELECTION_LIMIT_EXCEEDED');
  });

  it('refuses a fragment bomb in milliseconds, before any planning', async () => {
    // The mesh's own gateway has no pipeline: the default limits apply there.
    const bomb = fragmentBomb(40);
    expect(bomb.length).toBeLessThan(2_048);
    const calls = subgraphRequests;
    const started = performance.now();
    const { status, body } = await post(bomb, { target: mesh.gatewayUrl });
    const elapsed = performance.now() - started;
    expect({ status, codes: body.errors?.map((e) => e.extensions?.code) }).toEqual({ status: 400, codes: ['SELECTION_LIMIT_EXCEEDED'] });
    expect(body.errors?.[0].message).toBe(`the operation selects ${2 ** 40 + 2} fields once its fragments are expanded; the limit is 1500 (meshgate.limits.maxSelections)`);
    expect(elapsed).toBeLessThan(1_000);
    expect(subgraphRequests).toBe(calls);
    // One small enough for the test gateway's token limit (258 fields), audited.
    await expectRefused(fragmentBomb(8), 'SELECTION_LIMIT_EXCEEDED');
  });

  it('estimates cost with page sizes from arguments, variables and defaults', async () => {
    // 1 + 10·(1 + 1 + n·(1 + 1)) = 21 + 20n: n = 24 costs 501, n = 25 costs 521.
    const query = 'query Orders($n: Int) { customers(first: 10) { nodes { orders(first: $n) { nodes { id } } } } }';
    await expectServed(query, { variables: { n: 24 } });
    expect(await expectRefused(query, 'COST_LIMIT_EXCEEDED', { variables: { n: 25 } })).toContain('estimated cost is 521');
    // Without `first`, orders' schema default (20) counts: 421 served; with 25 from the variable's default, refused.
    await expectServed('{ customers(first: 10) { nodes { orders { nodes { id } } } } }');
    await expectRefused('query Orders($n: Int = 25) { customers(first: 10) { nodes { orders(first: $n) { nodes { id } } } } }', 'COST_LIMIT_EXCEEDED');
  });

  it('costs a repeated operation the same from the cache, and an operation with variables afresh each time', async () => {
    // Variable-free operations are costed once per parsed document; the refusal must not change.
    const fixed = '{ customers(first: 10) { nodes { orders(first: 25) { nodes { id } } } } }';
    for (let i = 0; i < 3; i++) expect(await expectRefused(fixed, 'COST_LIMIT_EXCEEDED')).toContain('estimated cost is 521');
    await expectServed('{ customers(first: 10) { nodes { orders(first: 24) { nodes { id } } } } }');
    // Same document, new variables: never a cached cost.
    const query = 'query Orders($n: Int) { customers(first: 10) { nodes { orders(first: $n) { nodes { id } } } } }';
    await expectServed(query, { variables: { n: 24 } });
    expect(await expectRefused(query, 'COST_LIMIT_EXCEEDED', { variables: { n: 25 } })).toContain('estimated cost is 521');
    await expectServed(query, { variables: { n: 1 } });
  });

  it('refuses 100 × 100 × 100 items before any subgraph is called, on the default limits too', async () => {
    const cube = '{ suppliers(first: 100) { nodes { products(first: 100) { nodes { reviews(first: 100) { nodes { rating } } } } } } }';
    expect(await expectRefused(cube, 'COST_LIMIT_EXCEEDED')).toContain('estimated cost is 2020201');
    const calls = subgraphRequests;
    const { status, body } = await post(cube, { target: mesh.gatewayUrl });
    expect({ status, codes: body.errors?.map((e) => e.extensions?.code) }).toEqual({ status: 400, codes: ['COST_LIMIT_EXCEEDED'] });
    expect(subgraphRequests).toBe(calls);
  });

  it('answers an unknown operationName with 400 OPERATION_NOT_FOUND, not 500', async () => {
    const two = 'query A { __typename } query B { __typename }';
    expect(await expectRefused(two, 'OPERATION_NOT_FOUND', { operationName: 'C' })).toBe('the document has no operation named "C"');
    await expectRefused(two, 'OPERATION_NOT_FOUND');
    expect(await expectServed(two, { operationName: 'B' })).toEqual({ __typename: 'Query' });
  });

  it('hides field suggestions from validation errors', async () => {
    const { status, body } = await post('{ customer(first: 1) { id } }');
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(body)).not.toMatch(/did you mean/i);
  });

  it('validates meshgate.limits, naming the key', () => {
    const pipeline = (limits: unknown) => () => createPipeline({ settings: { limits }, baseDir: process.cwd() });
    expect(pipeline({ maxDepth: 0 })).toThrow(/meshgate\.limits\.maxDepth must be a positive integer, got 0/);
    expect(pipeline({ maxCost: '10' })).toThrow(/meshgate\.limits\.maxCost must be a positive integer/);
    expect(pipeline({ maxDepht: 3 })).toThrow(/meshgate\.limits\.maxDepht is not a limit \(known: maxBodyBytes/);
    expect(pipeline({ batching: true })).toThrow(/meshgate\.limits\.batching: batched requests are always refused/);
    expect(pipeline({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).toThrow(/meshgate\.limits\.headersTimeoutMs \(5000\) must not exceed/);
    expect(pipeline([1])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
