import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lazyAuditStore, openAuditStore, type AuditStore } from '../../gateway/audit/store';
import { verify } from '../../gateway/audit/verify';
import { createAuditWriter, type AuditWriter } from '../../gateway/audit/writer';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { createDb } from '../../shared/db';
import { TEST_DATABASE_URL } from '../support/db';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// Two governed gateway replicas over one mesh, each with its own audit writer and chain
// (MESHGATE_REPLICA_ID), both writing to ONE PostgreSQL audit store under concurrent load:
// every chain verifies and the store holds exactly one event per answered request.
const PER_REPLICA = 400;
const CONCURRENCY = 25;
/** MESHGATE_AUDIT_KEY: each replica signs its own chain's head, in its own row. */
const KEY = 'k'.repeat(40);
const silent = { info() {}, warn() {}, error() {}, debug() {} } as any;

if (!TEST_DATABASE_URL) process.stdout.write('audit-replicas skipped: TEST_DATABASE_URL is not set (PostgreSQL only)\n');

describe.skipIf(!TEST_DATABASE_URL)('two gateway replicas writing to one PostgreSQL audit store', () => {
  const schema = `t_${randomBytes(4).toString('hex')}_audit_replicas`;
  let mesh: RunningMesh;
  const replicas: { chain: string; writer: AuditWriter; gateway: MeshgateGateway; url: string }[] = [];
  let reader: AuditStore;

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    mesh = await startMesh('sqlite', { scale: 0.02 });
    for (const chain of ['replica-a', 'replica-b']) {
      // As setUpGateway does it, with MESHGATE_REPLICA_ID=<chain> and MESHGATE_AUDIT_DATABASE_URL.
      const writer = createAuditWriter(lazyAuditStore({ url: TEST_DATABASE_URL, schema, chain, signingKey: KEY }), { logger: silent });
      const gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins: createPipeline({ settings: {}, baseDir: process.cwd(), audit: writer }).plugins });
      replicas.push({ chain, writer, gateway, url: `${await gateway.listen(0)}/graphql` });
    }
  }, 60_000);

  afterAll(async () => {
    for (const r of replicas) await r.gateway.stop().catch(() => undefined);
    for (const r of replicas) await r.writer.close().catch(() => undefined);
    await mesh?.stop();
    if (reader) {
      await reader.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
      await reader.close();
    }
    vi.unstubAllEnvs();
  });

  it('2 × 400 concurrent requests: verify() passes and events == requests', async () => {
    const tokens = await Promise.all(
      ['analyst', 'admin'].map(async (role) => `Bearer ${await signToken({ sub: `replica-${role}`, roles: [role] })}`),
    );
    const query = '{ orders(first: 3) { nodes { id total customer { companyName } } } }';
    let answered = 0;
    const load = async (url: string) => {
      let next = 0;
      const worker = async () => {
        while (next < PER_REPLICA) {
          const i = next++;
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: tokens[i % tokens.length] },
            body: JSON.stringify({ query }),
          });
          const body = (await res.json()) as { data?: any; errors?: unknown[] };
          expect(res.status).toBe(200);
          expect(body.errors).toBeUndefined();
          expect(body.data.orders.nodes).toHaveLength(3);
          answered += 1;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    };
    await Promise.all(replicas.map((r) => load(r.url)));
    expect(answered).toBe(2 * PER_REPLICA);

    for (const r of replicas) await r.writer.close();
    for (const r of replicas) expect(r.writer.stats(), r.chain).toMatchObject({ written: PER_REPLICA, queued: 0, rejected: 0 });

    reader = await openAuditStore({ db: createDb({ url: TEST_DATABASE_URL, schema }), chain: 'reader' });
    const report = await verify(reader, { key: KEY, requireSignedHeads: true });
    expect(report).toMatchObject({ ok: true, warnings: [], orphans: [] });
    expect(report.chains.map((c) => [c.chain, c.events, c.signedHeadSeq, c.warnings]).sort()).toEqual([
      ['replica-a', PER_REPLICA, PER_REPLICA, []],
      ['replica-b', PER_REPLICA, PER_REPLICA, []],
    ]);
    const events = Number((await reader.knex('events').count({ n: '*' }).first())!.n);
    expect(events).toBe(answered);
    const ids = Number((await reader.knex('events').countDistinct({ n: 'request_id' }).first())!.n);
    expect(ids).toBe(answered);
  }, 120_000);
});
