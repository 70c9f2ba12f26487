import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { domains } from '../../subgraphs';
import { runMeshgate, type MeshgateProcess } from '../support/meshgate-process';
import { postGraphql } from '../support/subgraph';


const meshgate = runMeshgate;

describe('the meshgate command, as real processes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-e2e-'));
  const procs: MeshgateProcess[] = [];
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('`meshgate start` runs every domain in its own process, seeds them, and serves the supergraph; Ctrl-C stops all', async () => {
    const config = path.join(dir, 'supergraph.yaml');
    fs.writeFileSync(
      config,
      [
        'subgraphs:',
        ...Object.values(domains).flatMap((d) => [
          `  ${d.name}:`,
          '    routing_url: http://127.0.0.1:0/graphql',
          '    schema:',
          `      file: ${d.schemaFile}`,
          `    descriptor: ${path.join(path.dirname(d.schemaFile), 'data-product.yaml')}`,
        ]),
      ].join('\n'),
    );
    const start = meshgate(['start', '--config', config, '--port', '0', '--scale', '0.02'], { MESHGATE_DATA_DIR: path.join(dir, 'data') });
    procs.push(start);
    const [, url] = await start.waitFor(/gateway ready at (http:\/\/[^\s]+\/graphql)/);
    for (const d of Object.values(domains)) {
      expect(start.out()).toMatch(new RegExp(`✓ ${d.name}\\s+http://127\\.0\\.0\\.1:\\d+/graphql`));
      expect(fs.existsSync(path.join(dir, 'data', `${d.name}.sqlite`))).toBe(true);
    }
    // Governed from the first start: anonymous callers get PUBLIC data only, so mint a token as the README says.
    const query = '{ orders(first: 2) { nodes { id total customer { companyName } lines { product { name } } shipments { status } } } }';
    const anonymous = await postGraphql(url, query);
    expect(anonymous.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const token = meshgate(['token', '--sub', 'e2e', '--roles', 'analyst'], { MESHGATE_DATA_DIR: path.join(dir, 'data'), MESHGATE_JWT_SECRET: '' });
    expect(await token.exited).toBe(0);
    const res = await postGraphql(url, query, undefined, { authorization: `Bearer ${token.out().trim()}` });
    expect(res.errors).toBeUndefined();
    // The auditor API is served beside it, for auditors only.
    const auditorToken = meshgate(['token', '--sub', 'inspector', '--roles', 'auditor'], { MESHGATE_DATA_DIR: path.join(dir, 'data'), MESHGATE_JWT_SECRET: '' });
    expect(await auditorToken.exited).toBe(0);
    const auditUrl = url.replace('/graphql', '/audit/graphql');
    const asAuditor = { authorization: `Bearer ${auditorToken.out().trim()}` };
    const chain = await postGraphql(auditUrl, '{ auditEvents(first: 10) { nodes { subject } } }', undefined, asAuditor);
    expect(chain.errors).toBeUndefined();
    expect(Array.isArray(chain.data.auditEvents.nodes)).toBe(true);
    const refused = await fetch(auditUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token.out().trim()}` }, body: JSON.stringify({ query: '{ auditEvents { nodes { subject } } }' }) });
    expect(refused.status).toBe(403);
    // So is the catalog, for any token: every demo product, freshly seeded.
    const products = await postGraphql(url.replace('/graphql', '/catalog/graphql'), '{ dataProducts { name owner { team } freshness { status } } }', undefined, {
      authorization: `Bearer ${token.out().trim()}`,
    });
    expect(products.errors).toBeUndefined();
    expect(products.data.dataProducts.map((p: any) => [p.name, p.freshness.status])).toEqual([
      ['customer-experience', 'FRESH'],
      ['inventory', 'FRESH'],
      ['logistics', 'FRESH'],
      ['sales', 'FRESH'],
    ]);
    expect((await fetch(url.replace('/graphql', '/catalog'))).status).toBe(200);
    expect(res.data.orders.nodes).toHaveLength(2);
    expect(res.data.orders.nodes[0].lines[0].product.name).toEqual(expect.any(String));
    const pids = [...start.out().matchAll(/✓ (\S+)/g)].length;
    expect(pids).toBe(4);
    start.child.kill('SIGINT');
    expect(await start.exited).toBe(0);
    await expect(fetch(url.replace('/graphql', '/health'))).rejects.toThrow();

    // Audit is on from the first start: Ctrl-C flushed both requests' events, chained and verifiable.
    const env = { MESHGATE_DATA_DIR: path.join(dir, 'data') };
    const exported = meshgate(['audit', 'export', '--format', 'jsonl'], env);
    expect(await exported.exited).toBe(0);
    const events = exported.out().trim().split('\n').map((line) => JSON.parse(line));
    // The anonymous request's only root field was denied: no data, so its outcome is 'error'. The
    // auditor API records its own use too: the auditor's query, and the analyst refused there; so
    // does the catalog API (the analyst's catalog query).
    expect(events.map((e: any) => [e.subject, e.outcome]).sort()).toEqual([[null, 'error'], ['e2e', 'ok'], ['e2e', 'ok'], ['e2e', 'rejected'], ['inspector', 'ok']].sort());
    const analystEvent = events.find((e: any) => e.subject === 'e2e');
    expect(analystEvent.fields.map((f: any) => f.coordinate)).toEqual(expect.arrayContaining(['Query.orders', 'Order.total', 'Customer.companyName']));
    const verify = meshgate(['audit', 'verify'], env);
    expect(await verify.exited).toBe(0);
  });

  it('`meshgate gateway` names subgraphs that are down at start-up, keeps serving, and reports not ready', async () => {
    const dead = 'http://127.0.0.1:9/graphql';
    const env = Object.fromEntries(Object.keys(domains).map((n) => [`SUBGRAPH_${n.replace(/-/g, '_').toUpperCase()}_URL`, dead]));
    const gw = meshgate(['gateway', '--config', 'supergraph.yaml', '--port', '0'], env);
    procs.push(gw);
    const [, url] = await gw.waitFor(/serving 4 subgraphs at (http:\/\/[^\s]+\/graphql)/);
    await gw.waitFor(/subgraph "customer-experience"/);
    for (const name of Object.keys(domains)) {
      expect(gw.err()).toContain(`warning: subgraph "${name}" at ${dead} is not answering (ECONNREFUSED)`);
    }
    expect(gw.err()).not.toMatch(/\n\s+at /);
    const health = await fetch(url.replace('/graphql', '/health'));
    expect(health.status).toBe(503);
    const res = await postGraphql(url, '{ products(first: 1) { nodes { name } } }');
    expect(res.errors?.length).toBeGreaterThan(0);
    gw.child.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
  });
});
