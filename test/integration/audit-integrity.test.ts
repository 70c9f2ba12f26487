import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventHash, signedHeadMac } from '../../gateway/audit/hash';
import { prune } from '../../gateway/audit/prune';
import { fieldUsageByDay, subjectAccess } from '../../gateway/audit/queries';
import { eventToRow } from '../../gateway/audit/chain-rows';
import { INDEX_TABLES, indexRowsOf } from '../../gateway/audit/index-rows';
import { auditStoreConfigFromEnv, contentOf, openAuditStore, rowToEvent, type AuditStore } from '../../gateway/audit/store';
import { NO_KEY_WARNING, verify } from '../../gateway/audit/verify';
import { createAuditWriter } from '../../gateway/audit/writer';
import { createDb, type Database, type Dialect } from '../../shared/db';
import { auditEvents } from '../support/audit-events';
import { cli } from '../support/cli';
import { createTestDb, dialects, TEST_DATABASE_URL } from '../support/db';

// Tampering the hash chain alone did not catch: the query-index rows the auditor queries read
// (field_usage, entity_keys), and events cut off the end of a chain (caught by signed heads).
const KEY = 'k'.repeat(40);
const DAY = 86_400_000;
const silent = { logger: { info() {}, warn() {}, error() {} } as any };

/** Five events per batch, two batches: each with a personal field carrying two entity keys. */
const sample = () =>
  auditEvents(5, (i) => ({
    fields: [
      { coordinate: 'Query.customer', classification: { level: 'INTERNAL' }, decision: 'allowed', values: 1 },
      { coordinate: 'Customer.email', classification: { level: 'CONFIDENTIAL', category: 'CONTACT' }, decision: 'allowed', values: 2, entityKeys: [`C${i}`, 'C9'] },
    ],
  }));

describe.each(dialects)('audit verify on %s: index rows and signed heads', (dialect: Dialect) => {
  let db: Database;
  let store: AuditStore;

  beforeEach(async () => {
    db = createTestDb(dialect, 'audit');
    store = await openAuditStore({ db, chain: 'replica-a', signingKey: KEY });
    await store.append(sample());
    await store.append(sample());
    expect(await verify(store, { key: KEY })).toMatchObject({ ok: true, warnings: [], orphans: [], chains: [{ ok: true, events: 10, signedHeadSeq: 10, warnings: [] }] });
  });
  afterEach(async () => {
    await store.close();
  });

  const idAt = async (seq: number, chain = 'replica-a') => (await store.knex('events').where({ chain, seq }).first('id')).id as string;
  const brokenOf = async (options: Parameters<typeof verify>[1] = { key: KEY }) => {
    const report = await verify(store, options);
    expect(report.ok).toBe(false);
    return report.chains.find((c) => !c.ok)!.broken!;
  };

  describe('index rows disagreeing with their event', () => {
    it('a modified field_usage row (decision allowed → masked), which the usage query reads', async () => {
      const id = await idAt(4);
      await store.knex('field_usage').where({ event_id: id, coordinate: 'Customer.email' }).update({ decision: 'masked' });
      const masked = (await fieldUsageByDay(store, { coordinate: 'Customer.email' })).reduce((n, d) => n + d.masked, 0);
      expect(masked).toBe(1); // the auditor query reads the tampered row…
      expect(await brokenOf()).toMatchObject({ seq: 4, eventId: id, kind: 'index-modified', reason: expect.stringContaining('field_usage rows (Customer.email) disagree') });
    });

    it('a field_usage row moved to another day', async () => {
      const id = await idAt(2);
      await store.knex('field_usage').where({ event_id: id, coordinate: 'Query.customer' }).update({ time: new Date(Date.now() - 40 * DAY).toISOString() });
      expect(await brokenOf()).toMatchObject({ seq: 2, eventId: id, kind: 'index-modified' });
    });

    it('a deleted entity_keys row: the subject-access report would hide that access', async () => {
      const id = await idAt(7);
      await store.knex('entity_keys').where({ event_id: id, entity_key: 'C1' }).delete();
      expect((await subjectAccess(store, 'C1')).map((a) => a.eventId)).not.toContain(id);
      expect(await brokenOf()).toMatchObject({ seq: 7, eventId: id, kind: 'index-deleted', reason: expect.stringContaining('1 entity_keys row(s) (Customer.email)') });
    });

    it('an inserted entity_keys row pointing at a real event', async () => {
      const id = await idAt(9);
      const row = await store.knex('entity_keys').where({ event_id: id }).first();
      await store.knex('entity_keys').insert({ ...row, entity_key: 'C-framed' });
      expect(await brokenOf()).toMatchObject({ seq: 9, eventId: id, kind: 'index-inserted' });
    });

    it('an entity key relabelled from masked to allowed (or back): the subject report reads the decision', async () => {
      const masked = await openAuditStore({ db, chain: 'replica-m', signingKey: KEY });
      await masked.append(auditEvents(2, () => ({ fields: [{ coordinate: 'Customer.email', classification: { level: 'CONFIDENTIAL', category: 'CONTACT' }, decision: 'masked', values: 1, entityKeys: ['C7'] }] })));
      const id = (await store.knex('events').where({ chain: 'replica-m', seq: 2 }).first('id')).id;
      await store.knex('entity_keys').where({ event_id: id }).update({ decision: 'allowed' });
      expect((await subjectAccess(store, 'C7')).find((a) => a.eventId === id)!.fields).toEqual([{ coordinate: 'Customer.email', decision: 'allowed' }]);
      const report = await verify(store, { key: KEY });
      expect(report.chains.find((c) => c.chain === 'replica-m')).toMatchObject({ ok: false, broken: { seq: 2, eventId: id, kind: 'index-modified' } });
      await store.knex('entity_keys').where({ event_id: id }).update({ decision: null });
      expect((await verify(store, { key: KEY })).chains.find((c) => c.chain === 'replica-m')!.broken).toMatchObject({ kind: 'index-modified' });
    });

    it('a modified entity key', async () => {
      const id = await idAt(3);
      await store.knex('entity_keys').where({ event_id: id, entity_key: 'C9' }).update({ entity_key: 'C8' });
      expect(await brokenOf()).toMatchObject({ seq: 3, eventId: id, kind: 'index-modified' });
    });

    it('index rows whose event does not exist', async () => {
      const row = await store.knex('field_usage').first();
      await store.knex('field_usage').insert({ ...row, event_id: 'ghost-event', coordinate: 'Customer.taxId' });
      const report = await verify(store, { key: KEY });
      expect(report).toMatchObject({ ok: false, chains: [{ ok: true }], orphans: [{ table: 'field_usage', eventId: 'ghost-event', rows: 1, kind: 'index-inserted' }] });
      await expect(prune(store, new Date(), KEY)).rejects.toMatchObject({ code: 'AUDIT_TAMPERED' });
    });

    it('verifies page by page: a break past the first page names its event', async () => {
      for (let i = 0; i < 3; i++) await store.append(auditEvents(500));
      const id = await idAt(1203);
      await store.knex('field_usage').where({ event_id: id }).delete();
      expect(await brokenOf()).toMatchObject({ seq: 1203, eventId: id, kind: 'index-deleted' });
    });
  });

  describe('signed heads', () => {
    /** Deletes the last `n` events with their index rows and moves the unsigned head back: a careful truncation. */
    const truncate = async (n: number, chain = 'replica-a') => {
      const head = Number((await store.knex('chains').where({ chain }).first('seq')).seq);
      const ids = (await store.knex('events').where({ chain }).andWhere('seq', '>', head - n).select('id')).map((r) => r.id);
      for (const table of ['field_usage', 'entity_keys']) await store.knex(table).whereIn('event_id', ids).delete();
      await store.knex('events').whereIn('id', ids).delete();
      const last = await store.knex('events').where({ chain, seq: head - n }).first('hash');
      await store.knex('chains').where({ chain }).update({ seq: head - n, hash: last.hash });
    };

    it('tail truncation: invisible to the chain alone, reported against the signed head with the key', async () => {
      await truncate(2);
      const unkeyed = await verify(store);
      expect(unkeyed).toMatchObject({ ok: true, warnings: [NO_KEY_WARNING], chains: [{ ok: true, events: 8 }] });
      expect(await brokenOf()).toMatchObject({ seq: 9, eventId: null, kind: 'tail-truncated', reason: expect.stringMatching(/seq 9\.\.10 missing from the end of the chain: its signed head .* is at seq 10/) });
    });

    it('a chain rewritten and re-hashed by someone without the key: the signed head names the event', async () => {
      const row = await store.knex('events').where({ chain: 'replica-a', seq: 10 }).first();
      const event = { ...contentOf(rowToEvent(row)), subject: 'mallory' };
      const hash = eventHash({ chain: 'replica-a', seq: 10, prevHash: row.prev_hash, event });
      await store.knex('events').where({ id: row.id }).update({ subject: 'mallory', hash });
      expect(await brokenOf({})).toMatchObject({ seq: 10, kind: 'index-modified' }); // entity_keys still name the real subject
      await store.knex('entity_keys').where({ event_id: row.id }).update({ subject: 'mallory' });
      await store.knex('chains').where({ chain: 'replica-a' }).update({ hash });
      expect((await verify(store)).ok).toBe(true); // the hash chain and its indexes alone are consistent again
      expect(await brokenOf()).toMatchObject({ seq: 10, eventId: row.id, kind: 'signed-head-mismatch' });
    });

    it('an event forged onto the end, correctly hashed, index rows and head row moved along: event-inserted with the key', async () => {
      const last = await store.knex('events').where({ chain: 'replica-a', seq: 10 }).first();
      const event = { ...contentOf(rowToEvent(last)), id: 'forged-tail', requestId: 'req-forged', subject: 'scapegoat' };
      const hash = eventHash({ chain: 'replica-a', seq: 11, prevHash: last.hash, event });
      await store.knex('events').insert(eventToRow(event, 'replica-a', 11, last.hash, hash));
      const index = indexRowsOf(event);
      for (const table of INDEX_TABLES) await store.knex(table).insert(index[table]);
      await store.knex('chains').where({ chain: 'replica-a' }).update({ seq: 11, hash });
      // The chain, its indexes and its head row agree: without the key nothing shows.
      expect(await verify(store)).toMatchObject({ ok: true, warnings: [NO_KEY_WARNING], chains: [{ ok: true, events: 11 }] });
      // The writer signs the head in every append transaction, so an event past it was not appended by a keyed writer.
      expect(await brokenOf()).toMatchObject({ seq: 11, eventId: 'forged-tail', kind: 'event-inserted', reason: expect.stringContaining("beyond the chain's signed head (seq 10)") });
      expect(await brokenOf({ key: KEY, requireSignedHeads: true })).toMatchObject({ seq: 11, kind: 'event-inserted' });
    });

    it('events appended to a signed chain by a writer without the key are not vouched for either', async () => {
      const unkeyed = await openAuditStore({ db, chain: 'replica-a' });
      await unkeyed.append(auditEvents(2));
      expect(await brokenOf()).toMatchObject({ seq: 11, kind: 'event-inserted', reason: expect.stringMatching(/events at seq 11\.\.12 beyond .*without MESHGATE_AUDIT_KEY/) });
      // Once a keyed writer appends again its signed head covers the whole chain.
      await store.append(auditEvents(1));
      expect(await verify(store, { key: KEY })).toMatchObject({ ok: true, chains: [{ ok: true, events: 13, signedHeadSeq: 13 }] });
    });

    it('no false event-inserted while a keyed writer appends during verification', async () => {
      await store.append(auditEvents(1500)); // two pages: the writer gets in between page reads
      const live = await openAuditStore({ db, chain: 'replica-a', signingKey: KEY });
      let appending = true;
      // Paced like a gateway's batches: verify must get to the end of a chain that keeps growing.
      const writes = (async () => {
        while (appending) {
          await live.append(auditEvents(3));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      try {
        for (let i = 0; i < 5; i++) {
          const report = await verify(store, { key: KEY });
          expect(report.chains[0]).toMatchObject({ ok: true, warnings: [] });
          expect(report.chains[0].signedHeadSeq).toBeGreaterThanOrEqual(report.chains[0].lastSeq);
        }
      } finally {
        appending = false;
        await writes;
      }
      expect(Number((await store.knex('chains').first('seq')).seq)).toBeGreaterThan(1510);
    });

    it('a forged signed head (moved back over a truncation, or signed with another key)', async () => {
      await truncate(3);
      const e7 = await store.knex('events').where({ chain: 'replica-a', seq: 7 }).first('hash');
      await store.knex('signed_heads').where({ chain: 'replica-a' }).update({ seq: 7, hash: e7.hash });
      expect(await brokenOf()).toMatchObject({ seq: 7, eventId: null, kind: 'signed-head-forged' });
      const signedAt = new Date().toISOString();
      const mac = signedHeadMac({ chain: 'replica-a', seq: 7, hash: e7.hash, signedAt }, 'x'.repeat(40));
      await store.knex('signed_heads').where({ chain: 'replica-a' }).update({ signed_at: signedAt, mac });
      expect(await brokenOf()).toMatchObject({ kind: 'signed-head-forged' });
    });

    it('a chain written without the key: a warning, or a failure with requireSignedHeads', async () => {
      const unsigned = await openAuditStore({ db, chain: 'replica-u' });
      await unsigned.append(auditEvents(3));
      const report = await verify(store, { key: KEY });
      expect(report.ok).toBe(true);
      expect(report.chains.find((c) => c.chain === 'replica-u')!.warnings).toEqual([expect.stringMatching(/no signed head/)]);
      expect(await brokenOf({ key: KEY, requireSignedHeads: true })).toMatchObject({ seq: 3, kind: 'signed-head-missing' });
      // Deleting a signed head is the same as never having one: requireSignedHeads catches it.
      await store.knex('signed_heads').where({ chain: 'replica-a' }).delete();
      expect((await verify(store, { key: KEY, requireSignedHeads: true })).chains.filter((c) => !c.ok).map((c) => c.chain)).toEqual(['replica-a', 'replica-u']);
    });

    it('no false positives: pruned (partly, then wholly), appended again, two replicas; truncating one breaks only it', async () => {
      const old = await openAuditStore({ db, chain: 'replica-b', signingKey: KEY });
      await old.append(auditEvents(4, () => ({}), 10 * DAY));
      await old.append(auditEvents(2));
      await store.append(auditEvents(3, () => ({}), 0));
      expect((await prune(store, new Date(Date.now() - DAY), KEY)).chains).toEqual([{ chain: 'replica-b', checkpointSeq: 4, removed: 4 }]);
      expect(await verify(store, { key: KEY })).toMatchObject({ ok: true, warnings: [], chains: [{ chain: 'replica-a', signedHeadSeq: 13 }, { chain: 'replica-b', checkpointSeq: 4, signedHeadSeq: 6, events: 2 }] });
      // Everything pruned: the signed head sits on the checkpoint.
      expect((await prune(store, new Date(Date.now() + DAY), KEY)).removed).toBe(15);
      expect(await verify(store, { key: KEY })).toMatchObject({ ok: true, chains: [{ checkpointSeq: 13, signedHeadSeq: 13, events: 0 }, { checkpointSeq: 6, signedHeadSeq: 6 }] });
      // close() would close the shared connection: the writer gets an appender that leaves it open.
      const writer = createAuditWriter({ append: (events) => old.append(events), close: async () => {} }, { batchSize: 2, ...silent });
      for (const e of auditEvents(5)) writer.append(e);
      await writer.flush();
      expect((await verify(store, { key: KEY })).chains[1]).toMatchObject({ ok: true, events: 5, lastSeq: 11, signedHeadSeq: 11 });
      // One signed head per chain, however many batches.
      expect(Number((await store.knex('signed_heads').count({ n: '*' }).first())!.n)).toBe(2);
      await truncate(1, 'replica-b');
      const report = await verify(store, { key: KEY });
      expect(report.chains.map((c) => [c.chain, c.ok, c.broken?.kind])).toEqual([
        ['replica-a', true, undefined],
        ['replica-b', false, 'tail-truncated'],
      ]);
      await writer.close();
    });
  });
});

describe.each(dialects)('meshgate audit verify on %s: index tampering and truncation', (dialect: Dialect) => {
  const saved = { ...process.env };
  let dir: string;
  let schema: string | undefined;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-audit-integrity-'));
    process.env.MESHGATE_DATA_DIR = dir;
    process.env.MESHGATE_AUDIT_KEY = KEY;
    delete process.env.MESHGATE_AUDIT_DATABASE_URL;
    if (dialect === 'postgres') {
      schema = `t_${randomBytes(4).toString('hex')}_audit_integrity`;
      process.env.MESHGATE_AUDIT_DATABASE_URL = TEST_DATABASE_URL;
      process.env.MESHGATE_AUDIT_DB_SCHEMA = schema;
    }
    const store = await openAuditStore({ ...auditStoreConfigFromEnv(), chain: 'replica-a' });
    await store.append(sample());
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

  const tamper = async (fn: (store: AuditStore) => Promise<void>) => {
    const store = await openAuditStore(auditStoreConfigFromEnv());
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };

  it('exit 1 naming the event whose entity_keys row was deleted', async () => {
    expect(await cli('audit', 'verify')).toMatchObject({ code: 0, out: 'chain replica-a: ok, 5 events, last seq 5, signed head at seq 5\n', err: '' });
    let id = '';
    await tamper(async (store) => {
      id = (await store.knex('events').where({ seq: 2 }).first('id')).id;
      await store.knex('entity_keys').where({ event_id: id, entity_key: 'C9' }).delete();
    });
    const res = await cli('audit', 'verify');
    expect(res.code).toBe(1);
    expect(res.out).toContain(`chain replica-a: BROKEN at seq 2 (event ${id}): 1 entity_keys row(s) (Customer.email) derived from this event are missing: index rows deleted [index-deleted]`);
    expect(res.err).toContain('AUDIT_TAMPERED');
  });

  it('tail truncation: exit 1 with the key; without it exit 0 and a plain warning', async () => {
    await tamper(async (store) => {
      const last = await store.knex('events').where({ seq: 5 }).first('id');
      for (const table of ['field_usage', 'entity_keys']) await store.knex(table).where({ event_id: last.id }).delete();
      await store.knex('events').where({ id: last.id }).delete();
      const e4 = await store.knex('events').where({ seq: 4 }).first('hash');
      await store.knex('chains').update({ seq: 4, hash: e4.hash });
    });
    const res = await cli('audit', 'verify');
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^chain replica-a: BROKEN at seq 5: event at seq 5 missing from the end of the chain: its signed head \(signed .*\) is at seq 5, the last event at seq 4 \(deleted\) \[tail-truncated\]\n$/);
    delete process.env.MESHGATE_AUDIT_KEY;
    const unkeyed = await cli('audit', 'verify');
    expect(unkeyed).toMatchObject({ code: 0, out: 'chain replica-a: ok, 4 events, last seq 4, signed head at seq 5\n' });
    expect(unkeyed.err).toBe(`warning: ${NO_KEY_WARNING}\n`);
    const json = JSON.parse((await cli('audit', 'verify', '--format', 'json')).out);
    expect(json).toMatchObject({ ok: true, warnings: [NO_KEY_WARNING] });
  });

  it('--require-signed-heads fails a chain without one', async () => {
    await tamper((store) => store.knex('signed_heads').delete());
    const warned = await cli('audit', 'verify');
    expect(warned).toMatchObject({ code: 0, err: expect.stringContaining('warning: chain replica-a: the chain has no signed head') });
    const res = await cli('audit', 'verify', '--require-signed-heads');
    expect(res.code).toBe(1);
    expect(res.out).toContain('[signed-head-missing]');
  });
});

describe.skipIf(!TEST_DATABASE_URL)('replicas opening an empty PostgreSQL audit store at once', () => {
  it('migrate one at a time: every store opens, knex keeps one lock row, signed heads exist', async () => {
    const schema = `t_${randomBytes(4).toString('hex')}_audit_open`;
    const stores = await Promise.all(Array.from({ length: 6 }, (_, i) => openAuditStore({ db: createDb({ url: TEST_DATABASE_URL, schema }), chain: `replica-${i}`, signingKey: KEY })));
    try {
      await Promise.all(stores.map((s) => s.append(auditEvents(3))));
      expect(Number((await stores[0].knex('knex_migrations_lock').count({ n: '*' }).first())!.n)).toBe(1);
      expect(await verify(stores[0], { key: KEY, requireSignedHeads: true })).toMatchObject({ ok: true, warnings: [] });
    } finally {
      await stores[0].knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
      for (const s of stores) await s.close();
    }
  });
});
