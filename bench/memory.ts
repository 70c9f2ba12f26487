import fs from 'node:fs';

/** A process's resident set size now (`VmRSS`) or its peak so far (`VmHWM`), in MB; undefined without /proc. */
export function residentMB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kB = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
  return kB === undefined ? undefined : Number(kB) / 1024;
}

/**
 * Samples a process's RSS while a run lasts. VmHWM is the peak since the process started, so it
 * cannot tell one row's peak from an earlier row's: each row samples VmRSS itself.
 */
export function sampleRss(pid: number, everyMs = 200): { stop(): number | undefined } {
  let peak = residentMB(pid);
  const timer = setInterval(() => {
    const now = residentMB(pid);
    if (now !== undefined) peak = Math.max(peak ?? 0, now);
  }, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const now = residentMB(pid);
      return now === undefined ? peak : Math.max(peak ?? 0, now);
    },
  };
}
