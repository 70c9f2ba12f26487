import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { runQueueWaitSeconds, threadCpuSeconds } from '../../bench/cpus';
import { APPEND_THREAD_NICE } from '../../gateway/audit/sqlite-append-thread';

const noProc = fs.existsSync('/proc/self/task') ? undefined : 'no /proc (not Linux)';
if (noProc) console.warn(`bench CPU-by-thread test skipped: ${noProc}`);

// CPU seconds the calling thread has used, by its own /proc counters (Linux's 100 ticks a second).
// It and `spin` are also sent to the workers as source: hence `require`, not the import.
function ownSeconds(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const stat = require('node:fs').readFileSync('/proc/thread-self/stat', 'utf8') as string;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

// Spins until the calling thread has used `seconds` more CPU, so the test holds however loaded the
// machine is. Vitest runs this file in a forked process (pool: forks): its thread is the event
// loop, the one whose id is the pid.
function spin(seconds: number): void {
  const until = ownSeconds() + seconds;
  while (ownSeconds() < until) for (let i = 0; i < 1e5; i++);
}

/** A thread at the append thread's nice value (as sqlite-append-worker.ts sets it) that spins 0.3 s, then says so and stays or ends. */
const appendNiceSpinner = (stay: boolean) =>
  new Worker(
    `${ownSeconds}
    ${spin}
    require('node:os').setPriority(Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()), ${APPEND_THREAD_NICE});
    spin(0.3);
    require('node:worker_threads').parentPort.postMessage('spun');
    ${stay ? 'setInterval(() => {}, 1000);' : ''}`,
    { eval: true },
  );

describe.skipIf(noProc)('threadCpuSeconds (bench/cpus.ts)', () => {
  it('tells the event loop from the audit append thread (by its nice value) and the rest', async () => {
    const before = threadCpuSeconds(process.pid)!;
    const worker = appendNiceSpinner(false);
    await new Promise((resolve, reject) => worker.once('exit', resolve).once('error', reject));
    const afterWorker = threadCpuSeconds(process.pid)!;
    // The thread has exited: its time stays in the process total, so it counts among the helpers now.
    expect(afterWorker.helpers - before.helpers).toBeGreaterThanOrEqual(0.25);

    const alive = appendNiceSpinner(true);
    await new Promise((resolve) => alive.once('message', resolve));
    const withAudit = threadCpuSeconds(process.pid)!;
    expect(withAudit.auditThread).toBeGreaterThanOrEqual(0.29);
    await alive.terminate();

    spin(0.2);
    const afterLoop = threadCpuSeconds(process.pid)!;
    expect(afterLoop.eventLoop - withAudit.eventLoop).toBeGreaterThanOrEqual(0.19);
  });
});

const noSchedstat = noProc ?? (fs.existsSync('/proc/self/schedstat') ? undefined : 'no /proc/PID/schedstat (kernel without schedstats)');
const noTaskset = noSchedstat ?? (spawnSync('taskset', ['-c', '0', 'true']).status === 0 ? undefined : 'no taskset (util-linux) to share one CPU');
if (noTaskset) console.warn(`bench run-queue test skipped: ${noTaskset}`);

describe.skipIf(noTaskset)('runQueueWaitSeconds (bench/cpus.ts)', () => {
  it('counts the time two spinners pinned to one CPU wait for it', async () => {
    const spinners = [0, 1].map(() => spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;);'], { stdio: 'ignore' }));
    try {
      // taskset execs node in place: the pid is the spinner's.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const before = spinners.map((s) => runQueueWaitSeconds(s.pid!)!);
      await new Promise((resolve) => setTimeout(resolve, 600));
      const waited = spinners.map((s, i) => runQueueWaitSeconds(s.pid!)! - before[i]);
      // One CPU for two: each runs about half the time and waits the other half (more if CPU 0 is busy).
      for (const seconds of waited) expect(seconds).toBeGreaterThan(0.15);
      expect(runQueueWaitSeconds('self')).toBeGreaterThanOrEqual(0);
      expect(runQueueWaitSeconds(2 ** 22 + 1)).toBeUndefined();
    } finally {
      for (const s of spinners) s.kill('SIGKILL');
    }
  });
});
