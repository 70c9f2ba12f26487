import { execFileSync } from 'node:child_process';
import path from 'node:path';
import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_HEAP_GROWTH_PERCENT, GATEWAY_NODE_FLAGS, heapGrowthPercentFromEnv, limitHeapGrowth } from '../../gateway/heap-growth';
import { cli } from '../support/cli';

// What the setting does to memory is measured in the benchmark (bench/README.md): V8's own
// growth policy varies from run to run, so a timed allocation test here would be flaky.

describe('heap growth of a gateway process', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('reads MESHGATE_HEAP_GROWTH_PERCENT: 100 by default, 10 to 400 to bound it, 0 for V8 own policy, anything else refused', () => {
    expect(heapGrowthPercentFromEnv({})).toBe(DEFAULT_HEAP_GROWTH_PERCENT);
    expect(heapGrowthPercentFromEnv({ MESHGATE_HEAP_GROWTH_PERCENT: ' ' })).toBe(100);
    expect(DEFAULT_HEAP_GROWTH_PERCENT).toBe(100);
    expect(heapGrowthPercentFromEnv({ MESHGATE_HEAP_GROWTH_PERCENT: '0' })).toBe(0);
    expect(heapGrowthPercentFromEnv({ MESHGATE_HEAP_GROWTH_PERCENT: '100' })).toBe(100);
    expect(heapGrowthPercentFromEnv({ MESHGATE_HEAP_GROWTH_PERCENT: '50' })).toBe(50);
    for (const bad of ['abc', '5', '401', '1.5', '-100']) {
      expect(() => heapGrowthPercentFromEnv({ MESHGATE_HEAP_GROWTH_PERCENT: bad })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });

  it('sets V8 heap growing percent (100 when the environment says nothing), and leaves V8 alone at 0', () => {
    const setFlags = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    vi.stubEnv('MESHGATE_HEAP_GROWTH_PERCENT', undefined);
    limitHeapGrowth();
    expect(setFlags).toHaveBeenCalledWith('--heap-growing-percent=100');
    setFlags.mockClear();
    limitHeapGrowth(50);
    expect(setFlags).toHaveBeenCalledWith('--heap-growing-percent=50');
    setFlags.mockClear();
    limitHeapGrowth(0);
    expect(setFlags).not.toHaveBeenCalled();
  });

  it('`meshgate gateway` applies it first: a bad value stops it with CONFIG_INVALID before anything starts', async () => {
    const setFlags = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    vi.stubEnv('MESHGATE_HEAP_GROWTH_PERCENT', 'lots');
    const { code, err } = await cli('gateway', '--supergraph', '/nonexistent/supergraph.graphql');
    expect(code).not.toBe(0);
    expect(err).toMatch(/CONFIG_INVALID.*MESHGATE_HEAP_GROWTH_PERCENT/);
    expect(setFlags).not.toHaveBeenCalled();
  });

  it('worker threads started after sizeWorkersByTheirOwnLimits size their own young generation; the gateway keeps its GATEWAY_NODE_FLAGS semi-spaces', () => {
    // A child node started as the gateway is (GATEWAY_NODE_FLAGS): a worker that keeps three
    // batches of small objects alive reports its new space; then the main thread does the same.
    const script = `
      const { Worker } = require('node:worker_threads');
      const v8 = require('node:v8');
      const { sizeWorkersByTheirOwnLimits } = require(${JSON.stringify(path.resolve(__dirname, '../../gateway/heap-growth.ts'))});
      const churn = 'let keep = []; for (let r = 0; r < 200; r++) { const b = []; for (let i = 0; i < 20000; i++) b.push({ a: "x" + i, b: [i] }); keep.push(b); if (keep.length > 3) keep.shift(); }';
      const newSpaceMB = () => Math.round(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1e6);
      const inWorker = () => new Promise((resolve, reject) => {
        const w = new Worker('const v8 = require("node:v8"); ' + churn + '; require("node:worker_threads").parentPort.postMessage((' + newSpaceMB + ')())', { eval: true, execArgv: [] });
        w.once('message', (mb) => { resolve(mb); w.terminate(); });
        w.once('error', reject);
      });
      (async () => {
        const before = await inWorker();
        sizeWorkersByTheirOwnLimits();
        const after = await inWorker();
        eval(churn);
        console.log(JSON.stringify({ before, after, main: newSpaceMB() }));
      })();
    `;
    const out = execFileSync(process.execPath, [...GATEWAY_NODE_FLAGS, '--require', require.resolve('tsx/cjs'), '-e', script], { encoding: 'utf8', timeout: 60_000 });
    const { before, after, main } = JSON.parse(out.trim().split('\n').pop()!);
    // 32 MB semi-spaces let a young generation grow to 67 MB; V8's own sizing stays at half that.
    expect(GATEWAY_NODE_FLAGS).toContain('--max-semi-space-size=32');
    expect(before).toBeGreaterThan(55);
    expect(after).toBeLessThan(40);
    expect(main).toBeGreaterThan(55);
  });
});
