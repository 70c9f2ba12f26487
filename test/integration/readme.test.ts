import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPipeline } from '../../gateway/pipeline';
import { startMesh, type RunningMesh } from '../support/mesh';
import { postGraphql } from '../support/subgraph';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// The README's example queries must work as written, for the role each names in its first line
// (`# as: support for customer-support (denied: Type.field, …)`), through the governed gateway.
const readme = fs.readFileSync('README.md', 'utf8');
const examples = [...readme.matchAll(/```graphql\n# as: (\w+)(?: for ([\w-]+))?(?: \(denied: ([^)]*)\))?\n([\s\S]*?)```/g)].map((m) => ({
  role: m[1],
  purpose: m[2],
  denied: m[3] ? m[3].split(',').map((c) => c.trim()) : [],
  query: m[4],
  name: m[4].match(/query (\w+)/)?.[1] ?? 'anonymous',
}));

describe('README example queries', () => {
  let mesh: RunningMesh;
  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    const { plugins } = createPipeline({ settings: {}, baseDir: process.cwd() });
    mesh = await startMesh('sqlite', { scale: 0.1, plugins });
  });
  afterAll(async () => {
    await mesh?.stop();
    vi.unstubAllEnvs();
  });

  it('has examples to run, each naming its role', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    expect(readme.match(/```graphql\n/g)?.length).toBe(examples.length);
  });

  it.each(examples.map((e) => [`${e.name} as ${e.role}`, e]))('%s answers with data and exactly the denials it states', async (_name, e) => {
    const token = await signToken({ sub: 'readme', roles: [e.role], ...(e.purpose && { purposes: [e.purpose] }) });
    const headers = { authorization: `Bearer ${token}`, ...(e.purpose && { 'x-purpose': e.purpose }) };
    const res = await postGraphql(`${mesh.gatewayUrl}/graphql`, e.query, undefined, headers);
    expect((res.errors ?? []).map((err: any) => err.extensions?.coordinate ?? err.message)).toEqual(e.denied);
    const empty = (value: unknown): boolean =>
      value === null || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && Object.values(value as object).every(empty));
    expect(empty(res.data)).toBe(false);
  });

  it('shows the analyst masked contact data, as the README says', async () => {
    const example = examples.find((e) => e.name === 'AnalystViewOfACustomer')!;
    const token = await signToken({ sub: 'readme', roles: ['analyst'] });
    const res = await postGraphql(`${mesh.gatewayUrl}/graphql`, example.query, undefined, { authorization: `Bearer ${token}` });
    const customer = res.data.customer;
    expect(customer.contactName).toMatch(/^(\p{Lu}\. ?)+$/u);
    expect(customer.email).toMatch(/^\p{L}\*\*\*@/u);
    expect(res.data.salesRep).toBeNull();
    expect(res.errors?.[0]).toMatchObject({ path: ['salesRep', 'lastName'], extensions: { code: 'FORBIDDEN' } });
  });
});
