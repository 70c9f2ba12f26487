import BetterSqlite from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDb, type Database } from '../../shared/db';
import { PREPARED_STATEMENTS_KEPT, rowsBuiltInJs } from '../../shared/sqlite-connection';

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

// Kept statements return rows as arrays and build the objects in JS: they must be the objects
// better-sqlite3 itself builds, whatever the column names.
describe('SQLite rows built in JS', () => {
  const SETUP = `
    CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT, price REAL, "1" TEXT, "__proto__" TEXT, "with ""quote" TEXT, big INTEGER);
    CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER, name TEXT);
    INSERT INTO a VALUES (1, 'one', 1.5, 'x', 'p', 'q', 9007199254740993), (2, NULL, NULL, NULL, NULL, NULL, NULL);
    INSERT INTO b VALUES (10, 1, 'b-one'), (11, 1, 'b-two');`;
  const QUERIES = [
    'SELECT * FROM a ORDER BY id',
    'SELECT id, name, price FROM a ORDER BY id',
    // A repeated name keeps its first position and takes the last value, as in better-sqlite3.
    'SELECT a.id, a.name, b.id, b.name FROM a JOIN b ON b.a_id = a.id ORDER BY b.id',
    'SELECT "1", id FROM a ORDER BY id',
    'SELECT count(*) AS n FROM a',
    'SELECT 1 AS "__proto__", id, 2 AS "__proto__" FROM a',
  ];
  let dir: string;
  let plain: BetterSqlite.Database;
  let built: BetterSqlite.Database;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshgate-rows-'));
    plain = new BetterSqlite(path.join(dir, 'rows.sqlite'));
    plain.exec(SETUP);
    built = new BetterSqlite(path.join(dir, 'rows.sqlite'));
  });
  afterEach(() => {
    plain.close();
    built.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // Key order, own properties and the prototype (which a `__proto__` column would set, given an object).
  const same = (ours: unknown, theirs: unknown) => {
    expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
    expect(Object.getOwnPropertyDescriptors(ours)).toEqual(Object.getOwnPropertyDescriptors(theirs));
    expect(Object.getPrototypeOf(ours)).toBe(Object.getPrototypeOf(theirs));
  };

  it('all, get and iterate give the objects better-sqlite3 gives, for any column names', () => {
    for (const sql of QUERIES) {
      const ours = rowsBuiltInJs(built.prepare(sql));
      const theirs = plain.prepare(sql);
      const [oursAll, theirsAll] = [ours.all(), theirs.all()];
      expect(oursAll).toHaveLength(theirsAll.length);
      oursAll.forEach((row, i) => same(row, theirsAll[i]));
      same(ours.get(), theirs.get());
      [...ours.iterate()].forEach((row, i) => same(row, theirsAll[i]));
    }
    const byId = rowsBuiltInJs(built.prepare('SELECT name FROM a WHERE id = ?'));
    expect(byId.get(3)).toBeUndefined();
    expect(byId.all(2)).toEqual([{ name: null }]);
    // safeIntegers still applies.
    expect(rowsBuiltInJs(built.prepare('SELECT big FROM a WHERE id = 1')).safeIntegers(true).get()).toEqual({ big: 9007199254740993n });
  });

  it('a table that changes under a kept statement gives its new columns', () => {
    const ours = rowsBuiltInJs(built.prepare('SELECT * FROM b ORDER BY id'));
    expect(Object.keys(ours.get() as object)).toEqual(['id', 'a_id', 'name']);
    plain.exec("ALTER TABLE b ADD COLUMN note TEXT DEFAULT 'n'");
    same(ours.get(), plain.prepare('SELECT * FROM b ORDER BY id').get());
    plain.exec('ALTER TABLE b DROP COLUMN a_id');
    same(ours.get(), plain.prepare('SELECT * FROM b ORDER BY id').get());
  });

  it('refuses another row mode instead of handing it objects', () => {
    const ours = rowsBuiltInJs(built.prepare('SELECT id FROM a'));
    expect(() => ours.pluck()).toThrow(/row objects/);
    expect(() => ours.raw()).toThrow(/row objects/);
    expect(ours.all()).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('a schema change through the connection drops its kept statements', async () => {
    const db = createDb({ sqliteFile: path.join(dir, 'knex.sqlite') });
    try {
      await db.knex.schema.createTable('items', (t) => {
        t.integer('id').primary();
        t.string('name');
      });
      await db.knex('items').insert({ id: 1, name: 'one' });
      expect(await db.knex('items').first()).toEqual({ id: 1, name: 'one' });
      await db.knex.schema.alterTable('items', (t) => t.renameColumn('name', 'title'));
      expect(await db.knex('items').first()).toEqual({ id: 1, title: 'one' });
    } finally {
      await db.close();
    }
  });
});
