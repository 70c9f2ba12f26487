import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPaced } from '../../bench/paced';

// The benchmark's open-loop client (bench/paced.ts) against a real server: requests go out on
// schedule whatever the server does, and a slow answer delays the latency of every request that
// fell due behind it, as callers would see it (no coordinated omission).

let server: http.Server;
let url: string;
let received: number[] = [];
let stallFirst = false;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(performance.now());
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(req.headers['x-fail'] ? '{"errors":[{"message":"no"}]}' : '{"data":{}}');
      if (stallFirst && received.length === 1) setTimeout(answer, 300);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const requests = [{ body: '{"query":"{ a }"}', headers: () => ({}) }];

describe('the open-loop benchmark client', () => {
  it('sends at the given rate for the given time, and stops at the request cap', async () => {
    received = [];
    stallFirst = false;
    const started = performance.now();
    const result = await runPaced({ url, requests, ratePerSec: 100, durationSec: 0.5, connections: 4 });
    expect(result.sent).toBe(50);
    expect(result.responses).toBe(50);
    expect(received).toHaveLength(50);
    // The last request fell due at 490 ms: the run took about the duration, not as fast as it could.
    expect(received[49] - started).toBeGreaterThan(400);
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
    const capped = await runPaced({ url, requests, ratePerSec: 100, durationSec: 0.5, maxRequests: 7, connections: 4 });
    expect(capped.sent).toBe(7);
  });

  it('times each request from when it fell due: a stalled answer shows in the requests queued behind it', async () => {
    received = [];
    stallFirst = true;
    // One connection: while the first answer takes 300 ms, the requests falling due meanwhile wait.
    const result = await runPaced({ url, requests, ratePerSec: 100, durationSec: 0.5, connections: 1 });
    expect(result.responses).toBe(50);
    const slow = [...result.latencies].filter((ms) => ms > 50);
    expect(slow.length).toBeGreaterThanOrEqual(20);
    expect(result.p50Ms).toBeGreaterThan(50);
  });

  it('counts GraphQL errors and refused connections as failures, not as latencies', async () => {
    stallFirst = false;
    const failing = await runPaced({ url, requests: [{ body: '{}', headers: () => ({ 'x-fail': '1' }) }], ratePerSec: 100, durationSec: 0.1, connections: 2 });
    expect(failing).toMatchObject({ sent: 10, responses: 0, failures: { graphqlErrors: 10 } });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await runPaced({ url: `http://127.0.0.1:${port}/graphql`, requests, ratePerSec: 100, durationSec: 0.05, connections: 1 });
    expect(refused.responses).toBe(0);
    expect(refused.failures.errors).toBe(refused.sent);
  });

  it('refuses anything but loopback and a rate that is not positive', async () => {
    await expect(runPaced({ url: 'http://10.0.0.1/graphql', requests, ratePerSec: 10, durationSec: 1, connections: 1 })).rejects.toThrow(/127\.0\.0\.1 only/);
    await expect(runPaced({ url, requests, ratePerSec: 0, durationSec: 1, connections: 1 })).rejects.toThrow(/positive rate/);
  });
});
