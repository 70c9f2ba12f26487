import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPipeline } from '../../gateway/pipeline';
import { startMesh, type RunningMesh } from '../support/mesh';
import { postGraphql } from '../support/subgraph';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// graphql-shield `inputRule`s see a field's arguments at the gateway, variables applied: the sales
// domain lists a customer's orders at most 50 at a time (policies/domains/sales.ts).
describe('input rules at the gateway', () => {
  let mesh: RunningMesh;
  let auth: Record<string, string>;
  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    const { plugins, policy } = createPipeline({ settings: {}, baseDir: process.cwd() });
    expect(policy.readsArguments).toBe(true);
    mesh = await startMesh('sqlite', { scale: 0.05, plugins });
    auth = { authorization: `Bearer ${await signToken({ sub: 'input', roles: ['analyst'] })}` };
  });
  afterAll(async () => {
    await mesh?.stop();
    vi.unstubAllEnvs();
  });
  const ask = (query: string, variables?: Record<string, unknown>) => postGraphql(`${mesh.gatewayUrl}/graphql`, query, variables, auth);

  it('allows a page within the rule and denies a larger one, for literals and variables alike', async () => {
    const query = 'query($n: Int) { customer(id: "C000001") { companyName orders(first: $n) { nodes { id } } } }';
    const within = await ask(query, { n: 10 });
    expect(within.errors).toBeUndefined();
    expect(within.data.customer.orders.nodes.length).toBeGreaterThan(0);
    // Same document, other variables: the plan cached for n = 10 must not be reused.
    const over = await ask(query, { n: 60 });
    expect(over.errors).toEqual([expect.objectContaining({ path: ['customer', 'orders'], extensions: expect.objectContaining({ code: 'FORBIDDEN', reason: 'sales:nestedOrderPageOfAtMost50' }) })]);
    expect(over.data.customer).toBeNull(); // orders is non-null: the null lands on customer
    expect((await ask(query, { n: 10 })).errors).toBeUndefined();
    const literal = await ask('{ customer(id: "C000001") { orders(first: 51) { nodes { id } } } }');
    expect(literal.errors?.[0].extensions.coordinate).toBe('Customer.orders');
  });

  it('leaves fields without input rules alone: a root page of 100 is fine', async () => {
    const res = await ask('{ orders(first: 100) { nodes { id } } }');
    expect(res.errors).toBeUndefined();
    expect(res.data.orders.nodes).toHaveLength(100);
  });
});
