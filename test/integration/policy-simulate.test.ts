import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuditWriter, type AuditWriter } from '../../gateway/audit/writer';
import { openAuditStore, type AuditStoreConfig } from '../../gateway/audit/store';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { createDb, type Dialect } from '../../shared/db';
import { auditEvent } from '../support/audit-events';
import { cli } from '../support/cli';
import { dialects, TEST_DATABASE_URL } from '../support/db';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// `meshgate policy simulate` over an audit trail written by the real governed gateway: real
// requests, the real writer, the real store (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).

const root = path.resolve(__dirname, '../..');
const config = path.join(root, 'supergraph.yaml');
const currentPolicy = fs.readFileSync(path.join(root, 'policies/policy.yaml'), 'utf8');

const SUPPORT_GRANT = `    clear:
      - categories: [CONTACT]
        upTo: CONFIDENTIAL
        purposes: [customer-support]
`;

interface Caller {
  sub: string;
  roles: string[];
  purpose?: string;
  client: string;
}
const SUPPORT: Caller = { sub: 'sim-support', roles: ['support'], purpose: 'customer-support', client: 'desk' };
const ANALYST: Caller = { sub: 'sim-analyst', roles: ['analyst'], client: 'bi' };
const HR: Caller = { sub: 'sim-hr', roles: ['hr'], purpose: 'hr-administration', client: 'people' };

async function ask(url: string, query: string, caller: Caller) {
  const token = await signToken({ sub: caller.sub, roles: caller.roles, ...(caller.purpose && { purposes: [caller.purpose] }) });
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'apollographql-client-name': caller.client,
      ...(caller.purpose && { 'x-purpose': caller.purpose }),
    },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { data?: any; errors?: any[] };
  expect(body.errors).toBeUndefined();
  return body;
}

/** A store of its own: an SQLite file, or a fresh PostgreSQL schema (named to the CLI by MESHGATE_AUDIT_DB_SCHEMA). */
function storeFor(dialect: Dialect, dir: string): { config: AuditStoreConfig; auditUrl: string; schema?: string; cleanup(): Promise<void> } {
  if (dialect === 'postgres') {
    const schema = `t_${randomBytes(4).toString('hex')}_policy_sim`;
    return {
      config: { url: TEST_DATABASE_URL, schema, chain: 'sim' },
      auditUrl: TEST_DATABASE_URL!,
      schema,
      async cleanup() {
        const db = createDb({ url: TEST_DATABASE_URL });
        await db.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
        await db.close();
      },
    };
  }
  const file = path.join(dir, 'audit.sqlite');
  return { config: { sqliteFile: file, chain: 'sim' }, auditUrl: file, cleanup: async () => undefined };
}

describe.each(dialects)('meshgate policy simulate over an audit trail on %s', (dialect: Dialect) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-policy-sim-'));
  const store = storeFor(dialect, dir);
  let mesh: RunningMesh;
  let gateway: MeshgateGateway | undefined;
  let writer: AuditWriter;
  const policyFile = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const simulate = (...args: string[]) => cli('policy', 'simulate', '--config', config, '--audit-url', store.auditUrl, ...args);

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    if (store.schema) vi.stubEnv('MESHGATE_AUDIT_DB_SCHEMA', store.schema);
    const auditStore = await openAuditStore(store.config);
    writer = createAuditWriter(auditStore, { flushIntervalMs: 10 });
    const { plugins } = createPipeline({ settings: {}, baseDir: root, audit: writer });
    mesh = await startMesh('sqlite', { scale: 0.05 });
    gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins });
    const url = await gateway.listen(0);
    const support = await ask(url, 'query SupportLookup { customer(id: "C000001") { id companyName email } }', SUPPORT);
    expect(support.data.customer.email).toContain('@'); // in clear today
    await ask(url, 'query Overview { customers(first: 2) { nodes { id companyName } } products(first: 2) { nodes { name } } }', ANALYST);
    await ask(url, 'query Overview { customers(first: 2) { nodes { id companyName } } products(first: 2) { nodes { name } } }', ANALYST);
    await ask(url, 'query Reps { orders(first: 1) { nodes { id salesRep { lastName } } } }', HR);
    await gateway.stop();
    gateway = undefined;
    await writer.close(); // every event written, and the store released
    // The same support lookup, by another client, 40 days ago: outside the default window of 30 days.
    const archive = await openAuditStore({ ...store.config, chain: 'sim-archive' });
    await archive.append([auditEvent({ time: new Date(Date.now() - 40 * 86_400_000).toISOString(), clientName: 'old-desk', operationName: 'OldLookup' })]);
    await archive.close();
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await mesh?.stop();
    await store.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  it('names the client, operation and coordinates each role would lose; operations left as they are go unlisted', async () => {
    expect(currentPolicy).toContain(SUPPORT_GRANT);
    const proposed = policyFile(
      'proposed.yaml',
      currentPolicy.replace(SUPPORT_GRANT, '').replace(/(  analyst:\n    clearance: )INTERNAL/, '$1PUBLIC'),
    );
    const res = await simulate('--policy', proposed, '--json');
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.out);
    expect(report.events).toBe(4);
    expect(report.changed).toBe(true);
    expect(report.operations.map((o: any) => [o.client, o.operation, o.roles, o.events])).toEqual([
      ['bi', 'Overview', ['analyst'], 2],
      ['desk', 'SupportLookup', ['support'], 1],
    ]);
    const [analyst, support] = report.operations;
    expect(support.purpose).toBe('customer-support');
    expect(support.lost).toEqual([{ coordinate: 'Customer.email', from: 'allow', to: 'mask' }]);
    expect(support.gained).toEqual([]);
    // Analysts keep PUBLIC fields and lose the INTERNAL ones.
    expect(analyst.lost).toEqual(expect.arrayContaining([{ coordinate: 'Customer.companyName', from: 'allow', to: 'deny' }, { coordinate: 'Query.customers', from: 'allow', to: 'deny' }]));
    expect(analyst.lost.map((c: any) => c.coordinate)).not.toContain('Product.name');
    expect(analyst.lost.map((c: any) => c.coordinate)).not.toContain('Query.products');

    const text = await simulate('--policy', proposed);
    expect(text.code).toBe(0);
    expect(text.out).toContain('replayed 4 recorded operation(s)');
    expect(text.out).toContain('client desk, operation SupportLookup, roles support, purpose customer-support (1 event(s)):\n  loses  Customer.email allow -> mask');
    expect(text.out).toContain('client bi, operation Overview, roles analyst (2 event(s)):');
    expect(text.out).not.toContain('people');
  });

  it('reports gains too: the reverse change gives support clear e-mail back', async () => {
    // Simulate from a stricter current policy by swapping the roles of current and proposed.
    const stricter = policyFile('stricter.yaml', currentPolicy.replace(SUPPORT_GRANT, ''));
    const configFile = path.join(dir, 'stricter-config.yaml');
    fs.writeFileSync(configFile, `${fs.readFileSync(config, 'utf8').replace(/\.\/subgraphs\//g, `${root}/subgraphs/`)}\nmeshgate:\n  policy: ${stricter}\n`);
    const res = await cli('policy', 'simulate', '--config', configFile, '--audit-url', store.auditUrl, '--policy', path.join(root, 'policies/policy.yaml'), '--json');
    expect(res.code).toBe(0);
    const report = JSON.parse(res.out);
    expect(report.operations).toHaveLength(1);
    expect(report.operations[0]).toMatchObject({ client: 'desk', operation: 'SupportLookup', lost: [], gained: [{ coordinate: 'Customer.email', from: 'mask', to: 'allow' }] });
  });

  it('an identical policy reports no change', async () => {
    const same = policyFile('same.yaml', currentPolicy);
    const res = await simulate('--policy', same, '--json');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({ events: 4, changed: false, operations: [] });
    const text = await simulate('--policy', same);
    expect(text.out).toContain('no change: every recorded field is decided as the current policy decides it');
  });

  it('replays only what --since covers: an operation 40 days old counts with --since 60d, not by default; a window after every event replays nothing', async () => {
    const proposed = policyFile('no-support-grant.yaml', currentPolicy.replace(SUPPORT_GRANT, ''));
    const month = JSON.parse((await simulate('--policy', proposed, '--json')).out);
    expect(month).toMatchObject({ events: 4, changed: true });
    expect(month.operations.map((o: any) => o.client)).toEqual(['desk']);

    const twoMonths = JSON.parse((await simulate('--policy', proposed, '--since', '60d', '--json')).out);
    expect(twoMonths.events).toBe(5);
    expect(twoMonths.operations.map((o: any) => [o.client, o.operation, o.events, o.lost])).toEqual([
      ['desk', 'SupportLookup', 1, [{ coordinate: 'Customer.email', from: 'allow', to: 'mask' }]],
      ['old-desk', 'OldLookup', 1, [{ coordinate: 'Customer.email', from: 'allow', to: 'mask' }]],
    ]);

    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const none = await simulate('--policy', proposed, '--since', tomorrow, '--json');
    expect(none.code).toBe(0);
    expect(JSON.parse(none.out)).toMatchObject({ since: `${tomorrow}T00:00:00.000Z`, events: 0, changed: false, operations: [] });
    expect((await simulate('--policy', proposed, '--since', tomorrow)).out).toContain('replayed 0 recorded operation(s)');
  });

  it('an invalid proposed policy is POLICY_INVALID naming the file, exit 2; a missing --policy is a usage error', async () => {
    const bad = policyFile('bad.yaml', currentPolicy.replace('  analyst:\n    clearance: INTERNAL', '  analyst:\n    clearance: TOP-SECRET'));
    const res = await simulate('--policy', bad);
    expect(res.code).toBe(2);
    expect(res.err).toContain(`meshgate policy: POLICY_INVALID: the proposed policy ${bad} is invalid`);
    expect(res.err).toContain('TOP-SECRET');
    expect(res.out).toBe('');
    const usage = await simulate();
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('--policy FILE (the proposed policy) is required');
    // With --json, CI gets one JSON object for every exit 2, usage mistakes included.
    const json = await simulate('--policy', bad, '--since', 'lately', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out)).toEqual({ error: { code: 'USAGE_INVALID', message: expect.stringContaining('--since must be a duration like 30d') } });
  });
});
