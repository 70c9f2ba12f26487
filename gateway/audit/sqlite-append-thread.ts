import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { MeshgateError } from '../../shared/errors';
import { createLogger, type Logger } from '../../shared/logger';
import { sizeWorkersByTheirOwnLimits } from '../heap-growth';
import type { AuditEvent } from './types';

/**
 * The SQLite append on a thread of its own. On the event loop a batch's transaction stalls every
 * request in flight, so it had to be cut into 8-event transactions; here a whole batch is one
 * transaction (each commit writes the touched index pages once, not once per 8 events) and the
 * requests never wait for it. Where the gateway has a second core, the append runs there.
 */

export interface AppendThreadConfig {
  file: string;
  chain: string;
  signingKey?: string;
  /** The thread's nice value on Linux (default APPEND_THREAD_NICE: below the event loop's 0). */
  nice?: number;
}

/**
 * Nice 10 against the loop's 0: a tenth of a shared core when both want it, all of an idle one.
 * At nice 5 (a quarter) the loop waited for the thread whenever both wanted the core (governed
 * `small` 0.17 against 0.07 ms per request at nice 19). At nice 19 the thread fell a batch behind
 * on a saturated core, and the writer's back-pressure then held whole waves of requests (1.3% of
 * `small`'s, its p99 38 against 26 ms); at 10 it keeps up but in rare moments (full runs 37 and
 * 38: 0 and 316 of 227,000 and 274,000 requests held; holds are slices of 5 ms since, see the
 * writer). An unprivileged process cannot raise a priority again, so the value is fixed, not adaptive.
 */
export const APPEND_THREAD_NICE = 10;

export type AppendRequest = { type: 'append'; id: number; events: AuditEvent[] } | { type: 'close' };
export type AppendReply = { id: number; ok: true } | { id: number; ok: false; message: string; code?: string } | { id: 0; warning: string };

export interface SqliteAppendThread {
  /** Appends events (normalised and deduplicated by id there) in one transaction; rejects with the thread's error. */
  append(events: AuditEvent[]): Promise<void>;
  /** Waits for the appends sent so far, then ends the thread. */
  close(): Promise<void>;
}

// The worker runs the TypeScript source through tsx, as the CLI does; execArgv [] keeps the
// parent's preloads (a benchmark's exit-with-parent hook, say) out of the thread.
const BOOT = `require('tsx/cjs'); require(${JSON.stringify(path.join(__dirname, 'sqlite-append-worker.ts'))});`;

interface Pending {
  /** The thread the batch was sent to: only its death fails the batch. */
  worker: Worker;
  resolve(): void;
  reject(err: Error): void;
}

export function sqliteAppendThread(config: AppendThreadConfig, logger: Logger = createLogger('audit-writer')): SqliteAppendThread {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  /** Fails the appends sent to `w` (a thread that died; a later one may already hold others). */
  const failAll = (w: Worker, reason: string) => {
    const err = new MeshgateError('AUDIT_UNAVAILABLE', `audit append thread ${reason}`);
    for (const [id, p] of pending) {
      if (p.worker !== w) continue;
      pending.delete(id);
      p.reject(err);
    }
  };

  const start = (): Worker => {
    sizeWorkersByTheirOwnLimits();
    const w = new Worker(BOOT, { eval: true, execArgv: [], workerData: { nice: APPEND_THREAD_NICE, ...config } });
    w.on('message', (reply: AppendReply) => {
      if ('warning' in reply) return logger.warn(reply.warning);
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (![...pending.values()].some((p) => p.worker === w)) w.unref();
      if (reply.ok) p.resolve();
      else p.reject(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
    });
    // A thread that dies fails what it held; the writer retries those batches on a new thread.
    w.on('error', (err) => {
      if (worker === w) worker = null;
      failAll(w, `failed: ${err.message}`);
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(w, `exited (code ${code})`);
    });
    return w;
  };

  return {
    append(events) {
      worker ??= start();
      const w = worker;
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { worker: w, resolve, reject });
        // Referenced only while an append is out: an idle thread never keeps the process alive.
        w.ref();
        w.postMessage({ type: 'append', id, events } satisfies AppendRequest);
      });
    },
    async close() {
      const w = worker;
      worker = null;
      if (!w) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.ref();
      w.postMessage({ type: 'close' } satisfies AppendRequest);
      await exited;
    },
  };
}
