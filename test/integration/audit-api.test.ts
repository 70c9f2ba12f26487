import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TypeInfo, parse, visit, visitWithTypeInfo, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditApi, coordinatesOf } from '../../gateway/audit/api';
import { lazyAuditStore, type AuditStoreConfig } from '../../gateway/audit/store';
import { createAuditWriter, type AuditWriter } from '../../gateway/audit/writer';
import { createPipeline } from '../../gateway/pipeline';
import { createGateway, type MeshgateGateway } from '../../gateway/server';
import { createDb, type Dialect } from '../../shared/db';
import { dialects, TEST_DATABASE_URL } from '../support/db';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// The auditor API (POST /audit/graphql) on a governed gateway whose audit writer appends to a real
// store: requests as analyst and support, then what an auditor sees of them, checked against
// figures computed here from the requests themselves.

interface Caller {
  sub: string;
  roles: string[];
  purpose?: string;
  client?: string;
}
const ANALYST: Caller = { sub: 'api-analyst', roles: ['analyst'], client: 'web' };
const SUPPORT: Caller = { sub: 'api-support', roles: ['support'], purpose: 'customer-support', client: 'desk' };
const AUDITOR: Caller = { sub: 'api-auditor', roles: ['auditor'], client: 'audit-console' };
const ADMIN: Caller = { sub: 'api-admin', roles: ['admin'] };
const silent = { info() {}, warn() {}, error() {} } as any;

async function headersFor(caller: Caller | null, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extra };
  if (!caller) return headers;
  const token = await signToken({ sub: caller.sub, roles: caller.roles, ...(caller.purpose && { purposes: [caller.purpose] }) });
  return {
    ...headers,
    authorization: `Bearer ${token}`,
    ...(caller.purpose && { 'x-purpose': caller.purpose }),
    ...(caller.client && { 'apollographql-client-name': caller.client }),
  };
}

async function post(url: string, query: string, caller: Caller | null, variables?: Record<string, unknown>, extra?: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers: await headersFor(caller, extra), body: JSON.stringify({ query, variables }) });
  return { status: res.status, cacheControl: res.headers.get('cache-control'), body: (await res.json()) as { data?: any; errors?: any[] } };
}

/** Coordinates a query selects, walked independently of the gateway's audit code. */
function coordinatesSelected(schema: GraphQLSchema, query: string): string[] {
  const typeInfo = new TypeInfo(schema);
  const out = new Set<string>();
  visit(
    parse(query),
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent && !node.name.value.startsWith('__')) out.add(`${parent.name}.${node.name.value}`);
      },
    }),
  );
  return [...out];
}

function storeConfig(dialect: Dialect): { config: AuditStoreConfig; cleanup(): Promise<void> } {
  if (dialect === 'postgres') {
    // As MESHGATE_AUDIT_DATABASE_URL + MESHGATE_AUDIT_DB_SCHEMA would configure it, in a fresh schema.
    const schema = `t_${randomBytes(4).toString('hex')}_audit_api`;
    return {
      config: { url: TEST_DATABASE_URL, schema, chain: 'api-test' },
      async cleanup() {
        const db = createDb({ url: TEST_DATABASE_URL });
        await db.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
        await db.close();
      },
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-audit-api-'));
  return { config: { sqliteFile: path.join(dir, 'audit.sqlite'), chain: 'api-test' }, cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const ANALYST_QUERY = '{ customers(first: 3) { nodes { id companyName } } }';
const SUPPORT_QUERY = 'query SupportLookup { customer(id: "C000001") { id companyName email } }';

describe.each(dialects)('auditor API with the audit store on %s', (dialect: Dialect) => {
  let mesh: RunningMesh;
  let gateway: MeshgateGateway;
  let url: string;
  let apiUrl: string;
  let writer: AuditWriter;
  let apiSchema: GraphQLSchema | undefined;
  let cleanup: () => Promise<void>;
  let analystValues = 0;

  const audit = async (query: string, caller: Caller | null = AUDITOR, variables?: Record<string, unknown>, extra?: Record<string, string>) => {
    await writer.flush();
    return post(apiUrl, query, caller, variables, extra);
  };

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    const store = storeConfig(dialect);
    cleanup = store.cleanup;
    const lazy = lazyAuditStore(store.config);
    writer = createAuditWriter(lazy, { flushIntervalMs: 10, logger: silent });
    const { plugins, policy } = createPipeline({ settings: {}, baseDir: process.cwd(), audit: writer });
    plugins.unshift({ name: 'test-capture', onSupergraph: (s) => void (apiSchema = s.apiSchema) });
    mesh = await startMesh('sqlite', { scale: 0.05 });
    gateway = await createGateway({ supergraphSdl: mesh.supergraphSdl, plugins, auditApi: auditApi({ store: lazy.open, sink: writer, policy, logger: silent }) });
    url = await gateway.listen(0);
    apiUrl = `${url}/audit/graphql`;

    for (let i = 0; i < 2; i++) {
      const r = await post(`${url}/graphql`, ANALYST_QUERY, ANALYST);
      expect(r.status).toBe(200);
      // Governed answers are one caller's: no shared cache may keep them (shared/http.ts NO_STORE).
      expect(r.cacheControl).toBe('no-store');
      analystValues += r.body.data.customers.nodes.filter((n: any) => n.companyName !== null).length;
    }
    const s = await post(`${url}/graphql`, SUPPORT_QUERY, SUPPORT);
    expect(s.status).toBe(200);
    expect(s.body.data.customer).toMatchObject({ id: 'C000001' });
    expect(s.body.data.customer.email).toEqual(expect.stringContaining('@'));
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await writer?.close();
    await mesh?.stop();
    await cleanup?.();
    vi.unstubAllEnvs();
  });

  it('lists events filtered by subject and coordinate, newest first, with cursor paging', async () => {
    const q = `query Events($after: String) { auditEvents(filter: { subject: "api-analyst", coordinate: "Customer.companyName" }, first: 1, after: $after) {
      nodes { subject roles clientName operationSignature outcome fields { coordinate level decision values } time }
      pageInfo { hasNextPage endCursor } } }`;
    const first = await audit(q);
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    const page1 = first.body.data.auditEvents;
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const second = await audit(q, AUDITOR, { after: page1.pageInfo.endCursor });
    const page2 = second.body.data.auditEvents;
    expect(page2.pageInfo).toEqual({ hasNextPage: false, endCursor: null });
    const nodes = [...page1.nodes, ...page2.nodes];
    expect(nodes).toHaveLength(2);
    expect(nodes[0].time >= nodes[1].time).toBe(true);
    for (const e of nodes) {
      expect(e).toMatchObject({ subject: 'api-analyst', roles: ['analyst'], clientName: 'web', outcome: 'ok' });
      expect(e.operationSignature).toContain('customers(first:0)');
      expect(e.fields).toContainEqual({ coordinate: 'Customer.companyName', level: expect.any(String), decision: 'allowed', values: analystValues / 2 });
    }
    const tooMany = await audit('{ auditEvents(first: 5000) { nodes { id } } }');
    expect(tooMany.body.errors![0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('answers subject access: who has seen a customer\'s personal data', async () => {
    const { body } = await audit('{ subjectAccess(entityKey: "C000001") { subject client purpose coordinates fields { coordinate decision } } }');
    expect(body.errors).toBeUndefined();
    // Support reads contact data in clear for customer-support: the value itself left, not a mask.
    expect(body.data.subjectAccess).toEqual([
      { subject: 'api-support', client: 'desk', purpose: 'customer-support', coordinates: ['Customer.email'], fields: [{ coordinate: 'Customer.email', decision: 'allowed' }] },
    ]);
  });

  it('reports field usage, field users and unused fields matching the requests made', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const usage = await audit('{ fieldUsage(coordinate: "Customer.companyName") { day coordinate client events values allowed masked denied } }');
    expect(usage.body.data.fieldUsage).toEqual([
      { day: today, coordinate: 'Customer.companyName', client: 'desk', events: 1, values: 1, allowed: 1, masked: 0, denied: 0 },
      { day: today, coordinate: 'Customer.companyName', client: 'web', events: 2, values: analystValues, allowed: 2, masked: 0, denied: 0 },
    ]);
    const users = await audit('{ fieldUsers(coordinate: "Customer.email") { client events values lastUsed } }');
    expect(users.body.data.fieldUsers).toEqual([{ client: 'desk', events: 1, values: 1, lastUsed: today }]);

    const used = new Set([ANALYST_QUERY, SUPPORT_QUERY].flatMap((q) => coordinatesSelected(apiSchema!, q)));
    const expected = coordinatesOf(apiSchema!).filter((c) => !used.has(c)).sort();
    const unused = await audit('{ unusedFields(days: 1) }');
    expect(unused.body.data.unusedFields).toEqual(expected);
    expect(unused.body.data.unusedFields).not.toContain('Customer.email');
    expect(unused.body.data.unusedFields.length).toBeGreaterThan(10);
  });

  it('reports the hash chains as intact', async () => {
    const { body } = await audit('{ chainStatus { ok chains { chain ok events brokenAtSeq } } }');
    expect(body.data.chainStatus.ok).toBe(true);
    expect(body.data.chainStatus.chains).toEqual([{ chain: 'api-test', ok: true, events: expect.any(Number), brokenAtSeq: null }]);
  });

  it('refuses analysts and admins (403 FORBIDDEN) and anonymous callers (401 UNAUTHENTICATED)', async () => {
    const analyst = await audit('{ auditEvents { nodes { id } } }', ANALYST);
    expect(analyst.status).toBe(403);
    expect(analyst.cacheControl).toBe('no-store');
    expect((await audit('{ chainStatus { ok } }')).cacheControl).toBe('no-store');
    expect(analyst.body).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })] });
    const garbage = await audit('{ not graphql', ANALYST);
    expect(garbage.status).toBe(403);
    const anonymous = await audit('{ auditEvents { nodes { id } } }', null, undefined, { 'apollographql-client-name': 'anon-probe' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors![0].extensions.code).toBe('UNAUTHENTICATED');
    // The auditor role alone: an admin reads all data, but not the trail of who read it.
    const admin = await audit('{ chainStatus { ok } }', ADMIN);
    expect(admin.status).toBe(403);
    expect(admin.body).toEqual({ errors: [{ message: 'the auditor API requires the policy "audit:read" (role auditor)', extensions: { code: 'FORBIDDEN' } }] });
  });

  it('audits its own requests, refused ones included', async () => {
    const marker = await audit('query Mine { unusedFields(days: 7) fieldUsers(coordinate: "Customer.email", days: 3) { client } }');
    expect(marker.status).toBe(200);
    const { body } = await audit(`{ auditEvents(filter: { subject: "api-auditor", coordinate: "AuditQuery.unusedFields" }, first: 10) {
      nodes { operationName operationSignature outcome clientName roles fields { coordinate decision level } latencyMs } } }`);
    const mine = body.data.auditEvents.nodes.find((e: any) => e.operationName === 'Mine');
    expect(mine).toMatchObject({ outcome: 'ok', clientName: 'audit-console', roles: ['auditor'] });
    expect(mine.fields.map((f: any) => f.coordinate).sort()).toEqual(['AuditQuery.fieldUsers', 'AuditQuery.unusedFields']);
    expect(mine.fields.every((f: any) => f.decision === 'allowed' && f.level === 'INTERNAL')).toBe(true);
    // Literal-free: the day count and coordinate argument do not appear.
    expect(mine.operationSignature).not.toContain('Customer.email');
    expect(mine.operationSignature).toContain('unusedFields(days:0)');

    const refused = await audit(`{ auditEvents(filter: { subject: "api-analyst", coordinate: "AuditQuery.auditEvents" }) { nodes { outcome errorCodes fields { coordinate decision } } } }`);
    expect(refused.body.data.auditEvents.nodes).toContainEqual({ outcome: 'rejected', errorCodes: ['FORBIDDEN'], fields: [{ coordinate: 'AuditQuery.auditEvents', decision: 'denied' }] });
    const anon = await audit('{ auditEvents(filter: { client: "anon-probe" }) { nodes { subject outcome errorCodes } } }');
    expect(anon.body.data.auditEvents.nodes).toEqual([{ subject: null, outcome: 'rejected', errorCodes: ['UNAUTHENTICATED'] }]);
  });
});
