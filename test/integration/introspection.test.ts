import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildClientSchema, getIntrospectionQuery, isObjectType, type GraphQLSchema } from 'graphql';
import { exportJWK, generateKeyPair, type GenerateKeyPairResult } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPipeline } from '../../gateway/pipeline';
import { startMesh, type RunningMesh } from '../support/mesh';
import { postGraphql } from '../support/subgraph';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// A caller discovers only the fields it may read, and errors never suggest the others.
describe('introspection respects policy', () => {
  let mesh: RunningMesh;
  const headersFor = async (roles: string[], purpose?: string) =>
    roles.length
      ? { authorization: `Bearer ${await signToken({ sub: 'intro', roles, ...(purpose && { purposes: [purpose] }) })}`, ...(purpose && { 'x-purpose': purpose }) }
      : {};
  const schemaFor = async (roles: string[], purpose?: string): Promise<GraphQLSchema> => {
    const res = await postGraphql(`${mesh.gatewayUrl}/graphql`, getIntrospectionQuery(), undefined, await headersFor(roles, purpose));
    expect(res.errors).toBeUndefined();
    return buildClientSchema(res.data);
  };
  const fieldsOf = (schema: GraphQLSchema, type: string) => {
    const t = schema.getType(type);
    return t && isObjectType(t) ? Object.keys(t.getFields()).sort() : undefined;
  };

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    const { plugins } = createPipeline({ settings: {}, baseDir: process.cwd() });
    mesh = await startMesh('sqlite', { scale: 0.05, plugins });
  });
  afterAll(async () => {
    await mesh?.stop();
    vi.unstubAllEnvs();
  });

  it('shows an anonymous caller the PUBLIC catalogue only', async () => {
    const schema = await schemaFor([]);
    expect(fieldsOf(schema, 'Query')).toContain('products');
    expect(fieldsOf(schema, 'Query')).not.toContain('orders');
    expect(schema.getType('Customer')).toBeUndefined();
    expect(schema.getType('SalesRep')).toBeUndefined();
    expect(fieldsOf(schema, 'Product')).not.toContain('salesStats');
  });

  it('hides what an analyst may never read, and keeps what it reads masked', async () => {
    const schema = await schemaFor(['analyst']);
    expect(fieldsOf(schema, 'Customer')).toEqual(expect.arrayContaining(['companyName', 'email', 'orders']));
    expect(fieldsOf(schema, 'Customer')).not.toContain('salesSummary');
    expect(schema.getType('SalesRep')).toBeUndefined();
    expect(fieldsOf(schema, 'Order')).not.toContain('salesRep');
  });

  it('shows hr the sales reps, and admin everything', async () => {
    const hr = await schemaFor(['hr'], 'hr-administration');
    expect(fieldsOf(hr, 'SalesRep')).toEqual(expect.arrayContaining(['birthDate', 'homePhone', 'lastName']));
    const admin = await schemaFor(['admin']);
    expect(fieldsOf(admin, 'Customer')).toContain('salesSummary');
    expect(Object.keys(admin.getTypeMap()).length).toBeGreaterThan(Object.keys(hr.getTypeMap()).length);
  });

  it('suggests no field names in validation errors', async () => {
    const res = await postGraphql(`${mesh.gatewayUrl}/graphql`, '{ products { nodes { nme salesStat { revenue } } } }', undefined, await headersFor(['analyst']));
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(res.errors)).not.toMatch(/Did you mean|salesStats|"name"/);
  });

  it('suggests no field or enum value names in variable coercion errors', async () => {
    // Variables are coerced after validation (where Apollo strips suggestions): graphql-js still writes "Did you mean …?".
    const query = 'query Orders($filter: OrderFilter) { orders(first: 1, filter: $filter) { nodes { id } } }';
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ statuss: ['SHIPPED'] }, /Did you mean|\bstatus\b/],
      [{ status: ['DELIVERD'] }, /Did you mean|DELIVERED/],
      [{ customerid: 'C1' }, /Did you mean|customerId/],
    ];
    for (const [filter, suggestion] of cases) {
      const res = await postGraphql(`${mesh.gatewayUrl}/graphql`, query, { filter }, await headersFor(['analyst']));
      expect(res.errors?.map((e) => e.extensions.code), JSON.stringify(filter)).toEqual(['BAD_USER_INPUT']);
      expect(res.errors![0].message, JSON.stringify(filter)).toContain('$filter');
      expect(res.errors![0].message, JSON.stringify(filter)).not.toMatch(suggestion);
    }
  });

  it('refuses introspection mixed with data fields', async () => {
    const res = await postGraphql(`${mesh.gatewayUrl}/graphql`, '{ __schema { queryType { name } } products { nodes { name } } }', undefined, await headersFor(['analyst']));
    expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.data).toBeUndefined();
  });

  // The gateway itself would answer these from the full API schema: the filter must see through fragments.
  describe('through fragments', () => {
    const typeNames = async (query: string) => {
      const res = await postGraphql(`${mesh.gatewayUrl}/graphql`, query, undefined, await headersFor(['analyst']));
      expect(res.errors).toBeUndefined();
      return (res.data.__schema.types as { name: string }[]).map((t) => t.name);
    };

    it('filters __schema selected in a named fragment, nested fragments and inline fragments', async () => {
      for (const query of [
        'query { ...F } fragment F on Query { __schema { types { name } } }',
        'query { ...Outer } fragment Outer on Query { ...Inner } fragment Inner on Query { __schema { types { name } } }',
        'query { ... on Query { __schema { types { name } } } }',
        'query { ... { __schema { types { name } } } }',
      ]) {
        const names = await typeNames(query);
        expect(names, query).toContain('Customer');
        expect(names, query).not.toContain('SalesRep');
      }
    });

    it('filters __type selected in fragments', async () => {
      for (const query of ['query { ...F } fragment F on Query { __type(name: "SalesRep") { name } }', 'query { ... on Query { __type(name: "SalesRep") { name } } }']) {
        const res = await postGraphql(`${mesh.gatewayUrl}/graphql`, query, undefined, await headersFor(['analyst']));
        expect(res, query).toEqual({ data: { __type: null } });
      }
      const fields = await postGraphql(`${mesh.gatewayUrl}/graphql`, '{ ...F } fragment F on Query { __type(name: "Customer") { fields { name } } }', undefined, await headersFor(['analyst']));
      expect(fields.data.__type.fields.map((f: { name: string }) => f.name)).not.toContain('salesSummary');
    });

    it('refuses introspection mixed with data fields through fragments', async () => {
      for (const query of [
        'query { ...F products(first: 1) { nodes { name } } } fragment F on Query { __schema { queryType { name } } }',
        'query { __schema { queryType { name } } ...D } fragment D on Query { products(first: 1) { nodes { name } } }',
        'query { ... on Query { __type(name: "Customer") { name } } products(first: 1) { nodes { name } } }',
      ]) {
        const res = await postGraphql(`${mesh.gatewayUrl}/graphql`, query, undefined, await headersFor(['analyst']));
        expect(res.errors?.[0].extensions.code, query).toBe('BAD_USER_INPUT');
        expect(res.data, query).toBeUndefined();
      }
    });
  });
});

// Apollo Server refuses all introspection when NODE_ENV=production unless told otherwise; the
// introspection step must decide instead: anonymous callers refused, others a filtered schema.
describe('introspection in production', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-introspection-'));
  let mesh: RunningMesh;
  let rsa: GenerateKeyPairResult;
  const post = async (query: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${mesh.gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
  };
  const analyst = async () => ({ authorization: `Bearer ${await signToken({ sub: 'intro', roles: ['analyst'] }, { alg: 'RS256', key: rsa.privateKey, kid: 'k1' })}` });

  beforeAll(async () => {
    // Production verifies tokens against a JWKS only, and subgraphs only accept signed requests.
    rsa = await generateKeyPair('RS256');
    fs.writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
    vi.stubEnv('NODE_ENV', 'production');
    const { plugins } = createPipeline({ settings: { auth: { jwks_file: 'jwks.json' } }, baseDir: dir });
    mesh = await startMesh('sqlite', { scale: 0.02, plugins, subgraphSecret: randomBytes(32).toString('base64url') });
  });
  afterAll(async () => {
    await mesh?.stop();
    vi.unstubAllEnvs();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses anonymous callers with FORBIDDEN, also through fragments', async () => {
    for (const query of [getIntrospectionQuery(), '{ __type(name: "Product") { name } }', '{ ...F } fragment F on Query { __schema { types { name } } }', '{ ... on Query { __type(name: "Product") { name } } }']) {
      const res = await post(query);
      expect(res.status, query).toBe(403);
      expect(res.body.errors?.map((e) => e.extensions.code), query).toEqual(['FORBIDDEN']);
      expect(res.body.data, query).toBeUndefined();
    }
  });

  it('gives a signed-in analyst the schema filtered for analysts', async () => {
    const res = await post(getIntrospectionQuery(), await analyst());
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const schema = buildClientSchema(res.body.data);
    expect(fieldsOf(schema, 'Customer')).toEqual(expect.arrayContaining(['companyName', 'email', 'orders']));
    expect(fieldsOf(schema, 'Customer')).not.toContain('salesSummary');
    expect(schema.getType('SalesRep')).toBeUndefined();
  });

  it('still serves data to anonymous callers (only introspection is refused)', async () => {
    const res = await post('{ products(first: 1) { nodes { name } } }');
    expect(res.status).toBe(200);
    expect(res.body.data.products.nodes).toHaveLength(1);
  });
});

function fieldsOf(schema: GraphQLSchema, type: string) {
  const t = schema.getType(type);
  return t && isObjectType(t) ? Object.keys(t.getFields()).sort() : undefined;
}
