// The body of the audit append thread (started by `sqlite-append-thread.ts`): owns a write
// connection to the audit SQLite file and appends each batch it is sent in one transaction.
import fs from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { distinctNormalised } from './hash';
import { appendInTransaction, openAppendConnection } from './sqlite-append';
import type { AppendReply, AppendRequest, AppendThreadConfig } from './sqlite-append-thread';

const { file, chain, signingKey, nice } = workerData as AppendThreadConfig;
const port = parentPort!;

// Requests first: where the thread shares a core with the event loop, the scheduler runs it in the
// loop's idle time rather than slicing requests. On Linux a thread is a task with a nice value of its own.
if (nice && process.platform === 'linux') {
  try {
    os.setPriority(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()), nice);
  } catch (err) {
    port.postMessage({ id: 0, warning: `audit append thread keeps its priority: ${(err as Error).message}` } satisfies AppendReply);
  }
}
const conn = openAppendConnection(file);

port.on('message', (message: AppendRequest) => {
  if (message.type === 'close') {
    conn.close();
    port.close();
    return;
  }
  let reply: AppendReply;
  try {
    appendInTransaction(conn, chain, distinctNormalised(message.events), signingKey);
    reply = { id: message.id, ok: true };
  } catch (err) {
    reply = { id: message.id, ok: false, message: (err as Error).message ?? String(err), code: (err as { code?: string }).code };
  }
  port.postMessage(reply);
});
