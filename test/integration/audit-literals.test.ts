import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openAuditStore, type AuditStore } from '../../gateway/audit/store';
import { createAuditWriter, type AuditWriter } from '../../gateway/audit/writer';
import { createPipeline } from '../../gateway/pipeline';
import type { Dialect } from '../../shared/db';
import { createTestDb, dialects } from '../support/db';
import { startMesh, type RunningMesh } from '../support/mesh';
import { signToken, TEST_JWT_SECRET } from '../support/tokens';

// "No argument literal appears in the store", checked where an auditor (or an attacker with the
// database) would look: every column of every row the gateway wrote to events, field_usage and
// entity_keys, after operations carrying string, number, enum and boolean literals (in arguments,
// input objects, directives and variable defaults) and variable values — served, refused or invalid.
const silent = { info() {}, warn() {}, error() {}, debug() {} } as any;

const REQUESTS: { query: string; variables?: Record<string, unknown> }[] = [
  { query: '{ customer(id: "ZZLIT-STRING-1") { companyName } customers(first: 2, filter: { search: "zzlitsearch" }) { totalCount } }' },
  {
    query: `query Vars($id: ID!, $d: SortDirection!, $b: Boolean!) {
      customer(id: $id) { companyName }
      products(first: 2, orderBy: { field: NAME, direction: $d }) { nodes { id } }
      current: products(first: 1, filter: { discontinued: $b }) { totalCount } }`,
    variables: { id: 'ZZLIT-VAR-1', d: 'DESC', b: true },
  },
  { query: 'query Defaults($d: SortDirection = DESC, $b: Boolean = true) { products(first: 2, orderBy: { field: UNIT_PRICE, direction: $d }, filter: { discontinued: $b }) { nodes { id } } }' },
  // Personal data (entity keys are recorded) under boolean directive literals.
  { query: '{ customers(first: 2) { nodes { id companyName @include(if: true) email @skip(if: false) } } }' },
  { query: '{ orders(first: 2, filter: { status: [CANCELLED], orderedFrom: "1999-12-31" }) { totalCount } }' },
  // Refused or invalid: their signatures come from the source as sent.
  { query: '{ customers(first: ZZLITENUM) { totalCount } }' },
  { query: '{ customers(first: 2.718281) { totalCount } }' },
  { query: '{ customers(first: 918273645) { totalCount } }' },
  { query: '{ salesReps(active: true) { id } }' },
];
const SECRETS = ['ZZLIT-STRING-1', 'zzlitsearch', 'ZZLIT-VAR-1', 'DESC', 'UNIT_PRICE', 'CANCELLED', '1999-12-31', 'ZZLITENUM', '2.718281', '918273645'];

describe.each(dialects)('no argument literal in the audit store on %s', (dialect: Dialect) => {
  let mesh: RunningMesh;
  let store: AuditStore;
  let writer: AuditWriter;

  beforeAll(async () => {
    vi.stubEnv('MESHGATE_JWT_SECRET', TEST_JWT_SECRET);
    store = await openAuditStore({ db: createTestDb(dialect, 'audit'), chain: 'literals' });
    writer = createAuditWriter(store, { flushIntervalMs: 10, logger: silent });
    mesh = await startMesh('sqlite', { scale: 0.02, plugins: createPipeline({ settings: {}, baseDir: process.cwd(), audit: writer }).plugins });
  }, 60_000);

  afterAll(async () => {
    await mesh?.stop();
    await writer?.close();
    vi.unstubAllEnvs();
  });

  it('scans every stored row of events, field_usage and entity_keys', async () => {
    const token = await signToken({ sub: 'literal-admin', roles: ['admin'] });
    const statuses: number[] = [];
    for (const { query, variables } of REQUESTS) {
      const res = await fetch(`${mesh.gatewayUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(5);
    expect(statuses.some((s) => s >= 400)).toBe(true);
    await writer.flush();

    const tables = { events: await store.knex('events').select('*'), field_usage: await store.knex('field_usage').select('*'), entity_keys: await store.knex('entity_keys').select('*') };
    // Not vacuous: one event per request, every one with a signature, and personal data keyed.
    expect(tables.events).toHaveLength(REQUESTS.length);
    expect(tables.events.every((e) => typeof e.operation_signature === 'string' && e.operation_signature.length > 0)).toBe(true);
    expect(tables.field_usage.length).toBeGreaterThan(10);
    expect(tables.entity_keys.length).toBeGreaterThan(0);

    for (const [table, rows] of Object.entries(tables)) {
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          const text = value instanceof Date ? value.toISOString() : String(value);
          for (const secret of SECRETS) expect(text, `${table}.${column}`).not.toContain(secret);
          expect(text, `${table}.${column}`).not.toMatch(/\btrue\b/);
        }
      }
    }
    const signatures = tables.events.map((e) => e.operation_signature as string);
    expect(signatures).toContainEqual(expect.stringContaining('@include(if:false)'));
    expect(signatures).toContainEqual(expect.stringContaining('$d:SortDirection=_'));
  }, 60_000);
});
