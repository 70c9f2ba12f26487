import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadSupergraph } from '../../cli/commands/gateway';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { products, reviews, startFixture, users, type RunningFixture } from '../fixtures/foreign';
import { cli } from '../support/cli';
import { fixtureDescriptor } from '../support/data-product';
import { postGraphql } from '../support/subgraph';

describe('meshgate serves any Federation 2 supergraph', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-foreign-'));
  let running: RunningFixture[];
  let gateway: MeshgateGateway;
  let url: string;

  beforeAll(async () => {
    running = await Promise.all((['accounts', 'products', 'reviews'] as const).map(startFixture));
    // The fixtures are not Meshgate domains: each gets a descriptor written for it (without owner
    // keys) and an inline owner in the config, which stands in for those keys.
    const config = (withOwner: (name: string) => boolean, withDescriptor: (name: string) => boolean = () => true) => [
      'subgraphs:',
      ...running.flatMap((f) => [
        `  ${f.name}:`,
        `    routing_url: ${f.url}`,
        `    schema:`,
        `      subgraph_url: ${f.url}`,
        ...(withDescriptor(f.name) ? [`    descriptor: ${fixtureDescriptor(f.name, { owner: false })}`] : []),
        ...(withOwner(f.name) ? [`    owner:`, `      team: ${f.name} team`, `      contact: ${f.name}@example.com`] : []),
      ]),
    ];
    fs.writeFileSync(path.join(dir, 'supergraph.yaml'), config(() => true).join('\n'));
    fs.writeFileSync(path.join(dir, 'unowned.yaml'), config((name) => name !== 'reviews').join('\n'));
    fs.writeFileSync(path.join(dir, 'undescribed.yaml'), config(() => true, (name) => name !== 'products').join('\n'));
  });
  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(running.map((f) => f.stop()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('`meshgate compose` introspects the running subgraphs and writes the supergraph; their unclassified fields get the default classification', async () => {
    const output = path.join(dir, 'supergraph.graphql');
    const res = await cli('compose', '--config', path.join(dir, 'supergraph.yaml'), '--output', output, '--default-classification', 'INTERNAL');
    expect(res.code).toBe(0);
    expect(res.out).toContain('composed 3 subgraphs (accounts, products, reviews)');
    expect(res.err).toContain('warning: UNCLASSIFIED_FIELD: 5 field(s) of subgraph "accounts" have no classification and get the policy default INTERNAL: Query.me, Query.users, User.id, User.name, User.username');
    expect(res.err).toContain('subgraph "products" have no classification');
    expect(res.err).toContain('subgraph "reviews" have no classification');
    const sdl = fs.readFileSync(output, 'utf8');
    for (const f of running) expect(sdl).toContain(`url: "${f.url}"`);
    // The gateway start-up accepts the file only with a default classification too.
    await expect(loadSupergraph({ supergraph: output })).rejects.toMatchObject({ code: 'GOVERNANCE_FAILED' });
    expect(await loadSupergraph({ supergraph: output, defaultClassification: 'INTERNAL' })).toBe(sdl);
  });

  it('without a default classification, `meshgate compose` fails with UNCLASSIFIED_FIELD for every field of theirs, exit 1', async () => {
    const output = path.join(dir, 'never.graphql');
    const res = await cli('compose', '--config', path.join(dir, 'supergraph.yaml'), '--output', output);
    expect(res.code).toBe(1);
    expect(res.err).toContain('GOVERNANCE_FAILED: 18 problem(s) composing');
    const fields = {
      accounts: ['Query.me', 'Query.users', 'User.id', 'User.name', 'User.username'],
      products: ['Query.topProducts', 'Product.upc', 'Product.name', 'Product.price', 'Product.weight'],
      reviews: ['Review.id', 'Review.body', 'Review.author', 'Review.product', 'User.id', 'User.reviews', 'Product.upc', 'Product.reviews'],
    };
    for (const [subgraph, coordinates] of Object.entries(fields)) {
      for (const c of coordinates) expect(res.err).toContain(`UNCLASSIFIED_FIELD: Field "${c}" in subgraph "${subgraph}" has no classification`);
    }
    expect(res.err.match(/UNCLASSIFIED_FIELD/g)).toHaveLength(18);
    expect(fs.existsSync(output)).toBe(false);
  });

  it('fails with MISSING_OWNER naming a subgraph without owner, exit 1', async () => {
    const res = await cli('compose', '--config', path.join(dir, 'unowned.yaml'), '--output', path.join(dir, 'never.graphql'), '--default-classification', 'INTERNAL');
    expect(res.code).toBe(1);
    expect(res.err).toContain('GOVERNANCE_FAILED: 1 problem(s)');
    expect(res.err).toMatch(/MISSING_OWNER: Subgraph "reviews" has no owner: its descriptor \S+ lacks an owner \(owner\.team and owner\.contact\) and it has no inline owner/);
  });

  it('fails with MISSING_DESCRIPTOR naming a subgraph without descriptor, its inline owner notwithstanding, exit 1', async () => {
    const output = path.join(dir, 'never.graphql');
    const res = await cli('compose', '--config', path.join(dir, 'undescribed.yaml'), '--output', output, '--default-classification', 'INTERNAL');
    expect(res.code).toBe(1);
    expect(res.err).toContain('GOVERNANCE_FAILED: 1 problem(s)');
    expect(res.err).toContain('MISSING_DESCRIPTOR: Subgraph "products" has no data-product descriptor: give it a data-product.yaml');
    expect(fs.existsSync(output)).toBe(false);
  });

  it('answers cross-subgraph queries from the composed file', async () => {
    gateway = await createGateway({ supergraphSdl: fs.readFileSync(path.join(dir, 'supergraph.graphql'), 'utf8') });
    url = await gateway.listen(0);
    const res = await postGraphql(`${url}/graphql`, '{ topProducts(first: 3) { upc name reviews { body author { name } } } }');
    expect(res.errors).toBeUndefined();
    const expected = products.slice(0, 3).map((p) => ({
      upc: p.upc,
      name: p.name,
      reviews: reviews.filter((r) => r.upc === p.upc).map((r) => ({ body: r.body, author: { name: users.find((u) => u.id === r.authorId)!.name } })),
    }));
    expect(res.data.topProducts).toEqual(expected);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as any).subgraphs).toMatchObject({ accounts: { up: true }, products: { up: true }, reviews: { up: true } });
  });

  it('returns partial data when a subgraph dies, reports it in /health, and recovers when it returns', async () => {
    const reviewsFixture = running.find((f) => f.name === 'reviews')!;
    await reviewsFixture.stop();
    const res = await postGraphql(`${url}/graphql`, '{ topProducts(first: 2) { name reviews { body } } }');
    expect(res.data).toBeNull(); // reviews is non-null in the schema, so the null propagates up
    expect(res.errors?.length).toBeGreaterThan(0);
    const partial = await postGraphql(`${url}/graphql`, '{ me { name } topProducts(first: 1) { name } }');
    expect(partial).toEqual({ data: { me: { name: 'Ada Lovelace' }, topProducts: [{ name: 'Table' }] } });
    // /health reuses a round of probes for 2 s (gateway/health.ts): the outage shows once it expires.
    let health = await fetch(`${url}/health`);
    await vi.waitFor(
      async () => {
        health = await fetch(`${url}/health`);
        expect(health.status).toBe(503);
      },
      { timeout: 5_000, interval: 250 },
    );
    const body: any = await health.json();
    expect(body.status).toBe('degraded');
    expect(body.subgraphs.reviews).toMatchObject({ up: false, reason: 'ECONNREFUSED' });
  });

  it('names an unreachable subgraph when composing from live services, without a stack trace', async () => {
    const config = path.join(dir, 'down.yaml');
    fs.writeFileSync(config, 'subgraphs:\n  ghost:\n    routing_url: http://127.0.0.1:9/graphql\n    schema:\n      subgraph_url: http://127.0.0.1:9/graphql\n');
    const res = await cli('compose', '--config', config, '--output', path.join(dir, 'never.graphql'));
    expect(res.code).toBe(1);
    expect(res.err).toContain('SUBGRAPH_UNAVAILABLE: subgraph "ghost" at http://127.0.0.1:9/graphql did not answer (ECONNREFUSED)');
    expect(res.err).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dir, 'never.graphql'))).toBe(false);
  });

  it('prints every composition problem with its subgraph, type, field and file:line, exit 1', async () => {
    fs.writeFileSync(path.join(dir, 'a.graphql'), 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\ntype Query { a: Thing }\ntype Thing @key(fields: "id") {\n  id: ID!\n  size: Int\n}\n');
    fs.writeFileSync(path.join(dir, 'b.graphql'), 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\ntype Query { b: Thing }\ntype Thing @key(fields: "id") {\n  id: ID!\n  size: String\n}\n');
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'subgraphs:\n  alpha:\n    routing_url: http://127.0.0.1:1/graphql\n    schema: { file: a.graphql }\n  beta:\n    routing_url: http://127.0.0.1:2/graphql\n    schema: { file: b.graphql }\n');
    const res = await cli('compose', '--config', path.join(dir, 'bad.yaml'), '--output', path.join(dir, 'never.graphql'));
    expect(res.code).toBe(1);
    expect(res.err).toContain('COMPOSITION_FAILED');
    expect(res.err).toContain('FIELD_TYPE_MISMATCH: Type of field "Thing.size" is incompatible across subgraphs: it has type "Int" in subgraph "alpha" but type "String" in subgraph "beta"');
    expect(res.err).toMatch(/a\.graphql:5:3/);
    expect(res.err).toMatch(/b\.graphql:5:3/);
  });

  it('rejects an invalid config with CONFIG_INVALID naming the setting', async () => {
    fs.writeFileSync(path.join(dir, 'invalid.yaml'), 'subgraphs:\n  alpha:\n    routing_url: not-a-url\n');
    const res = await cli('compose', '--config', path.join(dir, 'invalid.yaml'));
    expect(res.code).toBe(1);
    expect(res.err).toContain('CONFIG_INVALID');
    expect(res.err).toContain('subgraphs.alpha.routing_url must be an http(s) URL');
  });
});
