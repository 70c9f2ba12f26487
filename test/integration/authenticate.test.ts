import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { exportJWK, exportSPKI, generateKeyPair, jwtVerify, type GenerateKeyPairResult } from 'jose';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureDevSecrets } from '../../gateway/auth/dev-secrets';
import { useAuthenticate, type AuthenticateOptions } from '../../gateway/plugins/authenticate';
import type { MeshgatePlugin } from '../../gateway/plugins/types';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { createLogger } from '../../shared/logger';
import type { Principal } from '../../shared/principal';
import { fixtures } from '../fixtures/foreign';
import { cli } from '../support/cli';
import { signToken, TEST_JWT_SECRET, unsignedToken } from '../support/tokens';

const QUERY = '{ me { name } topProducts(first: 1) { name } }';
const silent = createLogger('test', 'silent');

/** The accounts and products fixtures, recording every request they receive. */
async function startRecordingSubgraphs() {
  const received: string[] = [];
  const servers = await Promise.all(
    (['accounts', 'products'] as const).map(async (name) => {
      const server = new ApolloServer({
        schema: buildSubgraphSchema(fixtures[name] as any),
        plugins: [ApolloServerPluginInlineTraceDisabled(), { requestDidStart: async ({ request }) => void received.push(`${name}: ${request.query}`) }],
      });
      const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
      return { name, url, server };
    }),
  );
  // Composed directly: these tests are about identity, not the governance checks of gateway/compose.ts.
  const composed = composeServices(servers.map((s) => ({ name: s.name, url: s.url, typeDefs: fixtures[s.name].typeDefs })));
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  return { received, supergraphSdl: composed.supergraphSdl, stop: () => Promise.all(servers.map((s) => s.server.stop())) };
}

async function post(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: QUERY }) });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: (await res.json()) as { data?: any; errors?: any[] } };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('authenticate: bearer tokens to a principal, refusals before any subgraph', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-auth-'));
  const gateways: MeshgateGateway[] = [];
  let subgraphs: Awaited<ReturnType<typeof startRecordingSubgraphs>>;
  let principals: Principal[];
  const probe: MeshgatePlugin = { name: 'probe', prepareContext: (_req, context) => void principals.push(context.principal) };

  /** Starts a gateway whose pipeline is authenticate (with these options) then a principal probe. */
  async function gatewayWith(options: AuthenticateOptions): Promise<string> {
    const gateway = await createGateway({ supergraphSdl: subgraphs.supergraphSdl, plugins: [useAuthenticate({ logger: silent, ...options }), probe], logger: silent });
    gateways.push(gateway);
    return `${await gateway.listen(0)}/graphql`;
  }

  /** Asserts a refusal: the status, code and reason, no data, and nothing sent to any subgraph. */
  async function expectRefused(url: string, headers: Record<string, string>, status: number, code: string, reason: string) {
    const before = subgraphs.received.length;
    const res = await post(url, headers);
    expect(res.status).toBe(status);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0].extensions).toMatchObject({ code, reason });
    expect(subgraphs.received.length).toBe(before);
    return res;
  }

  beforeAll(async () => {
    subgraphs = await startRecordingSubgraphs();
  });
  afterEach(() => vi.unstubAllEnvs());
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await subgraphs.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('HS256 with MESHGATE_JWT_SECRET, anonymous denied', () => {
    let url: string;
    beforeAll(async () => {
      url = await gatewayWith({ env: { MESHGATE_JWT_SECRET: TEST_JWT_SECRET }, anonymous: 'deny' });
    });

    it('serves a valid token and maps its claims to the principal', async () => {
      principals = [];
      const token = await signToken({
        sub: 'alice',
        roles: 'analyst support',
        scope: 'orders:read customers:read',
        purposes: ['customer-support', 'fraud'],
        customer_id: 'C000001',
        client_id: 'crm',
      });
      const before = subgraphs.received.length;
      const res = await post(url, { ...bearer(token), 'x-purpose': 'customer-support', 'apollographql-client-name': 'spoofed', 'apollographql-client-version': '2.1' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { me: { name: 'Ada Lovelace' }, topProducts: [{ name: 'Table' }] } });
      expect(subgraphs.received.length).toBe(before + 2);
      expect(principals).toEqual([
        {
          subject: 'alice',
          roles: ['analyst', 'support'],
          scopes: ['orders:read', 'customers:read'],
          grantedPurposes: ['customer-support', 'fraud'],
          purpose: 'customer-support',
          client: { name: 'crm', version: '2.1' },
          attributes: { customerId: 'C000001' },
        },
      ]);
    });

    it('takes roles as an array, the purpose from the claim, and the client from the headers when the token names none', async () => {
      principals = [];
      const token = await signToken({ sub: 'bob', roles: ['support'], purposes: ['fraud'], purpose: 'fraud' });
      const res = await post(url, { ...bearer(token), 'apollographql-client-name': 'web', 'apollographql-client-version': '1.0' });
      expect(res.status).toBe(200);
      expect(principals[0]).toMatchObject({ subject: 'bob', roles: ['support'], scopes: [], purpose: 'fraud', client: { name: 'web', version: '1.0' }, attributes: {} });
    });

    it.each([
      ['forged (signed with another secret)', () => signToken({ sub: 'alice' }, { key: 'another-secret-that-is-long-enough-0123456789' }), 'TOKEN_SIGNATURE'],
      ['expired', () => signToken({ sub: 'alice' }, { expiresIn: -3600 }), 'TOKEN_EXPIRED'],
      ['not yet valid (nbf in an hour)', () => signToken({ sub: 'alice' }, { notBefore: 3600 }), 'TOKEN_NOT_YET_VALID'],
      ['alg: none', async () => unsignedToken({ sub: 'alice', roles: ['admin'] }), 'TOKEN_ALGORITHM'],
      ['from another issuer', () => signToken({ sub: 'alice' }, { issuer: 'evil-idp' }), 'TOKEN_ISSUER'],
      ['for another audience', () => signToken({ sub: 'alice' }, { audience: 'other-api' }), 'TOKEN_AUDIENCE'],
      ['without sub', () => signToken({ roles: ['analyst'] }), 'TOKEN_CLAIMS'],
      ['with roles of the wrong type', () => signToken({ sub: 'alice', roles: { admin: true } }), 'TOKEN_CLAIMS'],
      ['HS512 (not the configured algorithm)', () => signToken({ sub: 'alice' }, { alg: 'HS512' }), 'TOKEN_ALGORITHM'],
      ['malformed', async () => 'not.a.jwt', 'TOKEN_MALFORMED'],
      ['garbage', async () => 'abc', 'TOKEN_MALFORMED'],
    ])('refuses a token %s with 401 UNAUTHENTICATED', async (_name, token, reason) => {
      const res = await expectRefused(url, bearer(await token()), 401, 'UNAUTHENTICATED', reason);
      expect(res.challenge).toBe('Bearer error="invalid_token"');
    });

    it.each([['Basic YWxpY2U6c2VjcmV0'], ['Bearer'], ['Bearer a b'], ['bearer:token'], ['']])('refuses the Authorization header %j as malformed', async (authorization) => {
      await expectRefused(url, { authorization }, 401, 'UNAUTHENTICATED', 'MALFORMED_AUTHORIZATION');
    });

    it('refuses a caller without a token when anonymous callers are denied', async () => {
      const res = await expectRefused(url, {}, 401, 'UNAUTHENTICATED', 'MISSING_TOKEN');
      expect(res.challenge).toBe('Bearer');
    });

    it('refuses a declared purpose the token does not grant with 403 FORBIDDEN naming it', async () => {
      const token = await signToken({ sub: 'alice', roles: ['analyst'], purposes: ['customer-support'] });
      const res = await expectRefused(url, { ...bearer(token), 'x-purpose': 'marketing' }, 403, 'FORBIDDEN', 'PURPOSE_NOT_GRANTED');
      expect(res.body.errors![0].message).toContain('"marketing"');
      const claimed = await signToken({ sub: 'alice', purposes: ['customer-support'], purpose: 'marketing' });
      await expectRefused(url, bearer(claimed), 403, 'FORBIDDEN', 'PURPOSE_NOT_GRANTED');
    });
  });

  describe('anonymous callers', () => {
    it('are served as the anonymous principal when allowed (from meshgate.auth.anonymous), with their client headers', async () => {
      const url = await gatewayWith({ settings: { anonymous: 'allow' }, env: { MESHGATE_JWT_SECRET: TEST_JWT_SECRET } });
      principals = [];
      const res = await post(url, { 'apollographql-client-name': 'storefront' });
      expect(res.status).toBe(200);
      expect(res.body.data.me).toEqual({ name: 'Ada Lovelace' });
      expect(principals[0]).toEqual({ subject: null, roles: [], scopes: [], grantedPurposes: [], purpose: null, client: { name: 'storefront', version: null }, attributes: {} });
      await expectRefused(url, { 'x-purpose': 'marketing' }, 403, 'FORBIDDEN', 'PURPOSE_NOT_GRANTED');
      await expectRefused(url, bearer('abc'), 401, 'UNAUTHENTICATED', 'TOKEN_MALFORMED');
    });

    it("the policy's choice (the anonymous option) outranks the config", async () => {
      const url = await gatewayWith({ settings: { anonymous: 'allow' }, anonymous: 'deny', env: { MESHGATE_JWT_SECRET: TEST_JWT_SECRET } });
      await expectRefused(url, {}, 401, 'UNAUTHENTICATED', 'MISSING_TOKEN');
    });
  });

  describe('RS256/ES256 from a JWKS', () => {
    let rsa: GenerateKeyPairResult;
    let ec: GenerateKeyPairResult;
    let jwksServer: http.Server;
    let jwksFetches = 0;

    beforeAll(async () => {
      rsa = await generateKeyPair('RS256');
      ec = await generateKeyPair('ES256');
      const jwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' }] };
      fs.writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify(jwks));
      jwksServer = http.createServer((_req, res) => {
        jwksFetches++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
      });
      await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

    it('verifies RS256 and ES256 tokens against a JWKS file; refuses HS256 tokens, even signed with the public key (algorithm confusion)', async () => {
      // The HS secret is in the environment too: a JWKS config must still never accept HS256.
      const url = await gatewayWith({ settings: { jwks_file: 'jwks.json' }, baseDir: dir, env: { MESHGATE_JWT_SECRET: TEST_JWT_SECRET } });
      principals = [];
      expect((await post(url, bearer(await signToken({ sub: 'carol', roles: ['analyst'] }, { alg: 'RS256', key: rsa.privateKey, kid: 'rsa-1' })))).status).toBe(200);
      expect((await post(url, bearer(await signToken({ sub: 'dave' }, { alg: 'ES256', key: ec.privateKey, kid: 'ec-1' })))).status).toBe(200);
      expect(principals.map((p) => p.subject)).toEqual(['carol', 'dave']);

      await expectRefused(url, bearer(await signToken({ sub: 'alice' })), 401, 'UNAUTHENTICATED', 'TOKEN_ALGORITHM');
      const confused = await signToken({ sub: 'alice' }, { key: await exportSPKI(rsa.publicKey) });
      await expectRefused(url, bearer(confused), 401, 'UNAUTHENTICATED', 'TOKEN_ALGORITHM');
      const other = await generateKeyPair('RS256');
      await expectRefused(url, bearer(await signToken({ sub: 'alice' }, { alg: 'RS256', key: other.privateKey, kid: 'rsa-1' })), 401, 'UNAUTHENTICATED', 'TOKEN_SIGNATURE');
      await expectRefused(url, bearer(await signToken({ sub: 'alice' }, { alg: 'RS256', key: rsa.privateKey, expiresIn: -60 * 60 })), 401, 'UNAUTHENTICATED', 'TOKEN_EXPIRED');
    });

    it('verifies tokens against a JWKS URL, and an RSA config refuses ES256 when algorithms says RS256 only', async () => {
      const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
      const url = await gatewayWith({ settings: { jwks_url: jwksUrl, algorithms: ['RS256'], issuer: 'https://idp.example', audience: 'meshgate-api' } });
      const claims = { sub: 'erin' };
      const good = await signToken(claims, { alg: 'RS256', key: rsa.privateKey, kid: 'rsa-1', issuer: 'https://idp.example', audience: 'meshgate-api' });
      expect((await post(url, bearer(good))).status).toBe(200);
      expect(jwksFetches).toBeGreaterThan(0);
      const es = await signToken(claims, { alg: 'ES256', key: ec.privateKey, kid: 'ec-1', issuer: 'https://idp.example', audience: 'meshgate-api' });
      await expectRefused(url, bearer(es), 401, 'UNAUTHENTICATED', 'TOKEN_ALGORITHM');
      await expectRefused(url, bearer(await signToken(claims, { alg: 'RS256', key: rsa.privateKey, kid: 'rsa-1' })), 401, 'UNAUTHENTICATED', 'TOKEN_ISSUER');
      const hs = await signToken(claims, { issuer: 'https://idp.example', audience: 'meshgate-api' });
      await expectRefused(url, bearer(hs), 401, 'UNAUTHENTICATED', 'TOKEN_ALGORITHM');
    });

    it('answers 503 AUTH_UNAVAILABLE when the JWKS URL does not answer, and logs it without the token', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
      const url = await gatewayWith({ settings: { jwks_url: 'http://127.0.0.1:9/jwks.json' }, logger });
      const token = await signToken({ sub: 'alice' }, { alg: 'RS256', key: rsa.privateKey, kid: 'rsa-1' });
      await expectRefused(url, bearer(token), 503, 'AUTH_UNAVAILABLE', 'KEYS_UNAVAILABLE');
      expect(lines.join('')).toContain('key set unavailable');
      expect(lines.join('')).not.toContain(token.split('.')[2]);
    });
  });

  it('without any key material starts with a warning and refuses every token', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const url = await gatewayWith({ env: {}, anonymous: 'allow', logger });
    expect(lines.join('')).toContain('no token verification key');
    await expectRefused(url, bearer(await signToken({ sub: 'alice' })), 401, 'UNAUTHENTICATED', 'NO_VERIFICATION_KEY');
    expect((await post(url)).status).toBe(200);
  });

  describe('meshgate token', () => {
    it('mints an HS256 token with the claims that the gateway accepts', async () => {
      vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
      const res = await cli('token', '--sub', 'alice', '--roles', 'analyst,support', '--purpose', 'customer-support', '--purpose', 'fraud', '--scope', 'orders:read customers:read', '--customer-id', 'C000001', '--ttl', '15m', '--client', 'crm');
      expect(res).toMatchObject({ code: 0, err: '' });
      expect(res.out).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
      const { payload, protectedHeader } = await jwtVerify(res.out.trim(), new TextEncoder().encode(TEST_JWT_SECRET), { issuer: 'meshgate-dev', audience: 'meshgate' });
      expect(protectedHeader.alg).toBe('HS256');
      expect(payload).toMatchObject({ sub: 'alice', roles: ['analyst', 'support'], purposes: ['customer-support', 'fraud'], scope: 'orders:read customers:read', customer_id: 'C000001', client_id: 'crm' });
      expect(payload.exp! - payload.iat!).toBe(15 * 60);

      const url = await gatewayWith({ env: { MESHGATE_JWT_SECRET: TEST_JWT_SECRET } });
      principals = [];
      expect((await post(url, { ...bearer(res.out.trim()), 'x-purpose': 'fraud' })).status).toBe(200);
      expect(principals[0]).toMatchObject({ subject: 'alice', roles: ['analyst', 'support'], purpose: 'fraud', attributes: { customerId: 'C000001' }, client: { name: 'crm' } });
    });

    it('falls back to the data folder secret that `meshgate start` creates', async () => {
      const dataDir = path.join(dir, 'data');
      const { jwtSecret } = ensureDevSecrets(dataDir);
      vi.stubEnv('MESHGATE_JWT_SECRET', undefined);
      vi.stubEnv('MESHGATE_DATA_DIR', dataDir);
      const res = await cli('token', '--sub', 'alice', '--roles', 'analyst');
      expect(res.code).toBe(0);
      await expect(jwtVerify(res.out.trim(), new TextEncoder().encode(jwtSecret))).resolves.toBeTruthy();
    });

    it('refuses without a secret, in production, and without --sub', async () => {
      vi.stubEnv('MESHGATE_JWT_SECRET', undefined);
      vi.stubEnv('MESHGATE_DATA_DIR', path.join(dir, 'empty'));
      const none = await cli('token', '--sub', 'alice');
      expect(none).toMatchObject({ code: 1, out: '' });
      expect(none.err).toContain('CONFIG_INVALID');
      expect(none.err).toContain('MESHGATE_JWT_SECRET');

      vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
      vi.stubEnv('NODE_ENV', 'production');
      const production = await cli('token', '--sub', 'alice');
      expect(production).toMatchObject({ code: 1, out: '' });
      expect(production.err).toContain('CONFIG_INVALID');
      vi.stubEnv('NODE_ENV', 'test');
      expect((await cli('token', '--roles', 'analyst')).code).toBe(2);
      expect((await cli('token', '--sub', 'alice', '--ttl', 'forever')).code).toBe(2);
    });
  });
});
