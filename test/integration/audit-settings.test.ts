import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { setUpGateway, startGateway, type GatewaySetup } from '../../cli/commands/gateway';
import { auditSettings } from '../../gateway/audit/settings';
import { openAuditStore } from '../../gateway/audit/store';
import type { MeshgateGateway } from '../../gateway/server';
import { domains } from '../../subgraphs';
import { cli } from '../support/cli';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// `meshgate.audit:` in supergraph.yaml: each key read and validated, its environment variable
// over it, and the settings taking effect in a real governed gateway.
const AUDIT_ENV = [
  'MESHGATE_AUDIT_DATABASE_URL', 'MESHGATE_AUDIT_DB_SCHEMA', 'MESHGATE_AUDIT_SQLITE_FILE', 'MESHGATE_AUDIT_QUEUE_SIZE', 'MESHGATE_AUDIT_BATCH_SIZE',
  'MESHGATE_AUDIT_FLUSH_INTERVAL_MS', 'MESHGATE_AUDIT_MAX_OUTAGE_MS', 'MESHGATE_AUDIT_FAIL_CLOSED', 'MESHGATE_AUDIT_KEY', 'MESHGATE_REPLICA_ID',
];
const silent = { info() {}, warn() {}, error() {}, debug() {}, child() { return silent; } } as any;
const settingsOf = (audit: unknown, env: NodeJS.ProcessEnv = {}) => auditSettings({ audit }, '/etc/meshgate', env);
const refusal = (audit: unknown, env: NodeJS.ProcessEnv = {}) => {
  try {
    settingsOf(audit, env);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected CONFIG_INVALID');
};

describe('meshgate.audit settings', () => {
  it('reads every key from the file; the environment overrides it', () => {
    const file = { sqliteFile: 'audit/trail.sqlite', queueSize: 2000, batchSize: 50, flushIntervalMs: 1000, maxOutageMs: 0, failClosed: 'CONFIDENTIAL' };
    expect(settingsOf(file)).toEqual({
      store: { sqliteFile: '/etc/meshgate/audit/trail.sqlite', chain: undefined, signingKey: undefined },
      writer: { maxQueue: 2000, batchSize: 50, flushIntervalMs: 1000, maxOutageMs: 0, failClosedLevels: ['CONFIDENTIAL', 'RESTRICTED'] },
    });
    const env = { MESHGATE_AUDIT_BATCH_SIZE: '7', MESHGATE_AUDIT_FAIL_CLOSED: 'none', MESHGATE_AUDIT_DATABASE_URL: 'postgres://db/audit', MESHGATE_REPLICA_ID: 'replica-3' };
    expect(settingsOf(file, env)).toEqual({
      store: { url: 'postgres://db/audit', schema: 'audit', chain: 'replica-3', signingKey: undefined },
      writer: { maxQueue: 2000, batchSize: 7, flushIntervalMs: 1000, maxOutageMs: 0, failClosedLevels: [] },
    });
    expect(settingsOf({ databaseUrl: 'postgresql://db/x', schema: 'trail', failClosed: ['INTERNAL', 'RESTRICTED'] }).store).toMatchObject({ url: 'postgresql://db/x', schema: 'trail' });
    expect(settingsOf({ failClosed: ['INTERNAL', 'RESTRICTED'] }).writer.failClosedLevels).toEqual(['INTERNAL', 'RESTRICTED']);
    expect(settingsOf({}, { MESHGATE_AUDIT_FAIL_CLOSED: 'CONFIDENTIAL,RESTRICTED' }).writer.failClosedLevels).toEqual(['CONFIDENTIAL', 'RESTRICTED']);
    expect(settingsOf(undefined, { MESHGATE_DATA_DIR: '/var/data' })).toEqual({ store: { sqliteFile: '/var/data/audit.sqlite', chain: undefined, signingKey: undefined }, writer: {} });
  });

  it("supergraph.yaml's commented example, uncommented, is valid and states the defaults", () => {
    const text = fs.readFileSync(path.resolve(__dirname, '../../supergraph.yaml'), 'utf8');
    const block = text.slice(text.indexOf('# meshgate:')).split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/^# ?/, '')).join('\n');
    const meshgate = YAML.parse(block).meshgate;
    expect(Object.keys(meshgate.audit)).toEqual(['schema', 'sqliteFile', 'queueSize', 'batchSize', 'flushIntervalMs', 'maxOutageMs', 'failClosed']);
    expect(auditSettings(meshgate, process.cwd(), {})).toEqual({
      store: { sqliteFile: path.resolve('.data/audit.sqlite'), chain: undefined, signingKey: undefined },
      writer: { maxQueue: 10_000, batchSize: 500, flushIntervalMs: 200, maxOutageMs: 5000, failClosedLevels: ['RESTRICTED'] },
    });
  });

  it('refuses an invalid value with CONFIG_INVALID naming the key (or the environment variable)', () => {
    const cases: [unknown, NodeJS.ProcessEnv, string][] = [
      [{ batchSize: 0 }, {}, 'meshgate.audit.batchSize must be a whole number from 1 to 10000, got 0'],
      [{ batchSize: '50' }, {}, 'meshgate.audit.batchSize must be a whole number'],
      [{}, { MESHGATE_AUDIT_BATCH_SIZE: 'many' }, 'MESHGATE_AUDIT_BATCH_SIZE must be a whole number from 1 to 10000, got "many"'],
      [{ queueSize: 10, batchSize: 20 }, {}, 'meshgate.audit.batchSize (20) must not exceed meshgate.audit.queueSize (10)'],
      [{ flushIntervalMs: -5 }, {}, 'meshgate.audit.flushIntervalMs must be'],
      [{ failClosed: 'SECRET' }, {}, 'meshgate.audit.failClosed must be a level'],
      [{}, { MESHGATE_AUDIT_FAIL_CLOSED: 'RESTRICTED,TOP' }, 'MESHGATE_AUDIT_FAIL_CLOSED must be a level'],
      [{ databaseUrl: 'mysql://db' }, {}, 'meshgate.audit.databaseUrl must be a postgres:// URL'],
      [{ schema: 'audit; drop' }, {}, 'meshgate.audit.schema must be a PostgreSQL schema name'],
      [{ databaseUrl: 'postgres://db/a', sqliteFile: 'a.sqlite' }, {}, 'set one store, not both'],
      [{ batchsize: 5 }, {}, 'meshgate.audit.batchsize is not an audit setting (known: databaseUrl, schema, sqliteFile, queueSize, batchSize'],
      [{ key: 'x'.repeat(40) }, {}, 'meshgate.audit.key is not read from the config file: set MESHGATE_AUDIT_KEY in the environment'],
      [{ replica: 'a' }, {}, 'set MESHGATE_REPLICA_ID'],
      [[1, 2], {}, 'meshgate.audit must be a mapping'],
      [{}, { MESHGATE_AUDIT_KEY: 'short' }, 'MESHGATE_AUDIT_KEY must be at least 32 characters'],
    ];
    for (const [audit, env, message] of cases) expect(refusal(audit, env), message).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) });
  });
});

describe('meshgate.audit in a running gateway', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-audit-settings-'));
  let mesh: RunningMesh;
  let admin: string;

  /** Writes a config with the demo subgraphs (at the running mesh) and this `meshgate.audit` block. */
  const configWith = (name: string, audit: string[]) => {
    const file = path.join(dir, name);
    const subgraphs = Object.values(domains).flatMap((d) => [
      `  ${d.name}:`,
      `    routing_url: ${mesh.services[d.name].url}/graphql`,
      `    schema:`,
      `      file: ${d.schemaFile}`,
      `    descriptor: ${path.join(path.dirname(d.schemaFile), 'data-product.yaml')}`,
    ]);
    fs.writeFileSync(file, ['subgraphs:', ...subgraphs, 'meshgate:', '  audit:', ...audit.map((l) => `    ${l}`)].join('\n'));
    return file;
  };

  const running: { setup: GatewaySetup; gateway: MeshgateGateway }[] = [];
  const start = async (config: string) => {
    const setup = await setUpGateway({ config }, silent);
    const { gateway, url } = await startGateway(setup, { port: 0, host: '127.0.0.1' }, { logger: silent });
    running.push({ setup, gateway });
    return async (query: string) => {
      const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: admin }, body: JSON.stringify({ query }) });
      return { status: res.status, body: (await res.json()) as { data?: any; errors?: { extensions: { code: string } }[] } };
    };
  };

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    mesh = await startMesh('sqlite', { scale: 0.02 });
    admin = `Bearer ${await signToken({ sub: 'settings-admin', roles: ['admin'] })}`;
  }, 60_000);
  beforeEach(() => {
    for (const name of AUDIT_ENV) vi.stubEnv(name, undefined);
  });
  afterAll(async () => {
    for (const r of running) await r.gateway.stop();
    for (const r of running) await r.setup.close();
    await mesh?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  const INTERNAL_ONLY = '{ customers(first: 1) { nodes { companyName } } }';
  const CONFIDENTIAL = '{ customers(first: 1) { nodes { companyName email } } }';

  it('batchSize and flushIntervalMs from the file decide when events are written; the store file resolves against the config', async () => {
    const ask = await start(configWith('batching.yaml', ['sqliteFile: ./batching.sqlite', 'batchSize: 2', 'flushIntervalMs: 60000']));
    const count = async () => {
      const store = await openAuditStore({ sqliteFile: path.join(dir, 'batching.sqlite'), chain: 'reader' });
      try {
        return Number((await store.knex('events').count({ n: '*' }).first())!.n);
      } finally {
        await store.close();
      }
    };
    expect((await ask(INTERNAL_ONLY)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 400)); // twice the default flush interval
    expect(await count()).toBe(0);
    expect((await ask(INTERNAL_ONLY)).status).toBe(200);
    const deadline = Date.now() + 5000;
    while ((await count()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await count()).toBe(2);
  });

  it('failClosed: CONFIDENTIAL refuses CONFIDENTIAL data while the store is down; MESHGATE_AUDIT_FAIL_CLOSED overrides it', async () => {
    // A directory where the SQLite file belongs: the store cannot open until it is removed.
    const blocked = path.join(dir, 'blocked.sqlite');
    fs.mkdirSync(blocked);
    const config = configWith('fail-closed.yaml', [`sqliteFile: ${blocked}`, 'failClosed: CONFIDENTIAL', 'maxOutageMs: 0', 'flushIntervalMs: 10']);
    const strict = await start(config);
    vi.stubEnv('MESHGATE_AUDIT_FAIL_CLOSED', 'RESTRICTED');
    const overridden = await start(config);
    for (const ask of [strict, overridden]) expect((await ask(INTERNAL_ONLY)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const refused = await strict(CONFIDENTIAL);
    expect(refused.status).toBe(503);
    expect(refused.body.errors![0].extensions.code).toBe('AUDIT_UNAVAILABLE');
    expect((await strict(INTERNAL_ONLY)).status).toBe(200);
    const served = await overridden(CONFIDENTIAL);
    expect(served.status).toBe(200);
    expect(served.body.data.customers.nodes[0].email).toEqual(expect.any(String));
    fs.rmdirSync(blocked); // the queued events can now be written at shutdown
  });

  it('`meshgate gateway` refuses an invalid audit setting, naming the key', async () => {
    const res = await cli('gateway', '--config', configWith('invalid.yaml', ['batchSize: lots']));
    expect(res.code).toBe(1);
    expect(res.err).toContain('CONFIG_INVALID');
    expect(res.err).toContain('meshgate.audit.batchSize must be a whole number from 1 to 10000, got "lots"');
  });
});
