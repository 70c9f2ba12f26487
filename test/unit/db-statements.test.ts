import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Database } from '../../shared/db';
import { PREPARED_STATEMENTS_KEPT } from '../../shared/sqlite-connection';

// knex's better-sqlite3 dialect calls `prepare` for every query; shared/db.ts keeps statements.
describe('SQLite statements prepared once per connection', () => {
  let db: Database;
  beforeEach(async () => {
    db = createDb({ sqliteFile: ':memory:' });
    await db.knex.schema.createTable('items', (t) => {
      t.integer('id').primary();
      t.string('name');
    });
    await db.knex('items').insert([1, 2, 3].map((id) => ({ id, name: `item ${id}` })));
  });
  afterEach(() => db.close());

  it('runs the same SQL with other bindings on the statement prepared the first time, with the right rows', async () => {
    const conn: any = await db.knex.client.acquireConnection();
    await db.knex.client.releaseConnection(conn);
    // What knex's queries get from `prepare`, by SQL text.
    const handed = new Map<string, Set<unknown>>();
    const prepare = conn.prepare;
    conn.prepare = (sql: string) => {
      const statement = prepare(sql);
      handed.set(sql, (handed.get(sql) ?? new Set()).add(statement));
      return statement;
    };
    try {
      for (const id of [1, 2, 3, 2]) expect(await db.knex('items').where({ id }).first('name')).toEqual({ name: `item ${id}` });
      // A write and a read of the same table through kept statements see each other.
      await db.knex('items').where({ id: 2 }).update({ name: 'renamed' });
      await db.knex('items').where({ id: 2 }).update({ name: 'renamed again' });
      expect(await db.knex('items').where({ id: 2 }).first('name')).toEqual({ name: 'renamed again' });
      const select = [...handed.keys()].find((sql) => sql.startsWith('select'))!;
      const update = [...handed.keys()].find((sql) => sql.startsWith('update'))!;
      expect(handed.get(select)!.size).toBe(1);
      expect(handed.get(update)!.size).toBe(1);
    } finally {
      conn.prepare = prepare;
    }
  });

  it(`keeps at most ${PREPARED_STATEMENTS_KEPT} statements, dropping the least recently used`, async () => {
    const conn: any = await db.knex.client.acquireConnection();
    await db.knex.client.releaseConnection(conn);
    const first = conn.prepare('SELECT 0 AS n');
    expect(conn.prepare('SELECT 0 AS n')).toBe(first);
    for (let i = 1; i <= PREPARED_STATEMENTS_KEPT; i++) conn.prepare(`SELECT ${i} AS n`);
    // 'SELECT 0' was the least recently used: dropped, so prepared anew.
    expect(conn.prepare('SELECT 0 AS n')).not.toBe(first);
    expect(conn.prepare(`SELECT ${PREPARED_STATEMENTS_KEPT} AS n`).get()).toEqual({ n: PREPARED_STATEMENTS_KEPT });
  });
});
