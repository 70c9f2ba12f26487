import type { Knex } from 'knex';
import { decodeCursor, toConnection, type Connection } from './pagination';

export type Direction = 'asc' | 'desc';

/** A keyset order: the sort column, then the id column as tie-breaker, both in one direction. */
export interface KeysetOrder {
  column: string;
  idColumn: string;
  direction: Direction;
}

/** Adds `ORDER BY` and, after a cursor, the seek condition `(sort, id) > (…)` (or `<` descending). */
export function applyKeyset(query: Knex.QueryBuilder, order: KeysetOrder, after?: string | null): Knex.QueryBuilder {
  if (after) {
    const [value, id] = decodeCursor(after, 2);
    const op = order.direction === 'asc' ? '>' : '<';
    query.whereRaw(`(??, ??) ${op} (?, ?)`, [order.column, order.idColumn, value, id]);
  }
  return query.orderBy([
    { column: order.column, order: order.direction },
    { column: order.idColumn, order: order.direction },
  ]);
}

/** Keyset values of a row for its cursor; `sortKey`/`idKey` are the row's property names. */
export function cursorValues(row: Record<string, any>, sortKey: string, idKey: string): (string | number)[] {
  return [row[sortKey], row[idKey]];
}

/** One page of a root list: fetches `limit + 1` rows to learn whether a next page exists. */
export async function fetchPage<R extends Record<string, any>>(
  query: Knex.QueryBuilder,
  order: KeysetOrder & { sortKey: string; idKey: string },
  limit: number,
  after?: string | null,
): Promise<Connection<R>> {
  const rows: R[] = await applyKeyset(query, order, after).limit(limit + 1);
  return toConnection(rows, limit, (row) => cursorValues(row, order.sortKey, order.idKey));
}

/**
 * The first `limit + 1` rows of every parent in one statement (a window function partitioned by
 * the parent key), so a nested page of N parents costs one query, not N.
 */
export async function fetchPagesPerParent<R extends Record<string, any>>(
  knex: Knex,
  source: Knex.QueryBuilder,
  partitionColumn: string,
  order: KeysetOrder,
  limit: number,
  after?: string | null,
): Promise<R[]> {
  const inner = source.clone();
  if (after) {
    const [value, id] = decodeCursor(after, 2);
    const op = order.direction === 'asc' ? '>' : '<';
    inner.whereRaw(`(??, ??) ${op} (?, ?)`, [order.column, order.idColumn, value, id]);
  }
  const dir = order.direction === 'asc' ? 'ASC' : 'DESC';
  inner.select(
    knex.raw(`ROW_NUMBER() OVER (PARTITION BY ?? ORDER BY ?? ${dir}, ?? ${dir}) AS page_row`, [
      partitionColumn,
      order.column,
      order.idColumn,
    ]),
  );
  const rows = await knex
    .select('*')
    .from(inner.as('paged'))
    .where('page_row', '<=', limit + 1)
    .orderBy('page_row');
  return rows as R[];
}
