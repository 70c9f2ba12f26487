import type { Level } from '../../shared/classification';
import { MeshgateError } from '../../shared/errors';
import { createLogger, type Logger } from '../../shared/logger';
import { normaliseEvent } from './hash';
import type { AuditAppender } from './store';
import type { AuditAdmission, AuditEvent, AuditSink } from './types';

export interface AuditWriterOptions {
  /** Events held in memory at most; `append` refuses beyond (default 10,000). */
  maxQueue?: number;
  /** Events per batch / transaction (default 500). */
  batchSize?: number;
  /** A partial batch is written this long after its oldest event arrived (default 200 ms); full batches go at once. */
  flushIntervalMs?: number;
  /** First retry delay after a failed batch; doubles per failure (default 100 ms)… */
  retryBaseMs?: number;
  /** …up to this (default 5,000 ms). */
  retryMaxMs?: number;
  /** How long the store may be unreachable before fail-closed levels are refused (default 5,000 ms). */
  maxOutageMs?: number;
  /** Levels refused by `accepts` while the queue is full or the store is out (default ['RESTRICTED']). */
  failClosedLevels?: readonly Level[];
  /**
   * Queued events from which new requests are held back, a slice at a time (default 4 × batchSize,
   * at most half of maxQueue): the append thread runs below the event loop's priority, so on a
   * saturated core it gets the core this way, or the queue would fill and refuse events.
   */
  backlogHighWater?: number;
  /**
   * Past the high-water mark a held request waits this long at most (default 5 ms), or until a
   * batch brings the queue back under the mark: short pauses leave the thread the core in slices.
   * Waiting for a whole batch to commit held each wave of requests for tens of ms (the p99).
   */
  holdBackSliceMs?: number;
  /**
   * Queued events from which a held request waits for the store to catch up (a batch bringing the
   * queue back under this), not just a slice (default midway from the mark to maxQueue, at most
   * twice the mark): slices alone cannot stop an overloaded loop from filling the queue.
   */
  backlogLimit?: number;
  /** A request held until the store catches up goes on after at most this long whatever the queue (default 1,000 ms). */
  maxHoldBackMs?: number;
  /** `close()` gives up (throwing AUDIT_UNAVAILABLE, logging the unwritten count) after this long (default 30,000 ms). */
  closeTimeoutMs?: number;
  logger?: Logger;
  /** Clock, for tests. */
  now?: () => number;
}

export interface AuditWriterStats {
  /** Events waiting in memory (including a batch being written). */
  queued: number;
  /** Events committed to the store. */
  written: number;
  /** Batches whose transaction failed (each was retried). */
  failedBatches: number;
  /** Events `append` refused (queue full, invalid event, or writer closed). */
  rejected: number;
  /** Queue slots held by admitted operations whose events are not appended yet (see `admit`). */
  reserved: number;
  /** Since when the store has been failing (epoch ms), or null. */
  outageSince: number | null;
  lastError: string | null;
  /** How long the oldest queued event has waited, in ms (0 when the queue is empty): the write lag. */
  lagMs: number;
  /** Requests held back (see `caughtUp`): for a slice, or until the store caught up with the queue. */
  heldBack: number;
}

export interface AuditWriter extends AuditSink {
  caughtUp(): Promise<void> | undefined;
  stats(): AuditWriterStats;
}

/** A slice past the high-water mark, or the store catching up past the backlog limit (see `caughtUp`). */
type HoldKind = 'slice' | 'catchUp';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The gateway's audit sink: a bounded in-memory queue written to the store in batches (by size
 * and by time), one transaction per batch, off the request path. A failed batch stays at the
 * head of the queue and is retried with capped exponential backoff; events are never dropped
 * once `append` returned true. `append` returning false (queue full, invalid event, closed) is
 * the only way an event is not taken: it is counted in `rejected` and logged. An operation `admit`
 * let through with a fail-closed level holds a slot, so its event is never refused as queue full.
 */
export function createAuditWriter(store: AuditAppender, options: AuditWriterOptions = {}): AuditWriter {
  const maxQueue = options.maxQueue ?? 10_000;
  const batchSize = options.batchSize ?? 500;
  const flushIntervalMs = options.flushIntervalMs ?? 200;
  const retryBaseMs = options.retryBaseMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 5_000;
  const maxOutageMs = options.maxOutageMs ?? 5_000;
  const failClosed = new Set<Level>(options.failClosedLevels ?? ['RESTRICTED']);
  const backlogHighWater = options.backlogHighWater ?? Math.min(4 * batchSize, Math.ceil(maxQueue / 2));
  const holdBackSliceMs = options.holdBackSliceMs ?? 5;
  const backlogLimit = options.backlogLimit ?? Math.min(2 * backlogHighWater, Math.ceil((backlogHighWater + maxQueue) / 2));
  const maxHoldBackMs = options.maxHoldBackMs ?? 1_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
  const logger = options.logger ?? createLogger('audit-writer');
  const now = options.now ?? Date.now;

  const queue: AuditEvent[] = [];
  /** When each queued event arrived (parallel to `queue`). */
  const arrivals: number[] = [];
  /** Slots held for admitted operations' events: they count against maxQueue until appended. */
  let reserved = 0;
  let written = 0;
  let failedBatches = 0;
  let rejected = 0;
  let outageSince: number | null = null;
  let lastError: string | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  let draining: Promise<void> | null = null;
  let lastRejectLog = 0;
  let abandoned = false;
  let heldBack = 0;
  /**
   * What held-back requests wait for, one shared wait per kind: a slice past the high-water mark,
   * the store catching up past the backlog limit.
   */
  const holds: Record<HoldKind, { promise: Promise<void>; resolve(): void; timeout: NodeJS.Timeout } | null> = { slice: null, catchUp: null };

  function reject(reason: string, event: AuditEvent): false {
    rejected += 1;
    const t = now();
    // Logged at most once a second (with the running count) so a full queue cannot flood the log.
    if (t - lastRejectLog >= 1000) {
      lastRejectLog = t;
      logger.error({ code: 'AUDIT_UNAVAILABLE', eventId: event?.id, requestId: event?.requestId, reason, rejected, queued: queue.length }, 'audit event refused');
    }
    return false;
  }

  function schedule(): void {
    if (draining || queue.length === 0) return;
    // A full batch goes now, even while a partial batch's flush timer is pending (drain clears it).
    if (queue.length >= batchSize) {
      void drain(0);
      return;
    }
    if (timer) return;
    timer = setTimeout(
      () => {
        timer = null;
        void drain(queue.length);
      },
      Math.min(flushIntervalMs, Math.max(0, arrivals[0] + flushIntervalMs - now())),
    );
    timer.unref();
  }

  /**
   * Writes the first `count` queued events, and then full batches while there are any; one drain
   * at a time. Under load events keep arriving while a batch is written: writing each handful at
   * once made a store call (and a thread hand-over) per few events instead of one per batch.
   */
  function drain(count: number): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (draining) return draining;
    draining = (async () => {
      let failures = 0;
      let taken = 0;
      while (queue.length > 0 && !abandoned && (taken < count || queue.length >= batchSize)) {
        const batch = queue.slice(0, batchSize);
        try {
          await store.append(batch);
          queue.splice(0, batch.length);
          arrivals.splice(0, batch.length);
          written += batch.length;
          taken += batch.length;
          if (outageSince !== null) logger.info({ outageMs: now() - outageSince, queued: queue.length }, 'audit store reachable again');
          outageSince = null;
          lastError = null;
          failures = 0;
          if (queue.length < backlogLimit) releaseHeldBack('catchUp');
          if (!behind()) releaseHeldBack('slice');
        } catch (err) {
          failedBatches += 1;
          failures += 1;
          lastError = (err as Error).message.split('\n')[0].slice(0, 300);
          if (outageSince === null) outageSince = now();
          // An outage is fail-closed admission's business (accepts), not a reason to hold requests.
          releaseAllHeldBack();
          const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(failures - 1, 30));
          logger.warn({ code: 'AUDIT_UNAVAILABLE', err: lastError, queued: queue.length, retryInMs: delay }, 'audit batch failed; retrying');
          await sleep(delay);
        }
      }
    })().finally(() => {
      draining = null;
      schedule();
    });
    return draining;
  }

  async function flush(): Promise<void> {
    while ((queue.length > 0 && !abandoned) || draining) await drain(Infinity);
  }

  const full = () => queue.length + reserved >= maxQueue;

  /** The store is up and writing, but the queue has grown past the high-water mark. */
  function behind(): boolean {
    if (closed || outageSince !== null || queue.length < backlogHighWater) return false;
    // A store that hangs instead of failing is an outage too (as `accepts` reads it).
    return now() - arrivals[0] <= maxOutageMs + flushIntervalMs;
  }

  function releaseHeldBack(kind: HoldKind): void {
    const hold = holds[kind];
    if (!hold) return;
    holds[kind] = null;
    clearTimeout(hold.timeout);
    hold.resolve();
  }

  function releaseAllHeldBack(): void {
    releaseHeldBack('slice');
    releaseHeldBack('catchUp');
  }

  function holdBack(kind: HoldKind): Promise<void> {
    const current = holds[kind];
    if (current) return current.promise;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const timeout = setTimeout(releaseHeldBack, kind === 'slice' ? holdBackSliceMs : maxHoldBackMs, kind);
    holds[kind] = { promise, resolve, timeout };
    return promise;
  }

  function accepts(level: Level): boolean {
    if (!failClosed.has(level)) return true;
    if (closed || full()) return false;
    const t = now();
    if (outageSince !== null && t - outageSince > maxOutageMs) return false;
    // A store that hangs instead of failing: the oldest event has waited too long.
    return arrivals.length === 0 || t - arrivals[0] <= maxOutageMs + flushIntervalMs;
  }

  return {
    append(event: AuditEvent, options?: { reserved?: boolean }): boolean {
      // The slot is given back whatever becomes of the event, so a refused one cannot leak it.
      const holdsSlot = options?.reserved === true && reserved > 0;
      if (holdsSlot) reserved -= 1;
      if (closed) return reject('writer closed', event);
      if (!holdsSlot && full()) return reject('queue full', event);
      let normalised: AuditEvent;
      try {
        normalised = normaliseEvent(event);
      } catch (err) {
        return reject(`invalid event: ${(err as Error).message}`, event);
      }
      queue.push(normalised);
      arrivals.push(now());
      schedule();
      return true;
    },

    accepts,

    /**
     * Undefined while the store keeps up; else a promise the audit step awaits before a request
     * runs, so an overloaded gateway slows down instead of losing events. Past the high-water
     * mark it resolves after a slice (or once the queue is back under the mark); past the backlog
     * limit, once a batch brings the queue back under the limit or after `maxHoldBackMs`. The
     * store failing, or `close`, lets everyone go.
     */
    caughtUp(): Promise<void> | undefined {
      if (!behind()) return undefined;
      heldBack += 1;
      return holdBack(queue.length >= backlogLimit ? 'catchUp' : 'slice');
    },

    admit(levels: readonly Level[]): AuditAdmission {
      const distinct = [...new Set(levels)];
      const refused = distinct.filter((level) => !accepts(level));
      const reserve = refused.length === 0 && distinct.some((level) => failClosed.has(level));
      if (reserve) reserved += 1;
      return { refused, reserved: reserve };
    },

    flush,

    async close(): Promise<void> {
      closed = true;
      releaseAllHeldBack();
      let timeout: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((resolve) => {
        timeout = setTimeout(() => resolve('timeout'), closeTimeoutMs);
      });
      try {
        const outcome = await Promise.race([flush().then(() => 'done' as const), gaveUp]);
        if (outcome === 'timeout') {
          abandoned = true;
          logger.error({ code: 'AUDIT_UNAVAILABLE', unwritten: queue.length, lastError }, 'audit writer closed with events unwritten');
          throw new MeshgateError('AUDIT_UNAVAILABLE', `audit store unreachable for ${closeTimeoutMs} ms at shutdown: ${queue.length} events unwritten (${lastError ?? 'no error'})`, {
            unwritten: queue.length,
          });
        }
      } finally {
        clearTimeout(timeout);
      }
      await store.close();
    },

    stats(): AuditWriterStats {
      return { queued: queue.length, written, failedBatches, rejected, reserved, outageSince, lastError, lagMs: arrivals.length ? Math.max(0, now() - arrivals[0]) : 0, heldBack };
    },
  };
}
