import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_HEAP_GROWTH_PERCENT, heapGrowthPercentFromEnv, limitHeapGrowth } from '../../gateway/heap-growth';
import { cli } from '../support/cli';

// What the setting does to memory is measured in the benchmark (bench/README.md): V8's own
// growth policy varies from run to run, so a timed allocation test here would be flaky.

describe('heap growth of a gateway process', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('reads MESHGATE_HEAP_GROWTH_PERCENT: 0 (V8 own policy) by default, 10 to 400 to bound it, anything else refused', () => {
    expect(heapGrowthPercentFromEnv({})).toBe(DEFAULT_HEAP_GROWTH_PERCENT);
    expect(DEFAULT_HEAP_GROWTH_PERCENT).toBe(0);
    expect(heapGrowthPercentFromEnv({ MESHGATE_HEAP_GROWTH_PERCENT: '0' })).toBe(0);
    expect(heapGrowthPercentFromEnv({ MESHGATE_HEAP_GROWTH_PERCENT: '100' })).toBe(100);
    expect(heapGrowthPercentFromEnv({ MESHGATE_HEAP_GROWTH_PERCENT: '50' })).toBe(50);
    for (const bad of ['abc', '5', '401', '1.5', '-100']) {
      expect(() => heapGrowthPercentFromEnv({ MESHGATE_HEAP_GROWTH_PERCENT: bad })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });

  it('sets V8 heap growing percent, and leaves V8 alone at 0', () => {
    const setFlags = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    limitHeapGrowth(100);
    expect(setFlags).toHaveBeenCalledWith('--heap-growing-percent=100');
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
});
