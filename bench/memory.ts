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

/** One VmRSS reading, `atMs` after sampling started. */
export interface RssSample {
  atMs: number;
  mb: number;
}

/**
 * Samples a process's RSS while a run lasts: `stop()` gives the peak, `samples()` every reading.
 * VmHWM is the peak since the process started, so it cannot tell one row's peak from an earlier
 * row's: each row samples VmRSS itself.
 */
export function sampleRss(pid: number, everyMs = 200): { stop(): number | undefined; samples(): readonly RssSample[] } {
  const startedAt = Date.now();
  const samples: RssSample[] = [];
  const read = () => {
    const mb = residentMB(pid);
    if (mb !== undefined) samples.push({ atMs: Date.now() - startedAt, mb });
    return mb;
  };
  read();
  const timer = setInterval(read, everyMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      read();
      return samples.length ? Math.max(...samples.map((s) => s.mb)) : undefined;
    },
    samples: () => samples,
  };
}

/** RSS over the first and the last `windowMs` of a run, and the growth between them. */
export interface RssGrowth {
  firstMB: number;
  lastMB: number;
  /** The highest reading in each window. */
  firstPeakMB: number;
  lastPeakMB: number;
  /** lastMB ÷ firstMB − 1. */
  growth: number;
}

/**
 * Growth as the mean of each window's readings, not two single readings: a Node process's RSS is
 * a saw-tooth between full collections (tens of MB, every 10–30 s under load), so two readings
 * mostly tell where in its cycle each fell. A leak still shows, as a rising mean.
 */
export function rssGrowth(samples: readonly RssSample[], durationMs: number, windowMs: number): RssGrowth | undefined {
  const first = samples.filter((s) => s.atMs <= windowMs).map((s) => s.mb);
  const last = samples.filter((s) => s.atMs >= durationMs - windowMs).map((s) => s.mb);
  if (!first.length || !last.length) return undefined;
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const firstMB = mean(first);
  const lastMB = mean(last);
  return { firstMB, lastMB, firstPeakMB: Math.max(...first), lastPeakMB: Math.max(...last), growth: lastMB / firstMB - 1 };
}
