import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPEND_THREAD_NICE, sqliteAppendThread } from '../../gateway/audit/sqlite-append-thread';
import { openAuditStore, type AuditStore } from '../../gateway/audit/store';
import { prune } from '../../gateway/audit/prune';
import { verify } from '../../gateway/audit/verify';
import { createAuditWriter } from '../../gateway/audit/writer';
import { auditEvents } from '../support/audit-events';

// A SQLite file store appends on a thread of its own (gateway/audit/sqlite-append-thread.ts),
// through its own connection, while the gateway's connection serves migrations and auditor queries.

const silent = { logger: { info() {}, warn() {}, error() {} } as any };
const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms))]);
/** The nice value of each thread of this process (field 19 of /proc/self/task/TID/stat). */
const niceValuesOfThreads = () =>
  fs.readdirSync('/proc/self/task').map((tid) => {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
const countEvents = async (store: AuditStore) => Number((await store.knex('events').count({ n: '*' }).first())?.n);

describe('audit append thread (SQLite file store)', () => {
  let dir: string;
  let sqliteFile: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-append-thread-'));
    sqliteFile = path.join(dir, 'audit.sqlite');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('appends without the gateway connection: batches land while that connection is held', async () => {
    const store = await openAuditStore({ sqliteFile, chain: 'thread-a' });
    // The pool has one connection: the event-loop append would wait for it forever.
    const held = await store.knex.client.acquireConnection();
    try {
      await within(store.append(auditEvents(300)), 10_000, 'append with the gateway connection held');
      await within(store.append(auditEvents(5)), 10_000, 'second append');
    } finally {
      await store.knex.client.releaseConnection(held);
    }
    expect(await countEvents(store)).toBe(305);
    expect(await verify(store)).toMatchObject({ ok: true, chains: [{ chain: 'thread-a', events: 305 }] });
    if (process.platform === 'linux') {
      // The thread runs below the event loop's priority: one task of this process has its nice value.
      expect(niceValuesOfThreads()).toContain(APPEND_THREAD_NICE);
      await store.close();
      expect(niceValuesOfThreads()).not.toContain(APPEND_THREAD_NICE);
    } else await store.close();
  });

  it("waits for another writer's lock, and past its busy timeout fails the batch, which the writer retries once, without duplicates", async () => {
    const store = await openAuditStore({ sqliteFile, chain: 'thread-b' });
    const events = auditEvents(40);
    // Briefly locked: the append waits and lands.
    await store.knex.raw('BEGIN IMMEDIATE');
    const waiting = store.append(events.slice(0, 20));
    await new Promise((r) => setTimeout(r, 300));
    await store.knex.raw('COMMIT');
    await within(waiting, 10_000, 'append after a short lock');

    // Locked past the busy timeout (5 s): the batch fails with SQLITE_BUSY and the writer retries it.
    const writer = createAuditWriter(store, { flushIntervalMs: 5, retryBaseMs: 50, retryMaxMs: 200, ...silent });
    await store.knex.raw('BEGIN IMMEDIATE');
    for (const e of events.slice(20)) writer.append(e);
    // The first attempt of the batch only fails once the thread's busy timeout has passed.
    const deadline = Date.now() + 15_000;
    while (writer.stats().failedBatches === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(writer.stats().failedBatches).toBeGreaterThan(0);
    expect(writer.stats().lastError).toMatch(/locked|busy/i);
    await store.knex.raw('COMMIT');
    await within(writer.flush(), 20_000, 'writer flush after the lock');
    // The same 20 events sent again (as a retry after a lost reply would): written once.
    await store.append(events.slice(20));
    expect(await countEvents(store)).toBe(40);
    expect((await verify(store)).ok).toBe(true);
    await writer.close();
  }, 40_000);

  it('close() writes what was sent before it, then ends the thread', async () => {
    const store = await openAuditStore({ sqliteFile, chain: 'thread-c' });
    const appends = [store.append(auditEvents(100)), store.append(auditEvents(100))];
    await store.close();
    await Promise.all(appends);
    const reader = await openAuditStore({ sqliteFile, chain: 'reader' });
    expect(await verify(reader)).toMatchObject({ ok: true, chains: [{ chain: 'thread-c', events: 200 }] });
    await reader.close();
  });

  it('an idle thread never keeps the process alive, and an append in flight does', async () => {
    // A process that appends and never closes the store: it must write and exit by itself.
    const script = `
      const { openAuditStore } = require(${JSON.stringify(path.resolve('gateway/audit/store.ts'))});
      const { auditEvents } = require(${JSON.stringify(path.resolve('test/support/audit-events.ts'))});
      openAuditStore({ sqliteFile: ${JSON.stringify(sqliteFile)}, chain: 'thread-d' }).then((store) => {
        store.append(auditEvents(50)).then(() => store.knex.destroy());
      });`;
    const started = Date.now();
    await promisify(execFile)(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { timeout: 30_000 });
    expect(Date.now() - started).toBeLessThan(30_000);
    const reader = await openAuditStore({ sqliteFile, chain: 'reader' });
    expect(await verify(reader)).toMatchObject({ ok: true, chains: [{ chain: 'thread-d', events: 50 }] });
    await reader.close();
  }, 40_000);

  it('a thread that dies fails its appends with AUDIT_UNAVAILABLE, and the next append starts a new one', async () => {
    const missing = path.join(dir, 'not-yet', 'audit.sqlite');
    const thread = sqliteAppendThread({ file: missing, chain: 'thread-e' }, silent.logger);
    const events = auditEvents(10);
    // The folder does not exist: the thread cannot open the file and dies.
    await expect(thread.append(events)).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    // Created and migrated: a new thread takes the same batch.
    fs.mkdirSync(path.dirname(missing));
    const store = await openAuditStore({ sqliteFile: missing, chain: 'reader' });
    await within(thread.append(events), 10_000, 'append on a new thread');
    await thread.close();
    expect(await verify(store)).toMatchObject({ ok: true, chains: [{ chain: 'thread-e', events: 10 }] });
    await store.close();
  });

  it('prune waits for a write in progress on another connection (the append thread), instead of failing', async () => {
    const KEY = 'k'.repeat(40);
    const store = await openAuditStore({ sqliteFile, chain: 'thread-f', signingKey: KEY });
    await store.append(auditEvents(30, () => ({}), 3 * 86_400_000)); // three days old
    // Another writer (as the thread is, mid-batch) holds the write lock for a moment. It must be
    // another thread or process: SQLite's busy wait blocks this one.
    const holder = spawn(process.execPath, ['-e', `
      const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(sqliteFile)});
      db.exec('BEGIN IMMEDIATE');
      process.stdout.write('locked\\n');
      setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);`]);
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`lock holder exited (${code}) before locking`)));
    });
    const result = await prune(store, new Date(Date.now() - 86_400_000), KEY);
    expect(result).toMatchObject({ removed: 30 });
    expect((await verify(store, { key: KEY })).ok).toBe(true);
    await store.close();
  });
});
