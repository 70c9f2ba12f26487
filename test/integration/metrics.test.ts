import { randomBytes } from 'node:crypto';
import { register as globalRegistry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditAppender } from '../../gateway/audit/store';
import type { AuditEvent } from '../../gateway/audit/types';
import { createAuditWriter, type AuditWriter } from '../../gateway/audit/writer';
import { createGatewayMetrics } from '../../gateway/observability/metrics';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// Issue #6: GET /metrics in Prometheus' text format from the gateway's own registry: requests by
// operation and outcome, gateway latency, subgraph call latency and failures, authorization
// denials by coordinate, and the audit writer's queue depth, write lag and failures.

/** An audit store the test holds up or breaks at will. */
function controllableStore() {
  const written: AuditEvent[] = [];
  let mode: 'ok' | 'hang' | 'fail' = 'ok';
  let release: (() => void) | undefined;
  const store: AuditAppender = {
    async append(events) {
      if (mode === 'fail') throw new Error('connect ECONNREFUSED audit-db:5432');
      if (mode === 'hang') await new Promise<void>((resolve) => (release = resolve));
      // A hung write that ends in an outage fails like any other: the batch stays queued.
      if ((mode as string) === 'fail') throw new Error('connect ECONNREFUSED audit-db:5432');
      written.push(...events);
    },
    async close() {},
  };
  return {
    store,
    written,
    set(next: typeof mode) {
      mode = next;
      if (next !== 'hang') release?.();
    },
  };
}

/** The value of one sample in Prometheus text format, labels matched exactly (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of text.split('\n')) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/);
    if (!match || match[1] !== name) continue;
    const got = (match[2] ?? '').split(/,(?=\w+=")/).filter(Boolean).sort().join(',');
    if (got === wanted) return Number(match[3]);
  }
  return 0;
}

describe('GET /metrics', () => {
  const secret = randomBytes(32).toString('base64url');
  let mesh: RunningMesh;
  let gateway: MeshgateGateway;
  let url: string;
  let writer: AuditWriter;
  const audit = controllableStore();
  let analyst: string;

  const post = async (body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
  };
  const ask = (query: string, headers: Record<string, string> = {}) => post(JSON.stringify({ query }), headers);
  const scrape = async () => {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    mesh = await startMesh('sqlite', { scale: 0.02, subgraphSecret: secret });
    const metrics = createGatewayMetrics();
    writer = createAuditWriter(audit.store, { flushIntervalMs: 10, retryBaseMs: 10, retryMaxMs: 20, maxOutageMs: 60_000 });
    metrics.watchAudit(() => writer.stats());
    const { plugins } = createPipeline({ settings: {}, baseDir: process.cwd(), audit: writer, metrics });
    gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, subgraphSecret: secret, plugins, metrics });
    url = await gateway.listen(0);
    analyst = `Bearer ${await signToken({ sub: 'metrics-analyst', roles: ['analyst'] })}`;
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await writer?.close();
    await mesh?.stop();
    vi.unstubAllEnvs();
  });

  it('counts requests by operation and outcome, with a latency histogram, in its own registry', async () => {
    for (let i = 0; i < 3; i++) expect((await ask('query Products { products(first: 2) { nodes { name } } }')).body.errors).toBeUndefined();
    expect((await ask('{', { authorization: analyst })).status).toBe(400);
    expect((await ask('query Bad { products { nodes { name } } }', { authorization: 'Bearer not-a-token' })).status).toBe(401);

    const text = await scrape();
    expect(sample(text, 'meshgate_graphql_requests_total', { operation: 'Products', outcome: 'ok' })).toBe(3);
    // Refused before GraphQL ran: no operation name is known yet.
    expect(sample(text, 'meshgate_graphql_requests_total', { operation: '(anonymous)', outcome: 'rejected' })).toBe(2);
    expect(sample(text, 'meshgate_graphql_request_duration_seconds_count', { outcome: 'ok' })).toBe(3);
    expect(sample(text, 'meshgate_graphql_request_duration_seconds_bucket', { outcome: 'ok', le: '+Inf' })).toBe(3);
    expect(sample(text, 'meshgate_graphql_request_duration_seconds_sum', { outcome: 'ok' })).toBeGreaterThan(0);
    expect(text).toContain('meshgate_process_resident_memory_bytes');
    // Not prom-client's global registry: a second gateway in the process does not collide.
    expect(globalRegistry.getSingleMetric('meshgate_graphql_requests_total')).toBeUndefined();
  });

  it('counts authorization denials by schema coordinate', async () => {
    const before = sample(await scrape(), 'meshgate_authorization_denials_total', { coordinate: 'SalesRep.birthDate' });
    const res = await ask('query Birthdays { products(first: 1) { nodes { name } } salesReps { birthDate } }', { authorization: analyst });
    expect(res.body.errors?.[0]?.extensions?.code, JSON.stringify(res.body.errors)).toBe('FORBIDDEN');
    const text = await scrape();
    expect(sample(text, 'meshgate_authorization_denials_total', { coordinate: 'SalesRep.birthDate' })).toBe(before + 1);
    expect(sample(text, 'meshgate_authorization_denials_total', { coordinate: 'Product.name' })).toBe(0);
    expect(sample(text, 'meshgate_graphql_requests_total', { operation: 'Birthdays', outcome: 'partial' })).toBe(1);
  });

  it('times every subgraph call and counts the failed ones by subgraph and code', async () => {
    const query = 'query Catalogue { products(first: 1) { nodes { name } } review(id: "1") { id } }';
    await ask(query);
    let text = await scrape();
    const inventoryCalls = sample(text, 'meshgate_subgraph_fetch_duration_seconds_count', { subgraph: 'inventory' });
    expect(inventoryCalls).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'meshgate_subgraph_fetch_errors_total', { subgraph: 'customer-experience', code: 'SUBGRAPH_UNAVAILABLE' })).toBe(0);

    await mesh.services['customer-experience'].service.stop();
    const res = await ask(query);
    expect(res.body.data.products.nodes).toHaveLength(1);
    text = await scrape();
    expect(sample(text, 'meshgate_subgraph_fetch_errors_total', { subgraph: 'customer-experience', code: 'SUBGRAPH_UNAVAILABLE' })).toBe(1);
    expect(sample(text, 'meshgate_subgraph_fetch_duration_seconds_count', { subgraph: 'inventory' })).toBe(inventoryCalls + 1);
    expect(sample(text, 'meshgate_graphql_requests_total', { operation: 'Catalogue', outcome: 'partial' })).toBe(1);
  });

  it('shows the audit queue backing up while the store hangs, batches failing while it is down, and the catch-up', async () => {
    await writer.flush();
    let text = await scrape();
    expect(sample(text, 'meshgate_audit_queue_depth')).toBe(0);
    expect(sample(text, 'meshgate_audit_write_lag_seconds')).toBe(0);
    const writtenBefore = sample(text, 'meshgate_audit_events_written_total');
    expect(writtenBefore).toBe(audit.written.length);

    audit.set('hang');
    for (let i = 0; i < 3; i++) await ask('query Products { products(first: 1) { nodes { name } } }');
    await new Promise((resolve) => setTimeout(resolve, 120));
    text = await scrape();
    expect(sample(text, 'meshgate_audit_queue_depth')).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'meshgate_audit_write_lag_seconds')).toBeGreaterThanOrEqual(0.1);

    audit.set('fail');
    await vi.waitFor(async () => expect(sample(await scrape(), 'meshgate_audit_failed_batches_total')).toBeGreaterThanOrEqual(2), { timeout: 3_000 });

    audit.set('ok');
    await writer.flush();
    text = await scrape();
    expect(sample(text, 'meshgate_audit_queue_depth')).toBe(0);
    expect(sample(text, 'meshgate_audit_write_lag_seconds')).toBe(0);
    expect(sample(text, 'meshgate_audit_events_written_total')).toBe(audit.written.length);
    expect(audit.written.length).toBeGreaterThanOrEqual(writtenBefore + 3);
    expect(sample(text, 'meshgate_audit_events_rejected_total')).toBe(0);
  });
});
