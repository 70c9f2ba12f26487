import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { flushTracing, startTracing, stopTracing, tracingEnabled, tracingRequested } from '../../gateway/observability/tracing';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// Issue #6: OpenTelemetry tracing is off unless the standard OTEL_* variables ask for it. On, a
// request's server span continues the caller's W3C trace, the pipeline steps and every subgraph
// call are spans in it, and each subgraph request carries `traceparent` naming its call's span.
// Spans go to a local OTLP/HTTP receiver here: nothing leaves the machine.

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

/** A local OTLP/HTTP receiver: collects every span posted to /v1/traces (JSON encoding). */
async function startOtlpReceiver() {
  const spans: OtlpSpan[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url === '/v1/traces') {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...ss.spans);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const parseTraceparent = (value: string | undefined) => {
  const match = value?.match(/^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/);
  return match ? { traceId: match[1], parentId: match[2] } : undefined;
};

describe('OpenTelemetry tracing', () => {
  let mesh: RunningMesh;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let untraced: MeshgateGateway;
  let traced: MeshgateGateway;
  let untracedUrl: string;
  let tracedUrl: string;
  /** Headers of every request the sales subgraph received. */
  const salesSaw: http.IncomingHttpHeaders[] = [];

  let analyst: string;
  const ask = async (base: string, headers: Record<string, string> = {}) => {
    salesSaw.length = 0;
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: analyst, ...headers },
      body: JSON.stringify({ query: 'query Traced { products(first: 1) { nodes { name } } orders(first: 1) { nodes { id } } }' }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    expect(body.data.orders.nodes).toHaveLength(1);
    expect(salesSaw.length).toBeGreaterThan(0);
    return parseTraceparent(salesSaw[0].traceparent as string | undefined);
  };

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    analyst = `Bearer ${await signToken({ sub: 'tracing-analyst', roles: ['analyst'] })}`;
    mesh = await startMesh('sqlite', { scale: 0.02 });
    mesh.services.sales.service.httpServer.prependListener('request', (req: http.IncomingMessage) => void salesSaw.push(req.headers));
    receiver = await startOtlpReceiver();
    const pipeline = () => createPipeline({ settings: {}, baseDir: process.cwd() }).plugins;
    // Built before tracing starts: it must stay exactly as it was (no spans, no traceparent).
    untraced = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins: pipeline() });
    untracedUrl = await untraced.listen(0);

    vi.stubEnv('OTEL_TRACES_EXPORTER', 'otlp');
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
    expect(startTracing()).toBe(true);
    traced = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins: pipeline() });
    tracedUrl = await traced.listen(0);
  }, 60_000);

  afterAll(async () => {
    await traced?.stop();
    await untraced?.stop();
    await stopTracing();
    await receiver?.stop();
    await mesh?.stop();
    vi.unstubAllEnvs();
  });

  it('is switched by the standard variables, off by default', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(tracingRequested({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingEnabled()).toBe(true);
  });

  it('a gateway built without tracing sends subgraphs no traceparent', async () => {
    expect(await ask(untracedUrl)).toBeUndefined();
  });

  it("continues the caller's trace: server span, pipeline steps and the subgraph call's span, whose id the subgraph receives", async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const sent = await ask(tracedUrl, { traceparent: `00-${callerTrace}-${callerSpan}-01` });
    expect(sent?.traceId).toBe(callerTrace);
    await flushTracing();

    const trace = receiver.spans.filter((s) => s.traceId === callerTrace);
    const server = trace.find((s) => s.name === 'POST /graphql');
    expect(server?.parentSpanId).toBe(callerSpan);
    const salesCall = trace.find((s) => s.spanId === sent!.parentId);
    expect(salesCall?.name).toBe('subgraph sales');
    const names = new Set(trace.map((s) => s.name));
    for (const step of ['meshgate.authenticate.prepareContext', 'meshgate.authorize.didResolveOperation', 'gateway.plan', 'gateway.fetch', 'subgraph inventory']) expect(names, step).toContain(step);
    // Every span of the request hangs off the server span.
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const rootOf = (s: OtlpSpan): OtlpSpan => (s.parentSpanId && byId.has(s.parentSpanId) ? rootOf(byId.get(s.parentSpanId)!) : s);
    expect(rootOf(salesCall!)).toBe(server);
  });

  it('starts a trace of its own when the caller sent none', async () => {
    const sent = await ask(tracedUrl);
    expect(sent?.traceId).toMatch(/^[0-9a-f]{32}$/);
    await flushTracing();
    const server = receiver.spans.find((s) => s.traceId === sent!.traceId && s.name === 'POST /graphql');
    expect(server).toBeDefined();
    expect(server!.parentSpanId ?? '').toBe('');
  });
});
