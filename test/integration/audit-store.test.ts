import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseCsv } from '../../shared/csv';
import { cli } from '../support/cli';
import { normaliseEvent } from '../../gateway/audit/hash';
import { exportEvents, fieldUsageByDay, queryEvents, subjectAccess, unusedFields } from '../../gateway/audit/queries';
import { prune } from '../../gateway/audit/prune';
import { auditStoreConfigFromEnv, lazyAuditStore, openAuditStore, type AuditAppender, type AuditStore, type StoredAuditEvent } from '../../gateway/audit/store';
import { verify } from '../../gateway/audit/verify';
import type { AuditEvent } from '../../gateway/audit/types';
import { createAuditWriter } from '../../gateway/audit/writer';
import { createDb, migrateToLatest, type Database, type Dialect } from '../../shared/db';
import { extendChain } from '../../gateway/audit/chain-rows';
import * as initialMigration from '../../gateway/audit/migrations/001_initial';
import * as signedHeadsMigration from '../../gateway/audit/migrations/002_signed_heads';
import { auditEvent, auditEvents } from '../support/audit-events';
import { createTestDb, dialects, TEST_DATABASE_URL } from '../support/db';

const KEY = 'k'.repeat(40);
const DAY = 86_400_000;
const silent = { logger: { info() {}, warn() {}, error() {} } as any };

/** The secondary indexes of a table, by name (the primary key's aside). */
async function indexesOf(store: AuditStore, table: string): Promise<string[]> {
  const rows =
    store.db.dialect === 'postgres'
      ? (await store.knex.raw(`select indexname as name from pg_indexes where tablename = ? and schemaname = any (current_schemas(false)) and indexname not like '%_pkey'`, [table])).rows
      : await store.knex('sqlite_master').where({ type: 'index', tbl_name: table }).andWhereNot('name', 'like', 'sqlite_autoindex%').select('name');
  return rows.map((r: { name: string }) => r.name).sort();
}

const waitFor = async (cond: () => boolean, timeoutMs = 5000) => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A store whose append throws while `down` (an outage), delegating otherwise; close() leaves the real store open. */
function flaky(store: AuditAppender) {
  const wrapper = {
    down: false,
    attempts: 0,
    async append(events: AuditEvent[]) {
      wrapper.attempts += 1;
      if (wrapper.down) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      await store.append(events);
    },
    async close() {},
  };
  return wrapper;
}

describe.each(dialects)('audit store on %s', (dialect: Dialect) => {
  let db: Database;
  let store: AuditStore;

  beforeEach(async () => {
    db = createTestDb(dialect, 'audit');
    store = await openAuditStore({ db, chain: 'replica-a' });
  });
  afterEach(async () => {
    await store.close();
  });

  const count = async (table = 'events') => Number((await store.knex(table).count({ n: '*' }).first())!.n);
  const idAt = async (seq: number) => (await store.knex('events').where({ chain: 'replica-a', seq }).first('id')).id as string;

  it('appends through the writer and reads the events back, with the auditor queries', async () => {
    const writer = createAuditWriter(flaky(store), { flushIntervalMs: 10, ...silent });
    const events = auditEvents(30, (i) => ({
      subject: i % 3 === 0 ? 'bob' : 'alice',
      clientName: i % 2 ? 'mobile' : 'web',
      fields:
        i % 5 === 0
          ? [{ coordinate: 'Customer.taxId', classification: { level: 'RESTRICTED', category: 'IDENTITY' }, decision: 'denied', values: 0 }]
          : [{ coordinate: 'Customer.email', classification: { level: 'CONFIDENTIAL', category: 'CONTACT' }, decision: i % 2 ? 'masked' : 'allowed', values: 2, entityKeys: [`C${i % 4}`, 'C9'] }],
    }));
    for (const e of events) expect(writer.append(e)).toBe(true);
    await writer.flush();
    expect(writer.stats()).toMatchObject({ queued: 0, written: 30, rejected: 0 });
    expect(await count()).toBe(30);

    // Pages, newest first, cover everything exactly once.
    const seen: StoredAuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await queryEvents(store, { limit: 7, cursor });
      seen.push(...page.events);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.map((e) => e.id)).toEqual([...events].reverse().map((e) => e.id));
    const { chain, seq, prevHash, hash, ...content } = seen[seen.length - 1];
    expect(content).toEqual(normaliseEvent(events[0]));
    expect([chain, seq, prevHash]).toEqual(['replica-a', 1, '0'.repeat(64)]);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);

    const ids = (page: { events: AuditEvent[] }) => page.events.map((e) => e.id).sort();
    const expected = (pred: (i: number) => boolean) => events.filter((_, i) => pred(i)).map((e) => e.id).sort();
    expect(ids(await queryEvents(store, { subject: 'bob', limit: 1000 }))).toEqual(expected((i) => i % 3 === 0));
    expect(ids(await queryEvents(store, { client: 'mobile', limit: 1000 }))).toEqual(expected((i) => i % 2 === 1));
    expect(ids(await queryEvents(store, { field: 'Customer.taxId', limit: 1000 }))).toEqual(expected((i) => i % 5 === 0));
    expect(ids(await queryEvents(store, { level: 'RESTRICTED', limit: 1000 }))).toEqual(expected((i) => i % 5 === 0));
    expect(ids(await queryEvents(store, { field: 'Customer.email', decision: 'masked', limit: 1000 }))).toEqual(expected((i) => i % 5 !== 0 && i % 2 === 1));
    expect(ids(await queryEvents(store, { since: new Date(events[20].time), until: new Date(events[25].time), limit: 1000 }))).toEqual(expected((i) => i >= 20 && i < 25));
    await expect(queryEvents(store, { limit: 5000 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });

    const usage = await fieldUsageByDay(store);
    const total = (coordinate: string) => usage.filter((u) => u.coordinate === coordinate).reduce((n, u) => n + u.events, 0);
    expect(total('Customer.taxId')).toBe(6);
    expect(total('Customer.email')).toBe(24);
    expect(usage.filter((u) => u.coordinate === 'Customer.email').reduce((n, u) => n + u.values, 0)).toBe(48);
    expect(usage[0].day).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const access = await subjectAccess(store, 'C1', { since: new Date(Date.now() - DAY) });
    expect(access.map((a) => a.eventId).sort()).toEqual(expected((i) => i % 5 !== 0 && i % 4 === 1));
    expect(access[0]).toMatchObject({ coordinates: ['Customer.email'], purpose: 'customer-support' });
    // Masked (odd i) and in-clear (even i) reads of C9's email are told apart.
    const decisionOf = new Map(events.map((e, i) => [e.id, i % 2 ? 'masked' : 'allowed']));
    const c9 = await subjectAccess(store, 'C9');
    expect(c9).toHaveLength(24);
    for (const a of c9) expect(a.fields).toEqual([{ coordinate: 'Customer.email', decision: decisionOf.get(a.eventId) }]);
    expect(c9.filter((a) => a.fields[0].decision === 'masked')).toHaveLength(12);
    expect(await subjectAccess(store, 'C1', { since: new Date(Date.now() + DAY) })).toEqual([]);

    expect(await unusedFields(store, ['Customer.email', 'Customer.taxId', 'Customer.phone', 'Order.total'], { since: new Date(Date.now() - DAY) })).toEqual(['Customer.phone', 'Order.total']);

    const exported = [];
    for await (const e of exportEvents(store, {}, 8)) exported.push(e.id);
    expect(exported).toEqual(events.map((e) => e.id));

    expect((await verify(store)).ok).toBe(true);
    await writer.close();
  });

  describe('verify detects tampering', () => {
    beforeEach(async () => {
      await store.append(auditEvents(5));
      await store.append(auditEvents(5));
      const report = await verify(store);
      expect(report).toMatchObject({ ok: true, chains: [{ chain: 'replica-a', ok: true, events: 10, lastSeq: 10 }] });
    });

    const brokenOf = async () => {
      const report = await verify(store);
      expect(report.ok).toBe(false);
      return report.chains[0].broken!;
    };

    it('an UPDATEd field', async () => {
      const id = await idAt(4);
      await store.knex('events').where({ id }).update({ subject: 'mallory' });
      expect(await brokenOf()).toMatchObject({ seq: 4, eventId: id, kind: 'event-modified' });
    });

    it('a changed fields JSON', async () => {
      const id = await idAt(7);
      await store.knex('events').where({ id }).update({ fields: '[]' });
      expect(await brokenOf()).toMatchObject({ seq: 7, eventId: id, kind: 'event-modified' });
    });

    it('a DELETEd row', async () => {
      await store.knex('events').where({ chain: 'replica-a', seq: 5 }).delete();
      expect(await brokenOf()).toMatchObject({ seq: 5, eventId: await idAt(6), kind: 'event-deleted' });
    });

    it('the last row deleted', async () => {
      await store.knex('events').where({ chain: 'replica-a', seq: 10 }).delete();
      expect(await brokenOf()).toMatchObject({ seq: 10, eventId: null, kind: 'event-deleted', reason: expect.stringContaining('missing at the end') });
    });

    it('an INSERTed forged row', async () => {
      const last = await store.knex('events').where({ chain: 'replica-a', seq: 10 }).first();
      await store.knex('events').insert({ ...last, id: 'forged', seq: 11, subject: 'nobody', prev_hash: last.hash, hash: 'a'.repeat(64) });
      expect(await brokenOf()).toMatchObject({ seq: 11, eventId: 'forged', kind: 'event-inserted' });
    });

    it('two rows whose sequence numbers were swapped', async () => {
      const [id3, id7] = [await idAt(3), await idAt(7)];
      await store.knex('events').where({ id: id3 }).update({ seq: -1 });
      await store.knex('events').where({ id: id7 }).update({ seq: 3 });
      await store.knex('events').where({ id: id3 }).update({ seq: 7 });
      expect(await brokenOf()).toMatchObject({ seq: 3, eventId: id7, kind: 'event-reordered' });
    });
  });

  it('prune keeps the rest verifiable from a signed checkpoint; a forged checkpoint is detected', async () => {
    await store.append(auditEvents(10, () => ({}), 10 * DAY));
    await store.append(auditEvents(5));
    await expect(prune(store, new Date(Date.now() - DAY), '')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await count()).toBe(15);

    const result = await prune(store, new Date(Date.now() - DAY), KEY);
    expect(result).toEqual({ removed: 10, chains: [{ chain: 'replica-a', checkpointSeq: 10, removed: 10 }] });
    expect(await count()).toBe(5);
    expect(await count('field_usage')).toBe(10);
    expect(await count('entity_keys')).toBe(5);
    expect(await verify(store, { key: KEY })).toMatchObject({ ok: true, chains: [{ ok: true, checkpointSeq: 10, events: 5, lastSeq: 15 }] });
    expect((await verify(store)).chains[0].broken).toMatchObject({ kind: 'checkpoint-unverifiable', reason: expect.stringContaining('MESHGATE_AUDIT_KEY') });
    expect((await verify(store, { key: 'x'.repeat(40) })).chains[0].broken).toMatchObject({ kind: 'checkpoint-forged' });

    // Appending continues the chain after pruning; pruning again with nothing old is a no-op.
    const writer = createAuditWriter(flaky(store), silent);
    writer.append(auditEvent());
    await writer.close();
    expect((await verify(store, { key: KEY })).chains[0]).toMatchObject({ ok: true, lastSeq: 16 });
    expect((await prune(store, new Date(Date.now() - DAY), KEY)).removed).toBe(0);

    // Forgery: drop two more events and move the checkpoint over them without the key.
    const e12 = await store.knex('events').where({ chain: 'replica-a', seq: 12 }).first();
    await store.knex('events').where('seq', '<=', 12).delete();
    await store.knex('checkpoints').update({ seq: 12, hash: e12.hash });
    expect((await verify(store, { key: KEY })).chains[0]).toMatchObject({ ok: false, broken: { seq: 12, eventId: null, kind: 'checkpoint-forged' } });
    await expect(prune(store, new Date(), KEY)).rejects.toMatchObject({ code: 'AUDIT_TAMPERED' });
  });

  it('upgrading a store written before entity_keys had a decision: filled in from each event, and it verifies', async () => {
    const old = createTestDb(dialect, 'audit');
    try {
      // The store as migrations 001 and 002 left it, with rows as appends wrote them then.
      await migrateToLatest(old, { '001_initial': initialMigration, '002_signed_heads': signedHeadsMigration });
      const events = auditEvents(3, (i) => ({
        fields: [
          { coordinate: 'Customer.email', classification: { level: 'CONFIDENTIAL', category: 'CONTACT' }, decision: i === 1 ? 'masked' : 'allowed', values: 1, entityKeys: [`C${i}`] },
          { coordinate: 'Customer.phone', classification: { level: 'CONFIDENTIAL', category: 'CONTACT' }, decision: 'masked', values: 2, entityKeys: [`C${i}`, 'C9'] },
        ],
      })).map(normaliseEvent);
      const { eventRows, index, seq, hash } = extendChain('replica-old', { seq: 0, hash: '0'.repeat(64) }, events);
      await old.knex('events').insert(eventRows);
      await old.knex('field_usage').insert(index.field_usage);
      await old.knex('entity_keys').insert(index.entity_keys.map(({ decision: _d, ...row }) => row));
      await old.knex('chains').insert({ chain: 'replica-old', seq, hash });

      const upgraded = await openAuditStore({ db: old, chain: 'replica-new' });
      const rows = await upgraded.knex('entity_keys').orderBy(['event_id', 'coordinate', 'entity_key']).select('entity_key', 'coordinate', 'decision');
      expect(rows).toHaveLength(9);
      expect(rows.every((r) => r.decision === (r.coordinate === 'Customer.phone' ? 'masked' : r.entity_key === 'C1' ? 'masked' : 'allowed'))).toBe(true);
      expect((await subjectAccess(upgraded, 'C1'))[0].fields).toEqual([
        { coordinate: 'Customer.email', decision: 'masked' },
        { coordinate: 'Customer.phone', decision: 'masked' },
      ]);
      expect(await verify(upgraded)).toMatchObject({ ok: true, chains: [{ chain: 'replica-old', ok: true, events: 3 }] });
      // Migration 004 dropped the (level, time) index no query reads; a level filter still answers.
      expect(await indexesOf(upgraded, 'field_usage')).toEqual(['field_usage_coordinate_time_index', 'field_usage_event_id_index', 'field_usage_time_coordinate_index']);
      expect((await queryEvents(upgraded, { level: 'CONFIDENTIAL', decision: 'masked' })).events.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    } finally {
      await old.close();
    }
  });

  it('a pruned event put back (with its index rows) is reported as event-inserted before the checkpoint', async () => {
    await store.append(auditEvents(6, () => ({}), 10 * DAY));
    await store.append(auditEvents(3));
    // The copy an insider kept of seq 4, taken before retention removed it: row and index rows intact.
    const kept = await store.knex('events').where({ chain: 'replica-a', seq: 4 }).first();
    const index = { field_usage: await store.knex('field_usage').where({ event_id: kept.id }), entity_keys: await store.knex('entity_keys').where({ event_id: kept.id }) };
    expect((await prune(store, new Date(Date.now() - DAY), KEY)).chains).toEqual([{ chain: 'replica-a', checkpointSeq: 6, removed: 6 }]);
    expect(await verify(store, { key: KEY })).toMatchObject({ ok: true, chains: [{ checkpointSeq: 6, events: 3 }] });

    await store.knex('events').insert(kept);
    for (const [table, rows] of Object.entries(index)) if (rows.length) await store.knex(table).insert(rows);
    const report = await verify(store, { key: KEY });
    expect(report.ok).toBe(false);
    expect(report.chains[0].broken).toMatchObject({ seq: 4, eventId: kept.id, kind: 'event-inserted', reason: expect.stringContaining('before the checkpoint') });
    await expect(prune(store, new Date(), KEY)).rejects.toMatchObject({ code: 'AUDIT_TAMPERED' });
  });

  it('outage: retries with backoff, fails closed after maxOutageMs, recovers, loses nothing', async () => {
    const target = flaky(store);
    target.down = true;
    // accepts() reads this clock; retries run on real timers.
    let clock = 1_000_000;
    const writer = createAuditWriter(target, { flushIntervalMs: 5, retryBaseMs: 5, retryMaxMs: 40, maxOutageMs: 250, now: () => clock, ...silent });
    expect(writer.accepts('RESTRICTED')).toBe(true);
    for (const e of auditEvents(40)) expect(writer.append(e)).toBe(true);
    await waitFor(() => writer.stats().failedBatches >= 3);
    expect(writer.stats().outageSince).toBe(1_000_000);
    clock += 250;
    expect(writer.accepts('RESTRICTED')).toBe(true);
    clock += 1;
    expect(writer.accepts('RESTRICTED')).toBe(false);
    await new Promise((r) => setTimeout(r, 150));
    expect(writer.accepts('PUBLIC')).toBe(true);
    expect(writer.accepts('CONFIDENTIAL')).toBe(true);
    const attempts = target.attempts;
    expect(attempts).toBeLessThan(30); // backoff, not a busy loop
    for (const e of auditEvents(10)) expect(writer.append(e)).toBe(true);
    expect(writer.stats().queued).toBe(50);

    target.down = false;
    await waitFor(() => writer.stats().written === 50);
    expect(writer.accepts('RESTRICTED')).toBe(true);
    expect(writer.stats()).toMatchObject({ queued: 0, written: 50, rejected: 0, outageSince: null });
    expect(await count()).toBe(50);
    expect((await verify(store)).ok).toBe(true);
    await writer.close();
  });

  it('a full queue refuses appends (counted) and fails closed; close() writes everything taken', async () => {
    const target = flaky(store);
    target.down = true;
    const writer = createAuditWriter(target, { maxQueue: 5, retryBaseMs: 5, retryMaxMs: 10, failClosedLevels: ['CONFIDENTIAL', 'RESTRICTED'], ...silent });
    const results = auditEvents(7).map((e) => writer.append(e));
    expect(results).toEqual([true, true, true, true, true, false, false]);
    expect(writer.stats()).toMatchObject({ queued: 5, rejected: 2 });
    expect(writer.accepts('CONFIDENTIAL')).toBe(false);
    expect(writer.accepts('INTERNAL')).toBe(true);
    target.down = false;
    await writer.close();
    expect(writer.stats()).toMatchObject({ queued: 0, written: 5, rejected: 2 });
    expect(writer.append(auditEvent())).toBe(false);
    expect(writer.stats().rejected).toBe(3);
    expect(await count()).toBe(5);
  });

  it('close() flushes a queue larger than a batch before the timer fires', async () => {
    const writer = createAuditWriter(flaky(store), { flushIntervalMs: 60_000, batchSize: 500, ...silent });
    for (const e of auditEvents(1200)) writer.append(e);
    await writer.close();
    expect(await count()).toBe(1200);
    expect((await verify(store)).chains[0]).toMatchObject({ ok: true, events: 1200 });
  });

  it('a retried batch that was in fact committed is not written twice', async () => {
    const events = auditEvents(3);
    await store.append(events);
    await store.append([...events, auditEvent()]);
    expect(await count()).toBe(4);
    expect((await verify(store)).ok).toBe(true);
  });
});

describe('lazily opened audit store', () => {
  it('opens on the first batch, after a failed open, and continues one chain', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-audit-lazy-'));
    try {
      const sqliteFile = path.join(dir, 'audit.sqlite');
      fs.mkdirSync(sqliteFile); // a directory where the file belongs: opening fails
      const lazy = lazyAuditStore({ sqliteFile, chain: 'replica-lazy' });
      const writer = createAuditWriter(lazy, { flushIntervalMs: 5, retryBaseMs: 5, retryMaxMs: 20, ...silent });
      for (const e of auditEvents(20)) writer.append(e);
      await waitFor(() => writer.stats().failedBatches >= 1, 10_000);
      fs.rmdirSync(sqliteFile);
      await writer.close();
      expect(writer.stats()).toMatchObject({ written: 20, queued: 0 });
      const store = await openAuditStore({ sqliteFile });
      expect(await verify(store)).toMatchObject({ ok: true, chains: [{ chain: 'replica-lazy', events: 20 }] });
      await store.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!TEST_DATABASE_URL)('audit store: concurrent writers on one PostgreSQL store', () => {
  it('two replicas (two connections, two chains) append 2 × 2,000 events; every chain verifies', async () => {
    const db = createTestDb('postgres', 'audit');
    // Signing keys too: each batch upserts its chain's signed head in the same transaction.
    const a = await openAuditStore({ db, chain: 'replica-a', signingKey: KEY });
    const b = await openAuditStore({ db: createDb({ url: TEST_DATABASE_URL, schema: db.schema }), chain: 'replica-b', signingKey: KEY });
    // A third connection sharing replica-a's chain id: the head-row lock must serialise it.
    const a2 = await openAuditStore({ db: createDb({ url: TEST_DATABASE_URL, schema: db.schema }), chain: 'replica-a', signingKey: KEY });
    try {
      const writers = [a, b, a2].map((s) => createAuditWriter(flaky(s), { batchSize: 100, flushIntervalMs: 2, ...silent }));
      const perWriter = [2000, 2000, 500];
      await Promise.all(
        writers.map(async (w, k) => {
          for (let i = 0; i < perWriter[k]; i++) {
            expect(w.append(auditEvent({ subject: `s${k}` }))).toBe(true);
            if (i % 50 === 0) await new Promise((r) => setImmediate(r));
          }
          await w.flush();
        }),
      );
      const report = await verify(a, { key: KEY, requireSignedHeads: true });
      expect(report.ok).toBe(true);
      expect(report.chains.map((c) => [c.chain, c.events, c.signedHeadSeq])).toEqual([
        ['replica-a', 2500, 2500],
        ['replica-b', 2000, 2000],
      ]);
      expect(Number((await a.knex('events').count({ n: '*' }).first())!.n)).toBe(4500);
      for (const w of writers) expect(w.stats()).toMatchObject({ written: expect.any(Number), rejected: 0, queued: 0 });
    } finally {
      await b.close();
      await a2.close();
      await a.close();
    }
  });
});

describe.each(dialects)('meshgate audit CLI on %s', (dialect: Dialect) => {
  const saved = { ...process.env };
  let dir: string;
  let schema: string | undefined;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-audit-'));
    process.env.MESHGATE_DATA_DIR = dir;
    delete process.env.MESHGATE_AUDIT_KEY;
    delete process.env.MESHGATE_AUDIT_DATABASE_URL;
    if (dialect === 'postgres') {
      schema = `t_${randomBytes(4).toString('hex')}_audit_cli`;
      process.env.MESHGATE_AUDIT_DATABASE_URL = TEST_DATABASE_URL;
      process.env.MESHGATE_AUDIT_DB_SCHEMA = schema;
    }
    const store = await openAuditStore({ ...auditStoreConfigFromEnv(), chain: 'replica-a' });
    await store.append(auditEvents(4, () => ({}), 40 * DAY));
    await store.append(
      auditEvents(3, (i) => ({
        subject: i === 0 ? 'bob' : 'carol',
        clientName: 'crm, "internal"',
        fields: [{ coordinate: 'Customer.phone', classification: { level: 'RESTRICTED', category: 'CONTACT' }, decision: (['allowed', 'masked', 'denied'] as const)[i], values: i === 2 ? 0 : 1, entityKeys: i === 2 ? [] : ['C000042'] }],
      })),
    );
    await store.close();
  });

  afterEach(async () => {
    if (schema) {
      const db = createDb({ url: TEST_DATABASE_URL });
      await db.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
      await db.close();
      schema = undefined;
    }
    process.env = { ...saved };
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('verify: 0 when intact, 1 naming the first broken event', async () => {
    const ok = await cli('audit', 'verify');
    expect(ok).toMatchObject({ code: 0, out: expect.stringContaining('chain replica-a: ok, 7 events') });
    const store = await openAuditStore(auditStoreConfigFromEnv());
    const target = await store.knex('events').where({ seq: 6 }).first('id');
    await store.knex('events').where({ seq: 6 }).update({ purpose: 'marketing' });
    await store.close();
    const bad = await cli('audit', 'verify');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`chain replica-a: BROKEN at seq 6 (event ${target.id}): content does not match its hash: modified`);
    expect(bad.err).toContain('AUDIT_TAMPERED');
    const json = await cli('audit', 'verify', '--format', 'json');
    expect(JSON.parse(json.out)).toMatchObject({ ok: false, chains: [{ chain: 'replica-a', broken: { seq: 6 } }] });
  });

  it('query: filters, table and json', async () => {
    const all = await cli('audit', 'query', '--format', 'json');
    expect(all.code).toBe(0);
    expect(JSON.parse(all.out).events).toHaveLength(7);
    const recent = JSON.parse((await cli('audit', 'query', '--since', '30d', '--format', 'json')).out);
    expect(recent.events.map((e: any) => e.subject)).toEqual(['carol', 'carol', 'bob']);
    const denied = JSON.parse((await cli('audit', 'query', '--field', 'Customer.phone', '--decision', 'denied', '--level', 'restricted', '--format', 'json')).out);
    expect(denied.events).toHaveLength(1);
    const paged = JSON.parse((await cli('audit', 'query', '--client', 'web', '--limit', '3', '--format', 'json')).out);
    expect(paged.events).toHaveLength(3);
    expect(paged.nextCursor).toEqual(expect.any(String));
    const t = await cli('audit', 'query', '--subject', 'bob');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^TIME\s+SUBJECT\s+CLIENT\s+OPERATION\s+OUTCOME\s+FIELDS\n/);
    expect(t.out).toContain('bob');
    expect(t.out).toContain('1 event\n');
    expect((await cli('audit', 'query', '--level', 'SECRET')).code).toBe(2);
    expect((await cli('audit', 'query', '--since', 'last week')).code).toBe(2);
    expect(await cli('audit', 'query', '--limit', '5000')).toMatchObject({ code: 1, err: expect.stringContaining('BAD_USER_INPUT') });
  });

  it('export: jsonl and csv, to stdout or a file', async () => {
    const jsonl = await cli('audit', 'export', '--format', 'jsonl');
    const lines = jsonl.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);
    expect(lines.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const file = path.join(dir, 'audit.csv');
    const csv = await cli('audit', 'export', '--format', 'csv', '--since', '30d', '--output', file);
    expect(csv).toMatchObject({ code: 0, out: `exported 3 events to ${file}\n` });
    const records = parseCsv(fs.readFileSync(file, 'utf8'));
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({ subject: 'bob', clientName: 'crm, "internal"', seq: '5' });
    expect(JSON.parse(records[0].fields!)[0].coordinate).toBe('Customer.phone');
    expect((await cli('audit', 'export')).code).toBe(2);
  });

  it('subject: who has seen an entity\'s personal data', async () => {
    const t = await cli('audit', 'subject', 'C000042');
    expect(t.code).toBe(0);
    expect(t.out).toContain('2 accesses to C000042');
    // carol saw a mask of the phone number, bob the number itself.
    expect(t.out).toMatch(/carol .*Customer\.phone \(masked\)\n/);
    expect(t.out).toMatch(/bob .*Customer\.phone\n/);
    const json = JSON.parse((await cli('audit', 'subject', 'C000042', '--since', '90d', '--format', 'json')).out);
    expect(json.map((r: any) => [r.subject, r.client, r.coordinates, r.fields])).toEqual([
      ['carol', 'crm, "internal"', ['Customer.phone'], [{ coordinate: 'Customer.phone', decision: 'masked' }]],
      ['bob', 'crm, "internal"', ['Customer.phone'], [{ coordinate: 'Customer.phone', decision: 'allowed' }]],
    ]);
    const old = JSON.parse((await cli('audit', 'subject', 'C000001', '--format', 'json')).out);
    expect(old).toHaveLength(4);
    expect(JSON.parse((await cli('audit', 'subject', 'C000001', '--since', '30d', '--format', 'json')).out)).toEqual([]);
    expect((await cli('audit', 'subject')).code).toBe(2);
  });

  it('usage and unused: what each client used, and which fields nobody used', async () => {
    type Day = { coordinate: string; client: string | null; events: number; values: number; allowed: number; denied: number };
    const sum = (days: Day[], key: 'events' | 'values' | 'allowed' | 'denied') => days.reduce((n, d) => n + d[key], 0);
    const recent: Day[] = JSON.parse((await cli('audit', 'usage', '--format', 'json')).out);
    expect([...new Set(recent.map((d) => `${d.coordinate} by ${d.client}`))]).toEqual(['Customer.phone by crm, "internal"']);
    expect([sum(recent, 'events'), sum(recent, 'values'), sum(recent, 'allowed'), sum(recent, 'denied')]).toEqual([3, 2, 1, 1]);
    const older: Day[] = JSON.parse((await cli('audit', 'usage', '--field', 'Customer.email', '--since', '90d', '--format', 'json')).out);
    expect(sum(older, 'events')).toBe(4);
    expect((await cli('audit', 'usage')).out).toContain('Customer.phone');

    // Customer.email was last read 40 days ago: unused over the last 30 days, used over 90.
    const unused: string[] = JSON.parse((await cli('audit', 'unused', '--config', 'supergraph.yaml', '--format', 'json')).out);
    expect(unused).toEqual(expect.arrayContaining(['Customer.email', 'SalesRep.birthDate']));
    expect(unused).not.toContain('Customer.phone');
    const text = await cli('audit', 'unused', '--since', '90d');
    expect(text.code).toBe(0);
    expect(text.out).not.toMatch(/^Customer\.email$/m);
    expect(text.out).toMatch(/\d+ of \d+ fields unused since/);
  });

  it('prune: needs MESHGATE_AUDIT_KEY, then removes old events and verify still passes', async () => {
    expect(await cli('audit', 'prune', '--before', '30d')).toMatchObject({ code: 1, err: expect.stringContaining('CONFIG_INVALID') });
    process.env.MESHGATE_AUDIT_KEY = KEY;
    const pruned = await cli('audit', 'prune', '--before', '30d');
    expect(pruned).toMatchObject({ code: 0, out: expect.stringContaining('pruned 4 events') });
    expect(pruned.out).toContain('signed checkpoint at seq 4');
    expect(await cli('audit', 'verify')).toMatchObject({ code: 0, out: expect.stringContaining('ok, 3 events from checkpoint at seq 4') });
    process.env.MESHGATE_AUDIT_KEY = 'z'.repeat(40);
    expect((await cli('audit', 'verify')).code).toBe(1);
    expect((await cli('audit', 'prune')).code).toBe(2);
  });
});
