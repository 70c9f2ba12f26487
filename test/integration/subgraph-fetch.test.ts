import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphFetcher, withDeadline } from '../../gateway/fetcher';
import { createSubgraphSource, SubgraphSource } from '../../gateway/subgraph-source';
import { createLogger } from '../../shared/logger';

// The subgraph call path as the gateway runs it: undici fetcher, deadline, Meshgate's own
// `sendRequest` (without the node-fetch Request Apollo builds per call), against a real server.

const CHUNKED_TEXT = 'é€😀 '.repeat(20_000);

let server: http.Server;
let base: string;
const { fetcher, close } = createSubgraphFetcher();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.url === '/ok') {
        const body = JSON.parse(raw);
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'max-age=60, public', 'X-Echo-Header': String(req.headers['x-test'] ?? '') });
        res.end(JSON.stringify({ data: { echo: body.query, operationName: body.operationName ?? null, variables: body.variables ?? null } }));
      } else if (req.url === '/fail') {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('bad gateway upstream');
      } else if (req.url === '/early-hints') {
        // A 1xx answer before the real one, and a header sent twice.
        res.writeEarlyHints({ link: '</style.css>; rel=preload' }, () => {
          res.setHeader('x-twice', ['a', 'b']);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"data":{"ok":true}}');
        });
      } else if (req.url === '/chunked') {
        // Multi-byte characters split across chunks: the body is decoded whole, not chunk by chunk.
        const bytes = Buffer.from(JSON.stringify({ data: { text: CHUNKED_TEXT } }));
        res.writeHead(200, { 'content-type': 'application/json' });
        let at = 0;
        const next = () => {
          if (at >= bytes.length) return res.end();
          res.write(bytes.subarray(at, (at += 7_777)), next);
        };
        next();
      } else if (req.url === '/trickle') {
        // Headers at once, then a byte now and then, never the end.
        res.writeHead(200, { 'content-type': 'application/json' });
        const drip = setInterval(() => res.write(' '), 20);
        res.on('close', () => clearInterval(drip));
        res.write('{"data":');
      } else if (req.url === '/text') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('not json');
      }
      // '/hang': never answers
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const sourceFor = (path: string, timeoutMs?: number) => createSubgraphSource({ name: 'sales', url: `${base}${path}`, fetcher, timeoutMs, logger: createLogger('test') });
const call = (source: SubgraphSource, variables?: Record<string, unknown>) =>
  source.process({ kind: 'HEALTH_CHECK' as never, request: { query: '{ orders { id } }', operationName: 'Orders', variables }, context: {} as never });

describe('subgraph calls', () => {
  it("replace @apollo/gateway's sendRequest, which still exists to be replaced", () => {
    expect(Object.prototype.hasOwnProperty.call(RemoteGraphQLDataSource.prototype, 'sendRequest')).toBe(true);
    expect((SubgraphSource.prototype as any).sendRequest).not.toBe((RemoteGraphQLDataSource.prototype as any).sendRequest);
  });

  it('send query, operation name and variables as JSON, and answer with the body and the response headers', async () => {
    const response = await call(sourceFor('/ok'), { first: 3 });
    expect(response.data).toEqual({ echo: '{ orders { id } }', operationName: 'Orders', variables: { first: 3 } });
    // Read-only headers, looked up without regard to case, as Apollo reads content-type and cache-control.
    const headers = response.http!.headers;
    expect(headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(headers.get('cache-control')).toBe('max-age=60, public');
    expect(headers.has('CACHE-CONTROL')).toBe(true);
    expect(headers.get('x-missing')).toBeNull();
    expect(new Map(headers).get('x-echo-header')).toBe('');
    expect(() => headers.set('x-a', 'b')).toThrow(TypeError);
  });

  it('turn a non-2xx answer into SUBGRAPH_UNAVAILABLE naming the data product, not the upstream message', async () => {
    const err = await call(sourceFor('/fail')).catch((e) => e);
    expect(err.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'sales' });
    expect(err.message).not.toContain('bad gateway upstream');
  });

  it('refuse a 2xx answer that is not JSON', async () => {
    const err = await call(sourceFor('/text')).catch((e) => e);
    expect(err.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'sales' });
  });

  it('give up at the deadline with SUBGRAPH_TIMEOUT', async () => {
    const started = performance.now();
    const err = await call(sourceFor('/hang', 150)).catch((e) => e);
    expect(err.extensions).toMatchObject({ code: 'SUBGRAPH_TIMEOUT', serviceName: 'sales' });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('the deadline', () => {
  it('is cleared when the call settles: a finished call keeps no timer or signal running', async () => {
    const signals: AbortSignal[] = [];
    const fast = withDeadline(async (_url, init) => (signals.push(init!.signal), { ok: true }) as never, 50);
    const failing = withDeadline(async (_url, init) => (signals.push(init!.signal), Promise.reject(new Error('refused'))), 50);
    await Promise.all(Array.from({ length: 10 }, () => fast('http://127.0.0.1:1/')));
    await Promise.all(Array.from({ length: 10 }, () => failing('http://127.0.0.1:1/').catch(() => undefined)));
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(signals).toHaveLength(20);
    // A deadline that ran on past its call would have aborted these by now.
    expect(signals.filter((s) => s.aborted)).toHaveLength(0);
  });

  it('aborts the call with a TimeoutError, and still honours the caller’s own signal', async () => {
    const seen: unknown[] = [];
    const hang = withDeadline(
      (_url, init) =>
        new Promise((_, reject) => {
          init!.signal.addEventListener('abort', () => {
            seen.push(init!.signal.reason);
            reject(init!.signal.reason);
          });
        }),
      50,
    );
    await expect(hang('http://127.0.0.1:1/')).rejects.toMatchObject({ name: 'TimeoutError' });
    const caller = new AbortController();
    const pending = hang('http://127.0.0.1:1/', { signal: caller.signal });
    caller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    expect(seen).toHaveLength(2);
  });
});

describe('the undici fetcher', () => {
  const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' };
  const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('skips a 1xx answer, joins a repeated header and decodes a body split mid-character', async () => {
    const hinted = await fetcher(`${base}/early-hints`, init);
    expect(hinted.status).toBe(200);
    expect(await hinted.json()).toEqual({ data: { ok: true } });
    expect(hinted.headers.get('x-twice')).toBe('a, b');
    const chunked = await fetcher(`${base}/chunked`, init);
    expect((await chunked.json()).data.text).toBe(CHUNKED_TEXT);
  });

  it('keeps its own deadline over the whole exchange: a trickling body is cut off with a TimeoutError', async () => {
    const started = performance.now();
    await expect(withDeadline(fetcher, 150)(`${base}/trickle`, init)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(withDeadline(fetcher, 150)(`${base}/hang`, init)).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('leaves no timer behind once a call settles, and honours the caller’s own signal', async () => {
    const before = timeouts();
    const timed = withDeadline(fetcher, 60_000);
    await Promise.all(Array.from({ length: 20 }, () => timed(`${base}/ok`, { ...init, body: '{"query":"{ a }"}' })));
    await Promise.all(Array.from({ length: 5 }, () => timed(`${base}/fail`, init)));
    await Promise.all(Array.from({ length: 5 }, () => timed('http://127.0.0.1:1/', init).catch(() => undefined)));
    expect(timeouts()).toBe(before);
    const caller = new AbortController();
    const pending = timed(`${base}/hang`, { ...init, signal: caller.signal });
    caller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
    await expect(timed(`${base}/ok`, { ...init, signal: AbortSignal.abort(new Error('already gone')) })).rejects.toThrow('already gone');
    expect(timeouts()).toBe(before);
  });
});
