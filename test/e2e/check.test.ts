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
import { auditEvent } from '../support/audit-events';
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
const RETYPE_USED: [string, string] = ['  quantityPerUnit: String\n', '  quantityPerUnit: Int\n'];
const DAY = 86_400_000;

/**
 * supergraph.yaml as a file of its own (paths made absolute), with inventory's descriptor and the
 * policy replaced when given.
 */
function configWith(name: string, options: { inventoryDescriptor?: string; policy?: string }): string {
  let yaml = fs.readFileSync(path.join(root, 'supergraph.yaml'), 'utf8').replace(/\.\/subgraphs\//g, `${root}/subgraphs/`);
  if (options.inventoryDescriptor) yaml = yaml.replace(`${root}/subgraphs/inventory/data-product.yaml`, options.inventoryDescriptor);
  if (options.policy) yaml += `\nmeshgate:\n  policy: ${options.policy}\n`;
  const file = path.join(dir, name);
  fs.writeFileSync(file, yaml);
  return file;
}

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
      // An archive job read Warehouse.country 40 days ago, and nobody since.
      const archive = await openAuditStore({ ...store.config, chain: 'check-archive' });
      const country = { coordinate: 'Warehouse.country', classification: { level: 'INTERNAL' as const }, decision: 'allowed' as const, values: 3 };
      await archive.append([auditEvent({ time: new Date(Date.now() - 40 * DAY).toISOString(), clientName: 'archive', operationName: 'Archive', fields: [country] })]);
      await archive.close();
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

  it('counts only uses within --days: a field last read 40 days ago may go with --days 30, not with --days 60', async () => {
    const file = proposal('removed-archived.graphql', [REMOVE_UNUSED]);
    const [month, twoMonths] = await Promise.all([check(['--schema', file, '--days', '30', '--json'], stores[dialect].env), check(['--schema', file, '--days', '60', '--json'], stores[dialect].env)]);
    expect(month.code).toBe(0);
    const recent = JSON.parse(month.out);
    expect(recent.changes.find((c: any) => c.path === 'Warehouse.country')).toMatchObject({ criticality: 'BREAKING', clients: [], blocking: false });
    expect(Date.parse(recent.usage.since)).toBeGreaterThan(Date.now() - 31 * DAY);

    expect(twoMonths.code).toBe(1);
    const longer = JSON.parse(twoMonths.out);
    expect(longer.changes.find((c: any) => c.path === 'Warehouse.country')).toMatchObject({
      blocking: true,
      clients: [{ client: 'archive', coordinates: ['Warehouse.country'], events: 1, values: 3, lastUsed: new Date(Date.now() - 40 * DAY).toISOString().slice(0, 10) }],
    });
    expect(longer.reasons).toEqual(["Field 'country' was removed from object type 'Warehouse': used by archive"]);
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

describe('meshgate check, more of what it checks', () => {
  const env = stores.sqlite.env;

  it("fails a changed type of a field a client used, naming the client", async () => {
    const file = proposal('retyped-used.graphql', [RETYPE_USED]);
    const res = await check(['--schema', file, '--json'], env);
    expect(res.code).toBe(1);
    const report = JSON.parse(res.out);
    expect(report.changes.find((c: any) => c.path === 'Product.quantityPerUnit')).toMatchObject({
      criticality: 'BREAKING',
      type: 'FIELD_TYPE_CHANGED',
      coordinates: ['Product.quantityPerUnit'],
      clients: [{ client: 'storefront', coordinates: ['Product.quantityPerUnit'] }],
      blocking: true,
    });
    expect(report.reasons).toEqual(["Field 'Product.quantityPerUnit' changed type from 'String' to 'Int': used by storefront"]);
  }, 120_000);

  it("refuses the schema that runs today when its descriptor is incomplete, naming each missing key", async () => {
    const descriptor = path.join(dir, 'inventory-incomplete.yaml');
    const complete = fs.readFileSync(path.join(root, 'subgraphs/inventory/data-product.yaml'), 'utf8');
    fs.writeFileSync(descriptor, complete.replace('version: 1.0.0\n', '').replace('  freshness: 15m\n', ''));
    const config = configWith('incomplete-descriptor.yaml', { inventoryDescriptor: descriptor });
    const res = await check(['--config', config, '--schema', path.join(root, 'subgraphs/inventory/schema.graphql')], env);
    expect(res.code).toBe(1);
    expect(res.out).toContain('GOVERNANCE_FAILED: 1 problem(s) composing with');
    expect(res.out).toContain(`INCOMPLETE_DESCRIPTOR: Subgraph "inventory": its descriptor ${path.relative(root, descriptor)} is incomplete: version is missing; serviceLevels.freshness is missing`);
    expect(res.err).toContain('GOVERNANCE_FAILED: 1 problem(s) composing with the other subgraphs');
  }, 120_000);

  it("with a policy default classification, deleting a field's @classified lowers it to that default", async () => {
    const policy = path.join(dir, 'default-internal.yaml');
    const current = fs.readFileSync(path.join(root, 'policies/policy.yaml'), 'utf8');
    expect(current).toContain('# defaultClassification: INTERNAL\n');
    fs.writeFileSync(policy, current.replace('# defaultClassification: INTERNAL\n', 'defaultClassification: INTERNAL\n'));
    const config = configWith('default-internal-config.yaml', { policy });
    // Supplier loses its type default too, so phone falls to the policy's, not the type's.
    const file = proposal('declassified.graphql', [
      ['type Supplier @classified(level: "INTERNAL") {', 'type Supplier {'],
      ['  phone: String @classified(level: "CONFIDENTIAL", category: "CONTACT")', '  phone: String'],
    ]);
    const res = await check(['--config', config, '--schema', file, '--json'], env);
    expect(res.code).toBe(1);
    const report = JSON.parse(res.out);
    expect(report.composition.ok).toBe(true);
    expect(report.lowered).toEqual([{ coordinate: 'Supplier.phone', from: { level: 'CONFIDENTIAL', category: 'CONTACT' }, to: { level: 'INTERNAL' }, allowed: false }]);
    expect(report.reasons).toEqual(['Supplier.phone: classification lowered from CONFIDENTIAL/CONTACT to INTERNAL (allow with --allow-lowering Supplier.phone)']);
  }, 120_000);

  it('exit 2 with a JSON error, never 1, when no verdict is reached: a usage mistake, an unreadable or a broken audit trail', async () => {
    const notADatabase = path.join(dir, 'not-a-database.sqlite');
    fs.writeFileSync(notADatabase, 'this is not an SQLite file, and no audit trail\n'.repeat(100));
    // A real audit store whose usage table is gone: the query fails with the database's own error.
    const broken = path.join(dir, 'broken-audit.sqlite');
    const store = await openAuditStore({ sqliteFile: broken, chain: 'broken' });
    await store.knex.schema.dropTable('field_usage');
    await store.close();
    const file = proposal('removed-used-3.graphql', [REMOVE_USED]);
    const [usage, unreadable, unexpected] = await Promise.all([
      check(['--schema', file, '--days', 'zero', '--json'], env),
      check(['--schema', file, '--audit-url', notADatabase, '--json'], env),
      check(['--schema', file, '--audit-url', broken, '--json'], env),
    ]);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.out)).toEqual({ error: { code: 'USAGE_INVALID', message: '--days must be a number, got "zero"' } });
    expect(usage.err).toContain('meshgate check: USAGE_INVALID: --days must be a number');

    // stdout stays one JSON object: the database driver's warnings go to stderr.
    expect(unreadable.code).toBe(2);
    expect(JSON.parse(unreadable.out)).toEqual({ error: { code: 'AUDIT_UNAVAILABLE', message: 'cannot open the audit store: file is not a database' } });

    expect(unexpected.code).toBe(2);
    expect(JSON.parse(unexpected.out)).toEqual({ error: { code: 'INTERNAL_SERVER_ERROR', message: expect.stringContaining('no such table: field_usage') } });
    expect(unexpected.err).toMatch(/^meshgate check: INTERNAL_SERVER_ERROR: .*no such table: field_usage/m);
  }, 120_000);
});
