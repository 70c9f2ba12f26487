import DataLoader from 'dataloader';

/**
 * SQLite allows 32,766 bind parameters and PostgreSQL 65,535; stay well below both, yet above a
 * page of pages (100 × 100 keys), so the SQL a request costs does not grow with its lists.
 */
export const MAX_BATCH_SIZE = 10_000;

type Key = string | number;

/**
 * A per-request loader of one row per key. GraphQL IDs arrive as strings while database keys may
 * be numbers, so keys are compared as strings; the batch keeps key order and length.
 */
export function rowLoader<R>(fetch: (keys: readonly Key[]) => Promise<R[]>, keyOf: (row: R) => Key) {
  return new DataLoader<Key, R | null, string>(
    async (keys) => {
      const rows = await fetch(keys);
      const byKey = new Map(rows.map((row) => [String(keyOf(row)), row]));
      return keys.map((key) => byKey.get(String(key)) ?? null);
    },
    { maxBatchSize: MAX_BATCH_SIZE, cacheKeyFn: String },
  );
}

/** A per-request loader of all rows per key (a to-many relation), in the order fetched. */
export function groupLoader<R>(fetch: (keys: readonly Key[]) => Promise<R[]>, keyOf: (row: R) => Key) {
  return new DataLoader<Key, R[], string>(
    async (keys) => {
      const rows = await fetch(keys);
      const groups = new Map<string, R[]>();
      for (const row of rows) {
        const key = String(keyOf(row));
        let group = groups.get(key);
        if (!group) groups.set(key, (group = []));
        group.push(row);
      }
      return keys.map((key) => groups.get(String(key)) ?? []);
    },
    { maxBatchSize: MAX_BATCH_SIZE, cacheKeyFn: String },
  );
}

/**
 * Loaders whose batch also depends on field arguments (page size, filters): one loader per
 * distinct argument set, created on first use within the request.
 */
export function loadersByArgs<L>(create: (args: any) => L): (args: object) => L {
  const loaders = new Map<string, L>();
  return (args) => {
    const key = JSON.stringify(args);
    let loader = loaders.get(key);
    if (!loader) loaders.set(key, (loader = create(args)));
    return loader;
  };
}
