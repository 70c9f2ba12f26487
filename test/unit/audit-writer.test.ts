import { describe, expect, it } from 'vitest';
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
