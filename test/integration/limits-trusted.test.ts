import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { documentHash } from '../../gateway/limits/trusted-documents';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { MemoryAuditSink } from '../support/audit-sink';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// Trusted-documents mode (issue #6): with `meshgate.limits.trustedDocuments`, only the registered
// operations run, sent in full or by their sha256 hash; anything else is 400 OPERATION_NOT_TRUSTED,
// audited, with no subgraph called. Registered operations still meet every other limit.

type Body = { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };

const CUSTOMERS = 'query Customers { customers(first: 2) { nodes { id } } }';
const CUBE = '{ suppliers(first: 100) { nodes { products(first: 100) { nodes { reviews(first: 100) { nodes { rating } } } } } } }';

describe('trusted documents', () => {
  const sink = new MemoryAuditSink();
  let dir: string;
  let mesh: RunningMesh;
  let gateway: MeshgateGateway;
  let url: string;
  let authorization: string;
  let subgraphRequests = 0;

  async function post(payload: Record<string, unknown>) {
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(payload) });
    return { status: res.status, body: (await res.json()) as Body };
  }

  async function expectNotTrusted(payload: Record<string, unknown>) {
    const events = sink.events.length;
    const calls = subgraphRequests;
    const { status, body } = await post(payload);
    expect({ status, codes: body.errors?.map((e) => e.extensions?.code), data: body.data }).toEqual({ status: 400, codes: ['OPERATION_NOT_TRUSTED'], data: undefined });
    expect(subgraphRequests).toBe(calls);
    expect(sink.events.slice(events)).toMatchObject([{ subject: 'trusted-admin', outcome: 'rejected', errorCodes: ['OPERATION_NOT_TRUSTED'], subgraphs: [] }]);
    return body.errors![0].message;
  }

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-trusted-'));
    fs.writeFileSync(path.join(dir, 'trusted.json'), JSON.stringify({ [documentHash(CUSTOMERS)]: CUSTOMERS, [documentHash(CUBE)]: CUBE }));
    mesh = await startMesh('sqlite', { scale: 0.05 });
    for (const { service } of Object.values(mesh.services)) service.httpServer.on('request', () => subgraphRequests++);
    // A relative path resolves against the config's folder.
    const { plugins } = createPipeline({ settings: { limits: { trustedDocuments: 'trusted.json' } }, baseDir: dir, audit: sink });
    gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins });
    url = await gateway.listen(0);
    authorization = `Bearer ${await signToken({ sub: 'trusted-admin', roles: ['admin'] })}`;
  });

  afterAll(async () => {
    await gateway?.stop();
    await mesh?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    vi.unstubAllEnvs();
  });

  it('runs a registered operation sent in full, or by its hash alone (POST and GET)', async () => {
    const full = await post({ query: CUSTOMERS });
    expect({ status: full.status, errors: full.body.errors }).toEqual({ status: 200, errors: undefined });
    expect(full.body.data.customers.nodes).toHaveLength(2);

    const extensions = { persistedQuery: { version: 1, sha256Hash: documentHash(CUSTOMERS) } };
    const byHash = await post({ extensions });
    expect({ status: byHash.status, data: byHash.body.data }).toEqual({ status: 200, data: full.body.data });

    const search = new URLSearchParams({ extensions: JSON.stringify(extensions) });
    const res = await fetch(`${url}/graphql?${search}`, { headers: { authorization, 'apollo-require-preflight': 'true' } });
    expect({ status: res.status, data: ((await res.json()) as Body).data }).toEqual({ status: 200, data: full.body.data });
    expect(sink.events.at(-1)).toMatchObject({ operationName: 'Customers', outcome: 'ok', subgraphs: ['sales'] });
  });

  it('refuses any other operation, even the registered one written differently', async () => {
    expect(await expectNotTrusted({ query: '{ customers(first: 2) { nodes { id } } }' })).toMatch(/^operation [0-9a-f]{64} is not trusted: only the operations registered/);
    await expectNotTrusted({ query: CUSTOMERS.replace('first: 2', 'first:2') });
    // A client cannot register one either (APQ with the query attached).
    const query = '{ __typename }';
    await expectNotTrusted({ query, extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(query) } } });
    await expectNotTrusted({ extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(query) } } });
  });

  it('refuses an unknown hash with 400 OPERATION_NOT_TRUSTED, not APQ\'s PersistedQueryNotFound', async () => {
    const hash = 'f'.repeat(64);
    expect(await expectNotTrusted({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } })).toBe(
      `no trusted operation has hash ${hash}: only the operations registered in meshgate.limits.trustedDocuments run`,
    );
  });

  it('still applies every other limit to registered operations', async () => {
    const calls = subgraphRequests;
    const { status, body } = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: documentHash(CUBE) } } });
    expect({ status, codes: body.errors?.map((e) => e.extensions?.code) }).toEqual({ status: 400, codes: ['COST_LIMIT_EXCEEDED'] });
    expect(subgraphRequests).toBe(calls);
  });

  it('refuses a trusted-documents file that is missing or whose hashes do not match, naming the entry', () => {
    const pipeline = (file: string) => () => createPipeline({ settings: { limits: { trustedDocuments: file } }, baseDir: dir });
    expect(pipeline('missing.json')).toThrow(/meshgate\.limits\.trustedDocuments: cannot read .*missing\.json/);
    const wrong = 'a'.repeat(64);
    fs.writeFileSync(path.join(dir, 'wrong.json'), JSON.stringify({ [wrong]: CUSTOMERS }));
    expect(pipeline('wrong.json')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`${wrong} is not the sha256 hash of its document`) }));
  });
});
