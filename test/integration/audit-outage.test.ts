import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lazyAuditStore, openAuditStore, type AuditAppender, type AuditStore } from '../../gateway/audit/store';
import { verify } from '../../gateway/audit/verify';
import type { AuditEvent } from '../../gateway/audit/types';
import { createAuditWriter, type AuditWriter } from '../../gateway/audit/writer';
import { createPipeline } from '../../gateway/pipeline';
import { auditEvent } from '../support/audit-events';
import { createTestDb } from '../support/db';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// A store outage end to end: the governed gateway's audit store is unreachable (a lazy store on
// a PostgreSQL URL whose port nothing listens on), so RESTRICTED reads are refused with
// AUDIT_UNAVAILABLE while PUBLIC ones still work; then the store comes back and the queued
// events are written and RESTRICTED reads work again.
const silent = { info() {}, warn() {}, error() {}, debug() {} } as any;

/** Appends to an unreachable PostgreSQL store while `down`, to a real (SQLite) store otherwise. */
function switchable(real: AuditAppender) {
  const unreachable = lazyAuditStore({ url: 'postgres://postgres@127.0.0.1:1/none', chain: 'outage' });
  const wrapper = {
    down: true,
    failures: 0,
    async append(events: AuditEvent[]) {
      if (wrapper.down) {
        try {
          await unreachable.append(events);
        } catch (err) {
          wrapper.failures += 1;
          throw err;
        }
        throw new Error('the unreachable store accepted a batch');
      }
      await real.append(events);
    },
    async close() {
      await unreachable.close();
    },
  };
  return wrapper;
}

const waitFor = async (cond: () => boolean, what: string, timeoutMs = 20_000) => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('audit store outage, end to end', () => {
  let mesh: RunningMesh;
  let real: AuditStore;
  let store: ReturnType<typeof switchable>;
  let writer: AuditWriter;

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    real = await openAuditStore({ db: createTestDb('sqlite', 'audit'), chain: 'outage' });
    store = switchable(real);
    writer = createAuditWriter(store, { maxOutageMs: 300, flushIntervalMs: 20, retryBaseMs: 50, retryMaxMs: 200, logger: silent });
    const pipeline = createPipeline({ settings: {}, baseDir: process.cwd(), audit: writer });
    mesh = await startMesh('sqlite', { scale: 0.02, plugins: pipeline.plugins });
  }, 60_000);

  afterAll(async () => {
    await mesh?.stop();
    await writer?.close().catch(() => undefined);
    await real?.close();
    vi.unstubAllEnvs();
  });

  async function ask(query: string) {
    const token = await signToken({ sub: 'outage-hr', roles: ['hr'], purposes: ['hr-administration'] });
    const res = await fetch(`${mesh.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'hr-administration' },
      body: JSON.stringify({ query }),
    });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
  }
  const RESTRICTED = '{ salesReps { id birthDate } }';
  const PUBLIC = '{ products(first: 2) { nodes { id name } } }';
  const events = async () => Number((await real.knex('events').count({ n: '*' }).first())!.n);

  it('refuses RESTRICTED reads with AUDIT_UNAVAILABLE while the store is out, serves PUBLIC ones, and recovers', async () => {
    let sent = 0;
    // Before the first failure the store is not known to be out: a PUBLIC read starts the outage.
    const first = await ask(PUBLIC);
    sent += 1;
    expect(first.status).toBe(200);
    await waitFor(() => writer.stats().outageSince !== null, 'the first failed batch');
    await new Promise((r) => setTimeout(r, 400)); // longer than maxOutageMs
    expect(writer.stats().failedBatches).toBeGreaterThan(0);
    expect(writer.stats().lastError).toMatch(/ECONNREFUSED|cannot open the audit store/);

    const refused = await ask(RESTRICTED);
    sent += 1;
    expect(refused.status).toBe(503);
    expect(refused.body.errors?.map((e) => e.extensions.code)).toEqual(['AUDIT_UNAVAILABLE']);
    expect(refused.body.data).toBeUndefined();

    const open = await ask(PUBLIC);
    sent += 1;
    expect(open.status).toBe(200);
    expect(open.body.errors).toBeUndefined();
    expect(open.body.data.products.nodes).toHaveLength(2);
    expect(writer.stats().queued).toBe(sent);
    expect(await events()).toBe(0);

    // The store comes back: the queued events are written and RESTRICTED reads work again.
    store.down = false;
    await waitFor(() => writer.stats().queued === 0 && writer.stats().outageSince === null, 'the queue to drain');
    expect(await events()).toBe(sent);
    const allowed = await ask(RESTRICTED);
    sent += 1;
    expect(allowed.status).toBe(200);
    expect(allowed.body.errors).toBeUndefined();
    expect(allowed.body.data.salesReps.length).toBeGreaterThan(0);
    expect(allowed.body.data.salesReps.some((r: any) => r.birthDate != null)).toBe(true);

    await writer.flush();
    expect(await events()).toBe(sent);
    expect(writer.stats()).toMatchObject({ written: sent, rejected: 0, queued: 0 });
    const outcomes = (await real.knex('events').orderBy('seq').select('outcome')).map((r) => r.outcome);
    expect(outcomes).toEqual(['ok', 'rejected', 'ok', 'ok']);
    expect((await verify(real)).ok).toBe(true);
  }, 60_000);
});

describe('fail closed: the queue filling while an admitted RESTRICTED request runs', () => {
  let mesh: RunningMesh;
  let real: AuditStore;
  let writer: AuditWriter;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let fill = false;
  let filled = 0;

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    real = await openAuditStore({ db: createTestDb('sqlite', 'audit'), chain: 'race' });
    // Nothing is written until the gate opens: the queue holds every event.
    const gated: AuditAppender = { append: async (events) => gate.then(() => real.append(events)), close: async () => {} };
    writer = createAuditWriter(gated, { maxQueue: 4, batchSize: 4, flushIntervalMs: 5, logger: silent });
    const pipeline = createPipeline({ settings: {}, baseDir: process.cwd(), audit: writer });
    // Concurrent traffic, condensed: once the request was admitted, other events fill the queue.
    pipeline.plugins.push({
      name: 'test-queue-filler',
      apollo: {
        async requestDidStart() {
          return {
            async executionDidStart() {
              if (!fill) return;
              while (writer.append(auditEvent({ subject: 'filler' }))) filled += 1;
            },
          };
        },
      },
    });
    mesh = await startMesh('sqlite', { scale: 0.02, plugins: pipeline.plugins });
  }, 60_000);

  afterAll(async () => {
    release();
    await mesh?.stop();
    await writer?.close().catch(() => undefined);
    await real?.close();
    vi.unstubAllEnvs();
  });

  it('the served RESTRICTED read still gets its event: admit held a queue slot for it', async () => {
    const token = await signToken({ sub: 'race-hr', roles: ['hr'], purposes: ['hr-administration'] });
    fill = true;
    const res = await fetch(`${mesh.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': 'hr-administration' },
      body: JSON.stringify({ query: '{ salesReps { id birthDate } }' }),
    });
    fill = false;
    const body = (await res.json()) as { data?: any; errors?: any[] };
    expect(res.status).toBe(200);
    expect(body.data.salesReps.some((r: any) => r.birthDate != null)).toBe(true);
    expect(filled).toBe(3); // one of the four slots was held for the RESTRICTED request's event
    expect(writer.stats()).toMatchObject({ queued: 4, reserved: 0, rejected: 1 });
    release();
    await writer.flush();
    const stored = await real.knex('events').where({ subject: 'race-hr' }).select('outcome', 'fields');
    expect(stored).toHaveLength(1);
    expect(stored[0].outcome).toBe('ok');
    expect(JSON.parse(stored[0].fields)).toContainEqual(expect.objectContaining({ coordinate: 'SalesRep.birthDate', decision: 'allowed', classification: { level: 'RESTRICTED', category: 'IDENTITY' } }));
  }, 60_000);
});
