import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { APPEND_THREAD_NICE } from '../gateway/audit/sqlite-append-thread';

/** How the benchmark places its processes on CPUs: pinned with `taskset`, or left to the OS. */
export interface Placement {
  pinned: boolean;
  /** Said in the report: which process runs where, or why nothing is pinned. */
  description: string;
}

/** The gateways get CPU 1 (one loaded at a time); the subgraphs and the load generator share CPU 0. */
export const GATEWAY_CPU = 1;
export const SHARED_CPU = 0;

export function choosePlacement(wanted: boolean): Placement {
  if (!wanted) return { pinned: false, description: 'not pinned (--no-pin)' };
  if (os.cpus().length < 2) return { pinned: false, description: 'not pinned (fewer than 2 CPUs)' };
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
  } catch {
    return { pinned: false, description: 'not pinned (taskset not found)' };
  }
  return {
    pinned: true,
    description: `taskset: gateways (bare, meshgate, governed; only the one under load is busy) on CPU ${GATEWAY_CPU}; subgraphs and load generator on CPU ${SHARED_CPU}`,
  };
}

/** The command line that starts `argv` on one CPU, or unchanged when not pinning. */
export function onCpu(placement: Placement, cpu: number, argv: string[]): string[] {
  return placement.pinned ? ['taskset', '-c', String(cpu), ...argv] : argv;
}

/** Moves a running process (all its threads) to one CPU. */
export function pin(placement: Placement, pid: number, cpu: number): void {
  if (placement.pinned) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
}

let ticksPerSecond: number | undefined;

/** A `/proc` file's text; undefined without /proc, or once the process or thread has ended. */
function readProcFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** CPU clock ticks (user + system) and nice value from a `/proc/…/stat` file; undefined if it cannot be read. */
function readStat(file: string): { ticks: number; nice: number } | undefined {
  const stat = readProcFile(file);
  if (stat === undefined) return undefined;
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  // Fields after the command name, which is in parentheses and may itself contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ticks: Number(fields[11]) + Number(fields[12]), nice: Number(fields[16]) };
}

/** CPU time (user + system, seconds) a process has used so far; undefined without /proc. */
export function cpuSeconds(pid: number): number | undefined {
  const stat = readStat(`/proc/${pid}/stat`);
  return stat && stat.ticks / ticksPerSecond!;
}

/**
 * A gateway process's CPU seconds by thread: the event loop (the thread whose id is the pid), the
 * audit append thread (the one at APPEND_THREAD_NICE, see sqlite-append-thread.ts) and the rest
 * (V8's garbage-collector helpers for every isolate, libuv's pool). A CPU profile sees only the
 * event loop. Undefined without /proc.
 */
export interface ThreadCpuSeconds {
  eventLoop: number;
  auditThread: number;
  helpers: number;
}

export function threadCpuSeconds(pid: number): ThreadCpuSeconds | undefined {
  const eventLoop = readStat(`/proc/${pid}/task/${pid}/stat`)?.ticks;
  if (eventLoop === undefined) return undefined;
  let auditThread = 0;
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    // The process ended between the two reads: no threads to sort.
  }
  for (const tid of tids) {
    const thread = tid === String(pid) ? undefined : readStat(`/proc/${pid}/task/${tid}/stat`);
    if (thread?.nice === APPEND_THREAD_NICE) auditThread += thread.ticks;
  }
  // The total last, so it holds what the threads had done when they were read (the process's and
  // the threads' counters still round apart by a tick: see measure.ts). It also holds threads
  // that have ended: whatever is not the loop or the audit is the helpers'.
  const total = readStat(`/proc/${pid}/stat`)?.ticks;
  if (total === undefined) return undefined;
  const seconds = (ticks: number) => ticks / ticksPerSecond!;
  return { eventLoop: seconds(eventLoop), auditThread: seconds(auditThread), helpers: seconds(Math.max(0, total - eventLoop - auditThread)) };
}

/**
 * Seconds a process's main thread (for Node, its event loop) has spent runnable but waiting for a
 * CPU, from /proc/PID/schedstat: how much of its latency is queueing behind other processes on its
 * core rather than its own work. Undefined without /proc or schedstats.
 */
export function runQueueWaitSeconds(pid: number | 'self'): number | undefined {
  const waitedNs = Number(readProcFile(`/proc/${pid}/schedstat`)?.split(' ')[1]);
  return Number.isFinite(waitedNs) ? waitedNs / 1e9 : undefined;
}

export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

export interface Machine {
  cpuModel: string;
  cores: number;
  node: string;
  platform: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return { cpuModel: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length, node: process.version, platform: `${os.platform()} ${os.release()}` };
}
