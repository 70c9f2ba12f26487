import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { createLogger } from '../../shared/logger';

// A subgraph may mark its own data cacheable; the gateway's answer is one caller's view of it
// (authorization, masking, row rules) and must never be kept by a shared cache for another.

describe('gateway answers and subgraph cache hints', () => {
  let subgraph: http.Server;
  let gateway: MeshgateGateway;
  let url: string;

  beforeAll(async () => {
    subgraph = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60, public' });
        res.end(JSON.stringify({ data: { hello: 'world', wide: 'wörld ’ 😀' } }));
      });
    });
    await new Promise<void>((resolve) => subgraph.listen(0, '127.0.0.1', resolve));
    const sdl = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"]) type Query { hello: String wide: String }';
    const composed = composeServices([{ name: 'stub', url: `http://127.0.0.1:${(subgraph.address() as AddressInfo).port}/graphql`, typeDefs: parse(sdl) }]);
    expect(composed.errors).toBeUndefined();
    gateway = await createGateway({ supergraphSdl: composed.supergraphSdl!, plugins: [], logger: createLogger('test', 'silent') });
    url = `${await gateway.listen(0, '127.0.0.1')}/graphql`;
  });

  afterAll(async () => {
    await gateway?.stop();
    subgraph?.closeAllConnections();
    await new Promise((resolve) => subgraph?.close(resolve));
  });

  const post = (body: string, contentType = 'application/json') => fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('answer no-store even when every subgraph said max-age=60, public (Apollo would have passed that on)', async () => {
    const res = await post('{"query":"{ hello }"}');
    expect(await res.json()).toEqual({ data: { hello: 'world' } });
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('answer no-store on errors and on requests refused before GraphQL', async () => {
    const invalid = await post('{"query":"{ nope }"}');
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('cache-control')).toBe('no-store');
    const refused = await post('hello', 'text/plain');
    expect(refused.status).toBe(415);
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });

  // The body goes out as one Buffer (shared/http.ts endWithText): its length is in bytes, not characters.
  it('an answer declares its exact length in bytes, characters beyond ASCII included', async () => {
    const res = await post('{"query":"{ wide }"}');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ data: { wide: 'wörld ’ 😀' } });
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.length).toBeGreaterThan(bytes.toString('utf8').length);
  });
});
