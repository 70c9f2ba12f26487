import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { MemoryAuditSink } from '../support/audit-sink';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// Malformed HTTP (issue #6): client mistakes get a 4xx with a clear message and code, never a 5xx;
// slow or oversized requests are cut off; refusals before GraphQL are audited like any other.

const LIMITS = { maxBodyBytes: 4_096, maxHeaderBytes: 8_192, headersTimeoutMs: 400, requestTimeoutMs: 800 };

type Body = { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };

/** What a raw socket received until the server closed it, and how long that took. */
interface RawExchange {
  received: string;
  status: number;
  body: Body | undefined;
  closedAfterMs: number;
}

describe('malformed HTTP', () => {
  const sink = new MemoryAuditSink();
  let mesh: RunningMesh;
  let gateway: MeshgateGateway;
  let url: string;
  let port: number;
  let authorization: string;

  async function send(body: string, headers: Record<string, string> = {}, method = 'POST', path = '/graphql') {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization, ...headers }, body: method === 'POST' ? body : undefined });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as Body };
  }

  /** Writes `chunks` to a raw connection, `gapMs` apart, and reads until the server closes it. */
  function raw(chunks: string[], gapMs = 0): Promise<RawExchange> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const socket = net.connect(port, '127.0.0.1');
      let received = '';
      let timer: NodeJS.Timeout | undefined;
      socket.on('data', (chunk) => (received += chunk));
      // Writing on after the server closed fails; what it answered is what counts.
      socket.on('error', (err) => (received ? undefined : reject(err)));
      socket.on('close', () => {
        clearTimeout(timer);
        // The first response: its head, then content-length bytes of JSON.
        const headEnd = received.indexOf('\r\n\r\n');
        const head = received.slice(0, headEnd);
        const length = Number(/^content-length: *(\d+)/im.exec(head)?.[1] ?? 0);
        const text = received.slice(headEnd + 4, headEnd + 4 + length);
        resolve({ received, status: Number(head.split(' ')[1]), body: text ? (JSON.parse(text) as Body) : undefined, closedAfterMs: performance.now() - started });
      });
      const write = (i: number) => {
        if (i >= chunks.length || socket.destroyed) return;
        socket.write(chunks[i]);
        timer = setTimeout(() => write(i + 1), gapMs);
      };
      write(0);
    });
  }

  const codeOf = (body: Body | undefined) => body?.errors?.map((e) => e.extensions?.code);

  /** The newest audit event, which the request just made must have produced. */
  function expectAudited(before: number, code: string) {
    expect(sink.events.slice(before)).toMatchObject([{ subject: 'http-admin', outcome: 'rejected', errorCodes: [code], fields: [], subgraphs: [] }]);
  }

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    mesh = await startMesh('sqlite', { scale: 0.05 });
    const { plugins } = createPipeline({ settings: { limits: LIMITS }, baseDir: process.cwd(), audit: sink });
    gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins });
    url = await gateway.listen(0);
    port = Number(new URL(url).port);
    authorization = `Bearer ${await signToken({ sub: 'http-admin', roles: ['admin'] })}`;
  });

  afterAll(async () => {
    await gateway?.stop();
    await mesh?.stop();
    vi.unstubAllEnvs();
  });

  it('answers a body that is not JSON with 400 BAD_REQUEST, audited', async () => {
    const before = sink.events.length;
    const { status, body } = await send('{"query": "{ __typename }"', { 'content-type': 'application/json' });
    expect({ status, codes: codeOf(body) }).toEqual({ status: 400, codes: ['BAD_REQUEST'] });
    expect(body.errors![0].message).toMatch(/^request body is not valid JSON: /);
    expectAudited(before, 'BAD_REQUEST');
  });

  it('answers JSON that is not a GraphQL request with 400', async () => {
    for (const payload of ['"{ __typename }"', '{}', '{"query": 42}', 'null']) {
      const { status, body } = await send(payload, { 'content-type': 'application/json' });
      expect({ payload, status, codes: codeOf(body) }).toEqual({ payload, status: 400, codes: ['BAD_REQUEST'] });
    }
  });

  it('answers a POST that is not content-type application/json with 415, audited', async () => {
    const query = JSON.stringify({ query: '{ __typename }' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
      const before = sink.events.length;
      const { status, body } = await send(query, { 'content-type': type });
      expect({ type, status, codes: codeOf(body) }).toEqual({ type, status: 415, codes: ['UNSUPPORTED_MEDIA_TYPE'] });
      expectAudited(before, 'UNSUPPORTED_MEDIA_TYPE');
    }
    const { status } = await send(query, { 'content-type': 'application/json; charset=utf-8' });
    expect(status).toBe(200);
  });

  it('refuses a batch (a JSON array) with 400 BATCHING_DISABLED, audited', async () => {
    const before = sink.events.length;
    const { status, body } = await send(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]), { 'content-type': 'application/json' });
    expect({ status, codes: codeOf(body), data: body.data }).toEqual({ status: 400, codes: ['BATCHING_DISABLED'], data: undefined });
    expectAudited(before, 'BATCHING_DISABLED');
  });

  it('limits the body to maxBodyBytes: just under passes, just over is 413 PAYLOAD_TOO_LARGE, audited', async () => {
    const sized = (bytes: number) => {
      const json = JSON.stringify({ query: '{ __typename }' });
      return `${json.slice(0, -1)}${' '.repeat(bytes - json.length)}}`;
    };
    expect(Buffer.byteLength(sized(LIMITS.maxBodyBytes))).toBe(LIMITS.maxBodyBytes);
    const under = await send(sized(LIMITS.maxBodyBytes), { 'content-type': 'application/json' });
    expect({ status: under.status, data: under.body.data }).toEqual({ status: 200, data: { __typename: 'Query' } });
    const before = sink.events.length;
    const over = await send(sized(LIMITS.maxBodyBytes + 1), { 'content-type': 'application/json' });
    expect({ status: over.status, codes: codeOf(over.body) }).toEqual({ status: 413, codes: ['PAYLOAD_TOO_LARGE'] });
    expectAudited(before, 'PAYLOAD_TOO_LARGE');
  });

  it('limits the body to 2 MiB by default (a bare Apollo Server takes 50 MB): just under passes, just over is 413', async () => {
    // The mesh's own gateway has no pipeline: the default limits apply there.
    const post = async (bytes: number) => {
      const json = JSON.stringify({ query: '{ __typename }' });
      const res = await fetch(`${mesh.gatewayUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `${json.slice(0, -1)}${' '.repeat(bytes - json.length)}}` });
      return { status: res.status, body: (await res.json()) as Body };
    };
    const twoMiB = 2 * 1024 * 1024;
    expect(await post(twoMiB)).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    const over = await post(twoMiB + 1);
    expect({ status: over.status, codes: codeOf(over.body) }).toEqual({ status: 413, codes: ['PAYLOAD_TOO_LARGE'] });
  });

  it('limits the headers to maxHeaderBytes: over is 431 HEADERS_TOO_LARGE and the connection closes', async () => {
    const request = (filler: number) => `GET /health/live HTTP/1.1\r\nHost: test\r\nX-Filler: ${'a'.repeat(filler)}\r\nConnection: close\r\n\r\n`;
    const under = await raw([request(LIMITS.maxHeaderBytes - 200)]);
    expect(under.status).toBe(200);
    const over = await raw([request(LIMITS.maxHeaderBytes)]);
    expect({ status: over.status, codes: codeOf(over.body) }).toEqual({ status: 431, codes: ['HEADERS_TOO_LARGE'] });
  });

  it('closes a connection whose headers drip in slower than headersTimeoutMs with 408', async () => {
    const drip = ['GET /health/live HTTP/1.1\r\n', 'Host: test\r\n', ...Array(20).fill('X-Slow: 1\r\n')];
    const slow = await raw(drip, 100);
    expect({ status: slow.status, codes: codeOf(slow.body) }).toEqual({ status: 408, codes: ['REQUEST_TIMEOUT'] });
    expect(slow.body!.errors![0].message).toBe('the request was not received in time');
    // Closed at the timeout (checked every 100 ms here), long before the drip would have ended.
    expect(slow.closedAfterMs).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs - 50);
    expect(slow.closedAfterMs).toBeLessThan(LIMITS.headersTimeoutMs + 600);
  });

  it('closes a connection whose body drips in slower than requestTimeoutMs with 408, and keeps serving', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const head = `POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nAuthorization: ${authorization}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const slow = await raw([head, ...body.split('')], 100);
    expect({ status: slow.status, codes: codeOf(slow.body) }).toEqual({ status: 408, codes: ['REQUEST_TIMEOUT'] });
    expect(slow.closedAfterMs).toBeLessThan(LIMITS.requestTimeoutMs + 600);
    // The same request sent at once is served: the timeout is about pace, not content.
    const fast = await raw([head.replace('HTTP/1.1\r\n', 'HTTP/1.1\r\nConnection: close\r\n') + body]);
    expect({ status: fast.status, data: fast.body?.data }).toEqual({ status: 200, data: { __typename: 'Query' } });
  });

  it('answers a request that is not HTTP with 400 and closes the connection', async () => {
    const garbage = await raw(['HELLO THERE\r\n\r\n']);
    expect({ status: garbage.status, codes: codeOf(garbage.body) }).toEqual({ status: 400, codes: ['BAD_REQUEST'] });
  });

  it('keeps CSRF prevention on: a GET without a preflight header is refused, with one it runs', async () => {
    const query = `/graphql?query=${encodeURIComponent('{ __typename }')}`;
    const simple = await send('', {}, 'GET', query);
    expect(simple.status).toBe(400);
    expect(simple.body.errors![0].message).toContain('Cross-Site Request Forgery');
    const preflighted = await send('', { 'apollo-require-preflight': 'true' }, 'GET', query);
    expect({ status: preflighted.status, data: preflighted.body.data }).toEqual({ status: 200, data: { __typename: 'Query' } });
  });

  it('serves keep-alive connections idle past headersTimeoutMs', async () => {
    const agentless = await raw(
      [`GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n`, `GET /health/live HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`],
      LIMITS.headersTimeoutMs + 300,
    );
    // Both answered on the one connection; the idle gap did not count as slow headers.
    expect(agentless.received.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
  });
});
