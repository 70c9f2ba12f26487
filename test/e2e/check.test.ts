import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openAuditStore, type AuditStoreConfig } from '../../gateway/audit/store';
import { createAuditWriter } from '../../gateway/audit/writer';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway } from '../../gateway/server';
import { createDb, type Dialect } from '../../shared/db';
import { dialects, TEST_DATABASE_URL } from '../support/db';
import { startMesh } from '../support/mesh';
import { runMeshgate } from '../support/meshgate-process';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// `meshgate check` as real processes, against the demo config (supergraph.yaml) and an audit trail
// the real governed gateway wrote while a client used some of inventory's fields.

const root = path.resolve(__dirname, '../..');
const inventory = fs.readFileSync(path.join(root, 'subgraphs/inventory/schema.graphql'), 'utf8');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-check-'));

/** The inventory schema with `from` replaced by `to`, written to a file; `from` must be there. */
function proposal(name: string, edits: [from: string, to: string][]): string {
  let sdl = inventory;
  for (const [from, to] of edits) {
    expect(sdl).toContain(from);
    sdl = sdl.replace(from, to);
  }
  const file = path.join(dir, name);
  fs.writeFileSync(file, sdl);
  return file;
}

const REMOVE_USED: [string, string] = [`  "Pack size as sold, for example '24 - 12 oz bottles'."\n  quantityPerUnit: String\n`, ''];
const REMOVE_UNUSED: [string, string] = ['  "Country the warehouse is in."\n  country: String!\n', ''];
const LOWER_SUPPLIER: [string, string] = ['  supplier: Supplier! @classified(level: "INTERNAL")', '  supplier: Supplier! @classified(level: "PUBLIC")'];

async function check(args: string[], env: NodeJS.ProcessEnv) {
  const p = runMeshgate(['check', '--subgraph', 'inventory', ...args], env);
  const code = await p.exited;
  return { code, out: p.out(), err: p.err() };
}

/** An audit store of its own, and the environment that names it to a meshgate process. */
function storeFor(dialect: Dialect): { config: AuditStoreConfig; env: NodeJS.ProcessEnv; cleanup(): Promise<void> } {
  if (dialect === 'postgres') {
    const schema = `t_${randomBytes(4).toString('hex')}_check`;
    return {
      config: { url: TEST_DATABASE_URL, schema, chain: 'check' },
      env: { MESHGATE_AUDIT_DATABASE_URL: TEST_DATABASE_URL, MESHGATE_AUDIT_DB_SCHEMA: schema },
      async cleanup() {
        const db = createDb({ url: TEST_DATABASE_URL });
        await db.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
        await db.close();
      },
    };
  }
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  return { config: { sqliteFile: path.join(dataDir, 'audit.sqlite'), chain: 'check' }, env: { MESHGATE_DATA_DIR: dataDir, MESHGATE_AUDIT_DATABASE_URL: '' }, cleanup: async () => undefined };
}

const stores = Object.fromEntries(dialects.map((d) => [d, storeFor(d)])) as Record<Dialect, ReturnType<typeof storeFor>>;

beforeAll(async () => {
  vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
  const mesh = await startMesh('sqlite', { scale: 0.05 });
  try {
    for (const store of Object.values(stores)) {
      const writer = createAuditWriter(await openAuditStore(store.config), { flushIntervalMs: 10 });
      const gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins: createPipeline({ settings: {}, baseDir: root, audit: writer }).plugins });
      const url = await gateway.listen(0);
      const token = await signToken({ sub: 'shop', roles: ['analyst'] });
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'apollographql-client-name': 'storefront' },
        body: JSON.stringify({ query: 'query Catalogue { products(first: 2) { nodes { id name quantityPerUnit } } }' }),
      });
      const body = (await res.json()) as { data?: any; errors?: unknown };
      expect(body.errors).toBeUndefined();
      expect(body.data.products.nodes[0].quantityPerUnit).toEqual(expect.any(String));
      await gateway.stop();
      await writer.close();
    }
  } finally {
    await mesh.stop();
  }
}, 120_000);

afterAll(async () => {
  for (const store of Object.values(stores)) await store.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

describe.each(dialects)('meshgate check with the audit trail on %s', (dialect: Dialect) => {
  it('fails a breaking change to a field a client used, naming the client; exit 1, one JSON object with --json', async () => {
    const file = proposal('removed-used.graphql', [REMOVE_USED]);
    const [text, json] = await Promise.all([check(['--schema', file], stores[dialect].env), check(['--schema', file, '--json'], stores[dialect].env)]);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^BREAKING: Field 'quantityPerUnit' was removed from object type 'Product': used by storefront \(1, last \d{4}-\d{2}-\d{2}\)$/m);
    expect(text.err).toContain(`meshgate check: SCHEMA_CHECK_FAILED: inventory ${file} is unsafe:`);
    expect(text.err).toContain("Field 'quantityPerUnit' was removed from object type 'Product': used by storefront");

    expect(json.code).toBe(1);
    const report = JSON.parse(json.out);
    expect(report).toMatchObject({ subgraph: 'inventory', schema: file, safe: false, composition: { ok: true }, lowered: [], usage: { consulted: true } });
    const removal = report.changes.find((c: any) => c.type === 'FIELD_REMOVED');
    expect(removal).toMatchObject({ criticality: 'BREAKING', path: 'Product.quantityPerUnit', coordinates: ['Product.quantityPerUnit'], blocking: true });
    expect(removal.clients).toEqual([{ client: 'storefront', coordinates: ['Product.quantityPerUnit'], events: 1, values: 2, lastUsed: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }]);
  }, 120_000);
});

describe('meshgate check', () => {
  const env = stores.sqlite.env;

  it('passes the schema that runs today, exit 0', async () => {
    const res = await check(['--schema', path.join(root, 'subgraphs/inventory/schema.graphql')], env);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toBe(`safe: inventory ${path.join(root, 'subgraphs/inventory/schema.graphql')} (0 change(s), 0 non-breaking)\n`);
  }, 120_000);

  it('lets a field nobody used go; refuses a lowered classification unless --allow-lowering names it', async () => {
    const file = proposal('unused-lowered.graphql', [REMOVE_UNUSED, LOWER_SUPPLIER]);
    const [refused, allowed] = await Promise.all([check(['--schema', file], env), check(['--schema', file, '--allow-lowering', 'Product.supplier', '--json'], env)]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('LOWERED: Product.supplier INTERNAL -> PUBLIC');
    expect(refused.out).toContain("BREAKING: Field 'country' was removed from object type 'Warehouse': unused");
    expect(refused.err).toContain('Product.supplier: classification lowered from INTERNAL to PUBLIC (allow with --allow-lowering Product.supplier)');
    expect(refused.err).not.toContain('country');

    expect(allowed.code).toBe(0);
    const report = JSON.parse(allowed.out);
    expect(report.safe).toBe(true);
    expect(report.reasons).toEqual([]);
    expect(report.lowered).toEqual([{ coordinate: 'Product.supplier', from: { level: 'INTERNAL' }, to: { level: 'PUBLIC' }, allowed: true }]);
    expect(report.changes.find((c: any) => c.path === 'Warehouse.country')).toMatchObject({ criticality: 'BREAKING', clients: [], blocking: false });
  }, 120_000);

  it('refuses an undocumented field (governance) and a schema that does not compose, each problem readable', async () => {
    const undocumented = proposal('undocumented.graphql', [['  name: String!\n', '  name: String!\n  colour: String\n']]);
    const conflicting = proposal('conflicting.graphql', [['  "Product number, unique over all products."\n  id: ID!', '  "Product number, unique over all products."\n  id: Int!']]);
    const [governance, composition] = await Promise.all([check(['--schema', undocumented], env), check(['--schema', conflicting], env)]);
    expect(governance.code).toBe(1);
    expect(governance.out).toContain(`GOVERNANCE_FAILED: 1 problem(s) composing with ${undocumented}:`);
    expect(governance.out).toMatch(new RegExp(`UNDOCUMENTED_SCHEMA: Subgraph "inventory" \\(${undocumented}\\) has 1 undocumented type\\(s\\) or field\\(s\\): Product\\.colour`));
    expect(governance.out).toMatch(new RegExp(`at ${undocumented}:\\d+:3`));
    expect(governance.err).toContain('GOVERNANCE_FAILED: 1 problem(s) composing with the other subgraphs');

    expect(composition.code).toBe(1);
    expect(composition.out).toMatch(/COMPOSITION_FAILED: \d+ problem\(s\) composing/);
    expect(composition.out).toMatch(/FIELD_TYPE_MISMATCH: .*"Product\.id"/);
  }, 120_000);

  it('usage and configuration errors exit 2: unknown subgraph, missing flags, no audit trail to judge a breaking change', async () => {
    const file = proposal('removed-used-2.graphql', [REMOVE_USED]);
    const [unknown, missing, noTrail] = await Promise.all([
      runMeshgate(['check', '--subgraph', 'billing', '--schema', file], env),
      runMeshgate(['check', '--subgraph', 'inventory'], env),
      runMeshgate(['check', '--subgraph', 'inventory', '--schema', file, '--json'], { MESHGATE_DATA_DIR: path.join(dir, 'nowhere'), MESHGATE_AUDIT_DATABASE_URL: '' }),
    ].map(async (p) => ({ code: await p.exited, out: p.out(), err: p.err() })));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('meshgate check: CONFIG_INVALID: supergraph.yaml has no subgraph "billing" (it has inventory, sales, logistics, customer-experience)');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--subgraph and --schema are required');
    expect(noTrail.code).toBe(2);
    expect(JSON.parse(noTrail.out)).toEqual({ error: { code: 'AUDIT_UNAVAILABLE', message: expect.stringContaining(`no audit trail at ${path.join(dir, 'nowhere', 'audit.sqlite')}`) } });
  }, 120_000);
});
