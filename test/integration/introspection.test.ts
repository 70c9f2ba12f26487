import { buildClientSchema, getIntrospectionQuery, isObjectType, type GraphQLSchema } from 'graphql';
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

  it('refuses introspection mixed with data fields', async () => {
    const res = await postGraphql(`${mesh.gatewayUrl}/graphql`, '{ __schema { queryType { name } } products { nodes { name } } }', undefined, await headersFor(['analyst']));
    expect(res.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.data).toBeUndefined();
  });
});
