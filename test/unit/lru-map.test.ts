import { describe, expect, it } from 'vitest';
import { LruMap } from '../../shared/lru-map';

describe('LruMap', () => {
  it('drops the least recently used entry beyond its bound; get counts as use', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    expect(map.get('a')).toBe(1);
    map.set('c', 3);
    expect(map.size).toBe(2);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe(1);
    expect(map.get('c')).toBe(3);
  });

  it('replacing an entry keeps every other one', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('a', 10);
    expect(map.size).toBe(2);
    expect(map.get('a')).toBe(10);
    expect(map.get('b')).toBe(2);
    // The replaced entry became the most recent: `a` goes first now that `b` was read after it.
    map.set('c', 3);
    expect(map.get('a')).toBeUndefined();
  });
});
