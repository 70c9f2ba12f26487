import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, monthOf, type Database } from '../../shared/db';
import { encodeCursor } from '../../shared/pagination';
import { countRows, countsPerParent, fetchPage, integerKeys, whereContains, type PageOrder } from '../../shared/sql';
import { dialects, TEST_DATABASE_URL } from '../support/db';

// PostgreSQL sessions start in a zone far from UTC (set by the URL), to show createDb pins UTC.
const FAR_ZONE = 'Pacific/Auckland';
const farZoneUrl = () => `${TEST_DATABASE_URL}${TEST_DATABASE_URL!.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c TimeZone=${FAR_ZONE}`)}`;

describe.each(dialects)('shared SQL helpers on %s', (dialect) => {
  let db: Database;
  const schema = `t_${randomBytes(4).toString('hex')}_sql`;

  beforeAll(async () => {
    db = dialect === 'postgres' ? createDb({ url: farZoneUrl(), schema }) : createDb({ sqliteFile: ':memory:' });
    if (dialect === 'postgres') await db.knex.raw('CREATE SCHEMA ??', [schema]);
    await db.knex.schema.createTable('items', (t) => {
      t.integer('id').primary();
      t.integer('parent_id').notNullable();
      t.string('name').notNullable();
      t.timestamp('at').notNullable();
    });
    await db.knex('items').insert([
      { id: 1, parent_id: 10, name: 'Tea 50% off', at: '2024-01-31T23:30:00.000Z' },
      { id: 2, parent_id: 10, name: 'Tea 500', at: '2024-02-01T00:30:00.000Z' },
      { id: 3, parent_id: 20, name: 'snake_case', at: '2024-02-29T12:00:00.000Z' },
      { id: 4, parent_id: 20, name: 'snakeXcase', at: '2024-12-31T23:59:59.999Z' },
    ]);
  });
  afterAll(async () => {
    if (dialect === 'postgres') await db?.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
    await db?.close();
  });

  it('integerKeys drops keys no integer column can hold, so the statement still runs', async () => {
    const keys = integerKeys(['1', 'abc', '1e12', 99_999_999_999, NaN, '-3', 3]);
    expect(keys).toEqual([1, 3]);
    expect((await db.knex('items').whereIn('id', keys).orderBy('id')).map((r) => r.id)).toEqual([1, 3]);
    expect(await db.knex('items').whereIn('id', integerKeys(['abc']))).toEqual([]);
  });

  it('countRows and countsPerParent count as numbers on both engines', async () => {
    expect(await countRows(db.knex('items'))).toBe(4);
    expect(await countRows(db.knex('items').where('parent_id', 99))).toBe(0);
    const counts = await countsPerParent(db.knex('items'), 'parent_id', [10, 20, 30]);
    expect([...counts].sort((a: { parent_id: number }, b: { parent_id: number }) => a.parent_id - b.parent_id)).toEqual([{ parent_id: 10, n: 2 }, { parent_id: 20, n: 2 }]);
  });

  it('whereContains matches LIKE wildcards in the text literally, ignoring case', async () => {
    const names = async (text: string) => (await whereContains(db.knex('items'), ['name'], text).orderBy('id')).map((r: { id: number }) => r.id);
    expect(await names('50%')).toEqual([1]);
    expect(await names('SNAKE_')).toEqual([3]);
    expect(await names('tea')).toEqual([1, 2]);
    expect(await names('\\')).toEqual([]);
  });

  it('refuses a cursor whose values do not fit the order before any SQL runs', async () => {
    const order: PageOrder = { column: 'at', idColumn: 'id', direction: 'asc', types: ['timestamp', 'integer'], sortKey: 'at', idKey: 'id' };
    const first = await fetchPage(db.knex('items').select('*'), order, 2);
    const next = await fetchPage(db.knex('items').select('*'), order, 2, first.pageInfo.endCursor);
    expect(next.nodes.map((r: any) => r.id)).toEqual([3, 4]);
    const before = db.statements();
    await expect(fetchPage(db.knex('items').select('*'), order, 2, encodeCursor(['2024-02-30T00:00:00Z', 1]))).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', argumentName: 'after' },
    });
    expect(db.statements()).toBe(before);
  });

  it('monthOf gives the UTC month of a timestamp, whatever zone the session would start in', async () => {
    const rows = await db.knex('items').select('id', db.knex.raw('? AS month', [monthOf(db, 'at')])).orderBy('id');
    expect(rows.map((r) => r.month)).toEqual(['2024-01', '2024-02', '2024-02', '2024-12']);
    if (dialect === 'postgres') {
      expect((await db.knex.raw('SHOW TIME ZONE')).rows[0].TimeZone).toBe('UTC');
      // Without createDb's pinning the same URL starts the session in the far zone.
      const raw = new pg.Client({ connectionString: farZoneUrl() });
      await raw.connect();
      try {
        expect((await raw.query('SHOW TIME ZONE')).rows[0].TimeZone).toBe(FAR_ZONE);
      } finally {
        await raw.end();
      }
    }
  });
});
