import { describe, expect, it } from 'vitest';
import { rssGrowth, sampleRss, type RssSample } from '../../bench/memory';

/** 1-s readings over 300 s of a saw-tooth from 300 to 410 MB every 23 s, shifted by `phaseSec`, plus `leakMBPerSec`. */
function sawTooth(phaseSec: number, leakMBPerSec = 0): RssSample[] {
  return Array.from({ length: 301 }, (_, t) => ({ atMs: t * 1000, mb: 300 + 5 * ((t + phaseSec) % 23) + leakMBPerSec * t }));
}

describe('the soak RSS growth', () => {
  it('reads a flat saw-tooth as flat (within 3%) whatever its phase, where two single readings range over a third', () => {
    const singleReadings = [];
    for (let phase = 0; phase < 23; phase++) {
      const samples = sawTooth(phase);
      const growth = rssGrowth(samples, 300_000, 60_000)!;
      expect(Math.abs(growth.growth)).toBeLessThan(0.03);
      expect(growth.firstPeakMB).toBe(410);
      singleReadings.push(samples[300].mb / samples[60].mb - 1);
    }
    expect(Math.max(...singleReadings) - Math.min(...singleReadings)).toBeGreaterThan(0.3);
  });

  it('still shows a leak: 0.25 MB/s over four minutes is about 60 MB more', () => {
    const growth = rssGrowth(sawTooth(7, 0.25), 300_000, 60_000)!;
    expect(growth.growth).toBeGreaterThan(0.15);
    // 60 MB of leak between the windows' middles, give or take the saw-tooth's partial periods.
    expect(growth.lastMB - growth.firstMB).toBeGreaterThan(50);
    expect(growth.lastMB - growth.firstMB).toBeLessThan(70);
  });

  it('gives nothing without readings in both windows', () => {
    expect(rssGrowth([], 300_000, 60_000)).toBeUndefined();
    expect(rssGrowth([{ atMs: 0, mb: 100 }], 300_000, 60_000)).toBeUndefined();
  });

  it('samples a live process: every reading kept, the peak returned', async () => {
    const sampler = sampleRss(process.pid, 10);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const peak = sampler.stop();
    const samples = sampler.samples();
    expect(samples.length).toBeGreaterThanOrEqual(3);
    expect(peak).toBe(Math.max(...samples.map((s) => s.mb)));
    expect(samples.every((s, i) => i === 0 || s.atMs >= samples[i - 1].atMs)).toBe(true);
  });
});
