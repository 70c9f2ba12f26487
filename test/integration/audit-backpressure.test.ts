import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditAppender } from '../../gateway/audit/store';
import type { AuditEvent } from '../../gateway/audit/types';
import { createAuditWriter, type AuditWriter, type AuditWriterOptions } from '../../gateway/audit/writer';
import { createGatewayMetrics } from '../../gateway/observability/metrics';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway } from '../../gateway/server';
import { startMesh, type RunningMesh } from '../support/mesh';

// The audit append thread runs below the event loop's priority; what keeps its queue from filling
// under a saturated core is back-pressure: new requests wait while the store is behind.

const silent = { info() {}, warn() {}, error() {} } as any;
const REQUESTS = 40;
const CONNECTIONS = 10;

/** A store that writes 2 events per 150 ms: far slower than the gateway answers. */
function slowStore() {
  const written: AuditEvent[] = [];
  const store: AuditAppender = {
    async append(events) {
      await new Promise((r) => setTimeout(r, 150));
      written.push(...events);
    },
    async close() {},
  };
  return { store, written };
}

describe('audit back-pressure: a store slower than the traffic', () => {
  let mesh: RunningMesh;

  beforeAll(async () => {
    mesh = await startMesh('sqlite', { scale: 0.02 });
  }, 60_000);

  afterAll(async () => {
    await mesh?.stop();
  });

  /** REQUESTS requests over CONNECTIONS closed-loop connections through a gateway auditing to `writer`; their HTTP statuses. */
  async function load(writer: AuditWriter, metrics = createGatewayMetrics()): Promise<number[]> {
    const { plugins } = createPipeline({ settings: {}, baseDir: process.cwd(), audit: writer, metrics });
    const gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins, metrics });
    const url = await gateway.listen(0);
    const statuses: number[] = [];
    try {
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          for (let i = 0; i < REQUESTS / CONNECTIONS; i++) {
            const res = await fetch(`${url}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ query: 'query Products { products(first: 2) { nodes { name } } }' }),
            });
            const body = (await res.json()) as { errors?: unknown[] };
            statuses.push(body.errors ? -res.status : res.status);
          }
        }),
      );
    } finally {
      await gateway.stop();
    }
    return statuses;
  }

  const options: AuditWriterOptions = { batchSize: 2, maxQueue: 20, flushIntervalMs: 5, logger: silent };

  it('holds requests back until the store catches up: every request answered, every event written, none refused', async () => {
    const { store, written } = slowStore();
    // Slices from 4 queued events; from 8, a wait for the store: the 10 requests in flight then fit (8 + 10 < 20).
    const writer = createAuditWriter(store, { ...options, backlogHighWater: 4, backlogLimit: 8, maxHoldBackMs: 60_000 });
    const metrics = createGatewayMetrics();
    metrics.watchAudit(() => writer.stats());
    const statuses = await load(writer, metrics);
    expect(statuses).toEqual(new Array(REQUESTS).fill(200));
    await writer.close();
    expect(written).toHaveLength(REQUESTS);
    const { rejected, heldBack } = writer.stats();
    expect(rejected).toBe(0);
    expect(heldBack).toBeGreaterThan(0);
    expect(await metrics.registry.getSingleMetricAsString('meshgate_audit_held_back_total')).toMatch(new RegExp(`^meshgate_audit_held_back_total ${heldBack}$`, 'm'));
  }, 30_000);

  it.each([
    ['without a high-water mark', { backlogHighWater: Infinity }],
    ['with slices but no backlog limit', { backlogHighWater: 4, backlogLimit: Infinity }],
  ])('%s the same traffic fills the queue, and the trail loses events', async (_, marks) => {
    const { store, written } = slowStore();
    const writer = createAuditWriter(store, { ...options, ...marks });
    const statuses = await load(writer);
    expect(statuses).toEqual(new Array(REQUESTS).fill(200));
    await writer.close();
    expect(writer.stats().rejected).toBeGreaterThan(0);
    expect(written.length).toBe(REQUESTS - writer.stats().rejected);
  }, 30_000);
});
