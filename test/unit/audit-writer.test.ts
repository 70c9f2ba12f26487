import { describe, expect, it, vi } from 'vitest';
import type { AuditAppender } from '../../gateway/audit/store';
import type { AuditEvent } from '../../gateway/audit/types';
import { createAuditWriter } from '../../gateway/audit/writer';
import { auditEvent } from '../support/audit-events';

const silent = { info() {}, warn() {}, error() {} } as any;

/** A store whose batches wait until `open()`: the queue holds whatever is appended meanwhile. */
function gatedStore() {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const written: AuditEvent[] = [];
  const store: AuditAppender = {
    async append(events) {
      await gate;
      written.push(...events);
    },
    async close() {},
  };
  return { store, written, open };
}

describe('audit writer: fail-closed admission holds a queue slot', () => {
  it('an admitted RESTRICTED operation keeps its slot while other traffic fills the queue', async () => {
    const { store, written, open } = gatedStore();
    const writer = createAuditWriter(store, { maxQueue: 3, batchSize: 3, flushIntervalMs: 1, logger: silent });

    // The check before execution: admitted, and one slot held for its event.
    expect(writer.admit(['INTERNAL', 'RESTRICTED', 'RESTRICTED'])).toEqual({ refused: [], reserved: true });
    expect(writer.stats()).toMatchObject({ queued: 0, reserved: 1 });

    // Meanwhile concurrent requests' events fill the queue: the held slot is not theirs.
    const others = [auditEvent(), auditEvent(), auditEvent()];
    expect(others.map((e) => writer.append(e))).toEqual([true, true, false]);
    expect(writer.stats()).toMatchObject({ queued: 2, reserved: 1, rejected: 1 });
    // Full now: a new RESTRICTED operation is refused (and holds nothing); PUBLIC still runs, unreserved.
    expect(writer.admit(['RESTRICTED'])).toEqual({ refused: ['RESTRICTED'], reserved: false });
    expect(writer.admit(['PUBLIC'])).toEqual({ refused: [], reserved: false });
    expect(writer.accepts('RESTRICTED')).toBe(false);

    // The admitted operation's data has left: its event takes the held slot.
    const restricted = auditEvent({ requestId: 'req-restricted' });
    expect(writer.append(restricted, { reserved: true })).toBe(true);
    expect(writer.stats()).toMatchObject({ queued: 3, reserved: 0, rejected: 1 });

    open();
    await writer.flush();
    expect(written.map((e) => e.requestId)).toContain('req-restricted');
    expect(writer.accepts('RESTRICTED')).toBe(true);
    await writer.close();
  });

  it('levels that do not fail closed hold no slot; a refused or invalid reserved event gives its slot back', async () => {
    const { store, open } = gatedStore();
    const writer = createAuditWriter(store, { maxQueue: 2, flushIntervalMs: 1, failClosedLevels: ['CONFIDENTIAL', 'RESTRICTED'], logger: silent });
    expect(writer.admit(['PUBLIC', 'INTERNAL'])).toEqual({ refused: [], reserved: false });
    expect(writer.admit(['CONFIDENTIAL'])).toEqual({ refused: [], reserved: true });
    expect(writer.admit(['RESTRICTED'])).toEqual({ refused: [], reserved: true });
    expect(writer.stats().reserved).toBe(2);
    expect(writer.accepts('CONFIDENTIAL')).toBe(false); // every slot is held
    expect(writer.append(auditEvent())).toBe(false);

    expect(writer.append(auditEvent({ time: 'not a time' }), { reserved: true })).toBe(false);
    expect(writer.stats()).toMatchObject({ reserved: 1, queued: 0 });
    expect(writer.accepts('CONFIDENTIAL')).toBe(true);
    expect(writer.append(auditEvent(), { reserved: true })).toBe(true);
    expect(writer.stats()).toMatchObject({ reserved: 0, queued: 1 });
    // Claiming a slot when none is held does not get past a full queue.
    expect(writer.append(auditEvent())).toBe(true);
    expect(writer.append(auditEvent(), { reserved: true })).toBe(false);
    open();
    await writer.close();
  });
});

describe('audit writer: batches under a steady stream', () => {
  it('writes a partial batch once per flush interval, not a store call per handful of events that arrived during the last one', async () => {
    const calls: number[] = [];
    // A store that takes 5 ms a batch: events keep arriving while it writes.
    const store: AuditAppender = {
      async append(events) {
        calls.push(events.length);
        await new Promise((r) => setTimeout(r, 5));
      },
      async close() {},
    };
    const writer = createAuditWriter(store, { batchSize: 500, flushIntervalMs: 100, logger: silent });
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 450) {
      writer.append(auditEvent());
      sent += 1;
      await new Promise((r) => setTimeout(r, 1));
    }
    await writer.close();
    expect(calls.reduce((a, b) => a + b, 0)).toBe(sent);
    // About one call per 100 ms of stream (and the close); one per arrival gap would be dozens.
    expect(calls.length).toBeLessThanOrEqual(8);
    // Full batches go at once, whatever the interval.
    const full: number[] = [];
    const batching = createAuditWriter({ async append(events) { full.push(events.length); }, async close() {} }, { batchSize: 10, flushIntervalMs: 60_000, logger: silent });
    for (let i = 0; i < 25; i++) batching.append(auditEvent());
    await new Promise((r) => setTimeout(r, 20));
    expect(full).toEqual([10, 10]);
    await batching.close();
    expect(full).toEqual([10, 10, 5]);
  });
});

/** A store whose every batch waits for its own `next()`: the test decides when each write ends. */
function steppedStore() {
  const waiting: (() => void)[] = [];
  const written: AuditEvent[] = [];
  const store: AuditAppender = {
    async append(events) {
      await new Promise<void>((resolve) => waiting.push(resolve));
      written.push(...events);
    },
    async close() {},
  };
  const next = async () => {
    await vi.waitFor(() => expect(waiting.length).toBeGreaterThan(0));
    waiting.shift()!();
    // Let the writer see the batch written (and release what waits on it).
    await new Promise((r) => setTimeout(r, 0));
  };
  return { store, written, next };
}

const settled = async (promise: Promise<void> | undefined) => {
  let done = false;
  void promise?.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 5));
  return done;
};

describe('audit writer: back-pressure', () => {
  it('past the high-water mark, holds new requests a slice at a time: one shared wait, ended by its timer or by a batch that brings the queue back under the mark', async () => {
    const { store, written, next } = steppedStore();
    const writer = createAuditWriter(store, { batchSize: 2, backlogHighWater: 2, backlogLimit: 100, holdBackSliceMs: 40, flushIntervalMs: 1, logger: silent });
    writer.append(auditEvent());
    // Under the mark: nothing to wait for (and nothing allocated for it).
    expect(writer.caughtUp()).toBeUndefined();
    writer.append(auditEvent());
    const started = performance.now();
    const held = writer.caughtUp();
    expect(held).toBeInstanceOf(Promise);
    expect(writer.caughtUp()).toBe(held);
    await held;
    // The store has written nothing: the slice ran out, and the next request gets a slice of its own.
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(written).toHaveLength(0);
    const nextSlice = writer.caughtUp();
    expect(nextSlice).toBeInstanceOf(Promise);
    expect(nextSlice).not.toBe(held);
    expect(await settled(nextSlice)).toBe(false);

    await next(); // the batch of 2 is written: the queue is under the mark, the slice ends early
    expect(await settled(nextSlice)).toBe(true);
    expect(writer.caughtUp()).toBeUndefined();
    expect(writer.stats()).toMatchObject({ queued: 0, rejected: 0, heldBack: 3 });
    await writer.close();
  });

  it('past the backlog limit, holds new requests until a batch brings the queue back under the limit, not just for a slice', async () => {
    const { store, written, next } = steppedStore();
    const writer = createAuditWriter(store, { batchSize: 2, backlogHighWater: 2, backlogLimit: 4, holdBackSliceMs: 60_000, maxHoldBackMs: 60_000, flushIntervalMs: 1, logger: silent });
    for (let i = 0; i < 3; i++) writer.append(auditEvent());
    const sliced = writer.caughtUp();
    writer.append(auditEvent());
    const held = writer.caughtUp();
    expect(held).toBeInstanceOf(Promise);
    expect(held).not.toBe(sliced);
    expect(writer.caughtUp()).toBe(held);
    expect(writer.stats()).toMatchObject({ queued: 4, heldBack: 3 });
    expect(await settled(held)).toBe(false);

    await next(); // 2 written, 2 queued: under the limit, still at the mark
    expect(await settled(held)).toBe(true);
    expect(await settled(sliced)).toBe(false);
    await next(); // all written: under the mark
    expect(await settled(sliced)).toBe(true);
    expect(writer.caughtUp()).toBeUndefined();
    await writer.flush();
    expect(written).toHaveLength(4);
    expect(writer.stats()).toMatchObject({ queued: 0, rejected: 0, heldBack: 3 });
    await writer.close();
  });

  it('holds nobody while the store fails or hangs (fail-closed admission decides then), lets go after maxHoldBackMs, and at close', async () => {
    // Failing: the outage releases those held and holds no one new.
    let fail = false;
    let calls = 0;
    const failing = createAuditWriter(
      {
        async append() {
          calls += 1;
          await new Promise((r) => setTimeout(r, 20));
          if (fail) throw new Error('connect ECONNREFUSED audit-db:5432');
        },
        async close() {},
      },
      { batchSize: 1, backlogHighWater: 2, backlogLimit: 2, flushIntervalMs: 1, retryBaseMs: 60_000, maxHoldBackMs: 60_000, logger: silent },
    );
    fail = true;
    for (let i = 0; i < 3; i++) failing.append(auditEvent());
    const held = failing.caughtUp();
    expect(held).toBeInstanceOf(Promise);
    await vi.waitFor(() => expect(failing.stats().failedBatches).toBe(1));
    expect(await settled(held)).toBe(true);
    expect(failing.caughtUp()).toBeUndefined();
    expect(calls).toBe(1);

    // Hanging: once the oldest event has waited past maxOutageMs, the store counts as out.
    let clock = 0;
    const { store } = steppedStore();
    const hanging = createAuditWriter(store, { batchSize: 1, backlogHighWater: 2, backlogLimit: 2, flushIntervalMs: 1, maxOutageMs: 1_000, maxHoldBackMs: 60_000, now: () => clock, logger: silent });
    hanging.append(auditEvent());
    hanging.append(auditEvent());
    expect(hanging.caughtUp()).toBeInstanceOf(Promise);
    clock = 1_002;
    expect(hanging.caughtUp()).toBeUndefined();

    // Still writing but too slowly: a held request goes on after maxHoldBackMs.
    const slow = steppedStore();
    const patient = createAuditWriter(slow.store, { batchSize: 1, backlogHighWater: 2, backlogLimit: 2, flushIntervalMs: 1, maxHoldBackMs: 30, logger: silent });
    patient.append(auditEvent());
    patient.append(auditEvent());
    const started = performance.now();
    await patient.caughtUp();
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(patient.stats()).toMatchObject({ queued: 2, heldBack: 1 });

    // Closing lets everyone go.
    const atClose = patient.caughtUp();
    expect(atClose).toBeInstanceOf(Promise);
    const closing = patient.close();
    expect(await settled(atClose)).toBe(true);
    await slow.next();
    await slow.next();
    await closing;
    expect(slow.written).toHaveLength(2);
  });
});
