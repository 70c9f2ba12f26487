import type { Knex } from 'knex';
import { integerKey } from './arguments';
import { decodeCursor, toConnection, type Connection, type CursorValueType } from './pagination';

export type Direction = 'asc' | 'desc';

/**
 * A keyset order: the sort column, then the id column as tie-breaker, both in one direction.
 * `types` are those of the two columns' values: a cursor whose values do not fit is refused.
 */
export interface KeysetOrder {
  column: string;
  idColumn: string;
  direction: Direction;
  types: readonly [CursorValueType, CursorValueType];
}

/** A keyset order of a root list, with the row properties its cursors are made of. */
export type PageOrder = KeysetOrder & { sortKey: string; idKey: string };

/**
 * Integer keys as the database stores them (GraphQL IDs arrive as strings). Anything no row can
 * have ("abc", NaN, 1e12) is dropped, so it matches nothing instead of failing the batch on
 * PostgreSQL, whose `integer` columns refuse it.
 */
export function integerKeys(keys: readonly unknown[]): number[] {
  return keys.map(integerKey).filter((key): key is number => key !== null);
}

/** The seek condition after a cursor: `(sort, id) > (…)`, or `<` descending; the cursor is checked first. */
function seekAfter(query: Knex.QueryBuilder, order: KeysetOrder, after?: string | null): Knex.QueryBuilder {
  if (after) {
    const [value, id] = decodeCursor(after, order.types);
    const op = order.direction === 'asc' ? '>' : '<';
    query.whereRaw(`(??, ??) ${op} (?, ?)`, [order.column, order.idColumn, value, id]);
  }
  return query;
}

/** Adds `ORDER BY` and, after a cursor, the seek condition `(sort, id) > (…)` (or `<` descending). */
export function applyKeyset(query: Knex.QueryBuilder, order: KeysetOrder, after?: string | null): Knex.QueryBuilder {
  return seekAfter(query, order, after).orderBy([
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
  order: PageOrder,
  limit: number,
  after?: string | null,
): Promise<Connection<R>> {
  const rows: R[] = await applyKeyset(query, order, after).limit(limit + 1);
  return toConnection(rows, limit, (row) => cursorValues(row, order.sortKey, order.idKey));
}

/**
 * The first `limit + 1` rows of every parent in one statement (a window function partitioned by
 * the parent key), so a nested page of N parents costs one query, not N. `source` filters rows of
 * `table`, whose (parent, id) are unique; what it selects is replaced. The window numbers keys
 * only: SQLite reads them from the (parent, sort) index alone and reads whole rows for the page's
 * rows only (86 products' 3 newest of 800 reviews: 1.5 → 1.0 ms).
 */
export async function fetchPagesPerParent<R extends Record<string, any>>(
  knex: Knex,
  source: Knex.QueryBuilder,
  table: string,
  partitionColumn: string,
  order: KeysetOrder,
  limit: number,
  after?: string | null,
): Promise<R[]> {
  const dir = order.direction === 'asc' ? 'ASC' : 'DESC';
  const keys = seekAfter(source.clone(), order, after)
    .clearSelect()
    .select(
      { page_parent: partitionColumn, page_id: order.idColumn },
      knex.raw(`ROW_NUMBER() OVER (PARTITION BY ?? ORDER BY ?? ${dir}, ?? ${dir}) AS page_row`, [partitionColumn, order.column, order.idColumn]),
    );
  const rows = await knex
    .select(`${table}.*`, 'paged.page_row')
    .from(keys.as('paged'))
    .join(table, (on) => on.on(`${table}.${partitionColumn}`, 'paged.page_parent').andOn(`${table}.${order.idColumn}`, 'paged.page_id'))
    .where('paged.page_row', '<=', limit + 1)
    .orderBy('paged.page_row');
  return rows as R[];
}

/** The number of rows a query selects, as a number on both engines (PostgreSQL counts are bigint). */
export async function countRows(query: Knex.QueryBuilder): Promise<number> {
  const row = await query.count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/**
 * How many rows each parent has, in one statement: `{ parent_id, n }` per parent with rows (the
 * `totalCount` companion of `fetchPagesPerParent`). `parentKeys` must already be the column's type.
 */
export function countsPerParent<K extends string | number>(
  query: Knex.QueryBuilder,
  parentColumn: string,
  parentKeys: readonly K[],
): Promise<{ parent_id: K; n: number }[]> {
  const counts = query.select({ parent_id: parentColumn }).count({ n: '*' }).whereIn(parentColumn, parentKeys).groupBy(parentColumn);
  return counts as unknown as Promise<{ parent_id: K; n: number }[]>;
}

/**
 * Rows where any of the columns contains the text, ignoring case: `LIKE` with the text's own `%`,
 * `_` and `\` escaped, so a search for "50%" finds exactly that.
 */
export function whereContains(query: Knex.QueryBuilder, columns: readonly string[], text: string): Knex.QueryBuilder {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return query.where((any) => {
    for (const column of columns) any.orWhereRaw(`LOWER(??) LIKE ? ESCAPE '\\'`, [column, pattern]);
  });
}
