/**
 * A Map that keeps at most `maxEntries`: `get` marks an entry as most recently used, and a `set`
 * beyond the bound drops the least recently used. It relies on Map keeping insertion order.
 * No imports, so the audit append thread can load it alone.
 */
export class LruMap<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  set(key: K, value: V): this {
    // Replacing an entry frees its own slot first, so it never drops another.
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, value);
    return this;
  }
}
