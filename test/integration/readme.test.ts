import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMesh, type RunningMesh } from '../support/mesh';

// The README's example queries must work as written: each ```graphql block runs through the gateway.
const readme = fs.readFileSync('README.md', 'utf8');
const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]);
const nameOf = (query: string) => query.match(/query (\w+)/)?.[1] ?? 'anonymous';

describe('README example queries', () => {
  let mesh: RunningMesh;
  beforeAll(async () => {
    mesh = await startMesh('sqlite', { scale: 0.1 });
  });
  afterAll(() => mesh?.stop());

  it('has examples to run', () => expect(examples.length).toBeGreaterThanOrEqual(4));

  it.each(examples.map((q) => [nameOf(q), q]))('%s answers without errors and with data', async (_name, query) => {
    const res = await mesh.query(query);
    expect(res.errors).toBeUndefined();
    const empty = (value: unknown): boolean =>
      value === null || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && Object.values(value as object).every(empty));
    expect(empty(res.data)).toBe(false);
  });
});
