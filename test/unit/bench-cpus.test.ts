import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { threadCpuSeconds } from '../../bench/cpus';
import { APPEND_THREAD_NICE } from '../../gateway/audit/sqlite-append-thread';

const noProc = fs.existsSync('/proc/self/task') ? undefined : 'no /proc (not Linux)';
if (noProc) console.warn(`bench CPU-by-thread test skipped: ${noProc}`);

// Spins until the calling thread has used `seconds` more CPU, by its own /proc counters (in
// Linux's 100 ticks a second), so the test holds however loaded the machine is. Vitest runs this
// file in a forked process (pool: forks): its thread is the event loop, the one whose id is the pid.
const SPIN = `
  const fs = require('node:fs');
  const own = () => { const s = fs.readFileSync('/proc/thread-self/stat', 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
  const spin = (seconds) => { const until = own() + seconds; while (own() < until) for (let i = 0; i < 1e5; i++); };`;

describe.skipIf(noProc)('threadCpuSeconds (bench/cpus.ts)', () => {
  it('tells the event loop from the audit append thread (by its nice value) and the rest', async () => {
    const before = threadCpuSeconds(process.pid)!;
    // A thread at the append thread's nice value, as sqlite-append-worker.ts sets it.
    const worker = new Worker(
      `${SPIN}
      const os = require('node:os');
      os.setPriority(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()), ${APPEND_THREAD_NICE});
      spin(0.3);`,
      { eval: true },
    );
    await new Promise((resolve, reject) => worker.once('exit', resolve).once('error', reject));
    const afterWorker = threadCpuSeconds(process.pid)!;
    // The thread has exited: its time stays in the process total, so it counts among the helpers now.
    expect(afterWorker.helpers - before.helpers).toBeGreaterThanOrEqual(0.25);

    const alive = new Worker(
      `${SPIN}
      const os = require('node:os');
      const { parentPort } = require('node:worker_threads');
      os.setPriority(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()), ${APPEND_THREAD_NICE});
      spin(0.3);
      parentPort.postMessage('spun');
      setInterval(() => {}, 1000);`,
      { eval: true },
    );
    await new Promise((resolve) => alive.once('message', resolve));
    const withAudit = threadCpuSeconds(process.pid)!;
    expect(withAudit.auditThread).toBeGreaterThanOrEqual(0.29);
    await alive.terminate();

    new Function('fs', `${SPIN.replace("const fs = require('node:fs');", '')}; spin(0.2);`)(fs);
    const afterLoop = threadCpuSeconds(process.pid)!;
    expect(afterLoop.eventLoop - withAudit.eventLoop).toBeGreaterThanOrEqual(0.19);
  });
});
