import type { DomainNames } from '../names';

/** data.ts: the only module of the new domain that talks SQL. */
export const dataTs = (n: DomainNames) => `import type { Database } from '../../shared/db';
import type { Connection } from '../../shared/pagination';
import { countRows, fetchPage, integerKeys, type PageOrder } from '../../shared/sql';

// The only module of the ${n.domain} domain that talks SQL. Rows keep the database's snake_case.

export interface ItemRow {
  id: number;
  name: string;
  description: string | null;
  /** ISO 8601 timestamp on both engines (shared/db.ts parses PostgreSQL's). */
  created_at: string;
}

const BY_NAME: PageOrder = { column: 'name', idColumn: 'id', direction: 'asc', types: ['string', 'integer'], sortKey: 'name', idKey: 'id' };

/** One page of items by name (keyset pagination: no OFFSET scan). */
export async function itemPage(db: Database, first: number, after?: string | null): Promise<Connection<ItemRow>> {
  return fetchPage<ItemRow>(db.knex('items').select('*'), BY_NAME, first, after);
}

export async function countItems(db: Database): Promise<number> {
  return countRows(db.knex('items'));
}

/** Items by id, in one statement for the whole batch (the loader restores key order). */
export async function itemsByIds(db: Database, ids: readonly (string | number)[]): Promise<ItemRow[]> {
  return db.knex('items').whereIn('id', integerKeys(ids));
}

export async function hasAnyData(db: Database): Promise<boolean> {
  return (await db.knex('items').select('id').first()) !== undefined;
}
`;
