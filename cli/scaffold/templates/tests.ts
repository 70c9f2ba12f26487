import type { DomainNames } from '../names';

/** <name>.test.ts: the domain's own tests, against a real HTTP server over a seeded database. */
export const domainTestTs = (n: DomainNames) => `import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoWorld } from '../../shared/demo-data';
import { dialects } from '../../test/support/db';
import { startSubgraph, type RunningSubgraph } from '../../test/support/subgraph';
import { ${n.camel} } from './index';
import { demoItem, demoItemCount } from './seed';

const world = demoWorld(0.05);
const items = Array.from({ length: demoItemCount(world) }, (_, i) => demoItem(world, i));

describe.each(dialects)('${n.domain} subgraph on %s', (dialect) => {
  let sg: RunningSubgraph;
  beforeAll(async () => {
    sg = await startSubgraph(${n.camel}, dialect, { scale: 0.05 });
  });
  afterAll(() => sg?.stop());

  it('answers its health check', async () => {
    const res = await fetch(\`\${sg.url}/health\`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', domain: '${n.domain}' });
  });

  it('pages through every seeded item exactly once, following endCursor', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      const res: any = await sg.query(
        'query($after: String) { ${n.listField}(first: 7, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }',
        { after },
      );
      expect(res.errors).toBeUndefined();
      const page = res.data.${n.listField};
      expect(page.totalCount).toBe(items.length);
      seen.push(...page.nodes.map((node: { id: string }) => node.id));
      if (!page.pageInfo.hasNextPage) break;
      expect(pages).toBeLessThan(items.length);
      after = page.pageInfo.endCursor;
    }
    expect(seen.sort()).toEqual(items.map((item) => String(item.id)).sort());
  });

  it('refuses a page larger than 100 and a cursor it did not issue', async () => {
    const big = await sg.query('{ ${n.listField}(first: 101) { totalCount } }');
    expect(big.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    const forged = await sg.query('{ ${n.listField}(after: "bm90LWEtY3Vyc29y") { totalCount } }');
    expect(forged.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('finds an item by id, and null for an unknown one', async () => {
    const want = items[3];
    const res = await sg.query('query($id: ID!) { ${n.byIdField}(id: $id) { id name description createdAt } none: ${n.byIdField}(id: "999999") { id } }', { id: String(want.id) });
    expect(res.errors).toBeUndefined();
    expect(res.data.${n.byIdField}).toEqual({ id: String(want.id), name: want.name, description: want.description, createdAt: want.createdAt });
    expect(res.data.none).toBeNull();
  });

  it('resolves entity references in request order with one SQL statement for the whole batch', async () => {
    const ids = [items[5].id, 999999, items[0].id, items[2].id].map(String);
    const before = sg.statements();
    const res = await sg.query('query($r: [_Any!]!) { _entities(representations: $r) { ... on ${n.entity} { id name } } }', {
      r: ids.map((id) => ({ __typename: '${n.entity}', id })),
    });
    expect(res.errors).toBeUndefined();
    expect(res.data._entities.map((e: { id: string } | null) => e?.id ?? null)).toEqual([ids[0], null, ids[2], ids[3]]);
    expect(sg.statements() - before).toBe(1);
  });
});
`;
