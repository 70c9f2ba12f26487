import type { Database as Sqlite, Statement } from 'better-sqlite3';
import { LruMap } from './lru-map';

// Every SQLite connection of ours is set up here: knex's pool (shared/db.ts) and the audit append
// thread's own connection. No knex or pg import, so the thread loads only what it needs.

/** Statements kept prepared per SQLite connection, by SQL text (least recently used dropped first). */
export const PREPARED_STATEMENTS_KEPT = 500;

/** WAL (readers never wait for the writer), NORMAL sync (no fsync per commit), foreign keys, kept statements. */
export function setUpSqliteConnection(conn: Sqlite): void {
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = NORMAL');
  conn.pragma('foreign_keys = ON');
  reusePreparedStatements(conn);
}

/** A statement that changes the schema: kept statements may then return other columns. */
const SCHEMA_CHANGE = /^\s*(create|alter|drop)\s/i;

/**
 * knex's better-sqlite3 dialect prepares every query anew: SQLite parses and plans the same SQL
 * again for each request (a tenth of a subgraph's CPU in a profile). Here `prepare` answers a
 * statement already prepared for that SQL, its rows built in JS (`rowsBuiltInJs`). Callers run
 * each with `all`, `get` or `run`, which finish before returning, so one statement never has two
 * executions open at once.
 */
function reusePreparedStatements(conn: Sqlite): void {
  const prepare = conn.prepare.bind(conn);
  const kept = new LruMap<string, Statement>(PREPARED_STATEMENTS_KEPT);
  conn.prepare = ((sql: string) => {
    if (SCHEMA_CHANGE.test(sql)) kept.clear();
    let statement = kept.get(sql);
    if (!statement) kept.set(sql, (statement = rowsBuiltInJs(prepare(sql))));
    return statement;
  }) as Sqlite['prepare'];
}

/**
 * better-sqlite3 builds a row object in C++, setting one property at a time: on the subgraphs'
 * batched reads that was a third of each statement's time. Here a reader returns its rows as
 * arrays and a constructor compiled once per column list (an object literal) builds the objects,
 * 30% faster, all of one hidden class. Same objects: own properties in column order, a repeated
 * name keeping its first position and last value. A row of another width (the table changed
 * under a kept statement) recompiles the constructor.
 */
export function rowsBuiltInJs<S extends Statement>(statement: S): S {
  if (!statement.reader) return statement;
  // Compiled on the first row, and again for a row of another width.
  let width = -1;
  let build: RowBuilder = () => ({});
  const toObject = (values: unknown[]): Record<string, unknown> => {
    if (values.length !== width) {
      build = rowBuilder(statement);
      width = values.length;
    }
    return build(values);
  };
  statement.raw(true);
  const all = statement.all.bind(statement);
  const get = statement.get.bind(statement);
  const iterate = statement.iterate.bind(statement);
  Object.assign(statement, {
    all: (...params: unknown[]) => {
      const rows = all(...params) as unknown[][];
      const objects = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) objects[i] = toObject(rows[i]);
      return objects;
    },
    get: (...params: unknown[]) => {
      const row = get(...params) as unknown[] | undefined;
      return row === undefined ? undefined : toObject(row);
    },
    *iterate(...params: unknown[]) {
      for (const row of iterate(...params) as IterableIterator<unknown[]>) yield toObject(row);
    },
    // Another row mode would hand its values to the object builder above.
    raw: fixedMode,
    pluck: fixedMode,
    expand: fixedMode,
  });
  return statement;
}

function fixedMode(): never {
  throw new TypeError('a kept SQLite statement returns row objects: prepare it apart for another row mode');
}

type RowBuilder = (values: unknown[]) => Record<string, unknown>;

function rowBuilder(statement: Statement): RowBuilder {
  const names = statement.columns().map((c) => c.name);
  // A `__proto__` key sets the prototype, as better-sqlite3's own objects do, and may appear
  // only once in a literal: its last column is the one that counts either way.
  const last = names.lastIndexOf('__proto__');
  // JSON.stringify quotes each name: any SQL column name is a safe literal key.
  const entries = names.flatMap((name, i) => (name === '__proto__' && i !== last ? [] : [`${JSON.stringify(name)}: v[${i}]`]));
  return new Function('v', `return { ${entries.join(', ')} };`) as RowBuilder;
}
