import type { Database as Sqlite } from 'better-sqlite3';
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

/**
 * knex's better-sqlite3 dialect prepares every query anew: SQLite parses and plans the same SQL
 * again for each request (a tenth of a subgraph's CPU in a profile). Here `prepare` answers a
 * statement already prepared for that SQL. Callers run each with `all`, `get` or `run`, which
 * finish before returning, so one statement never has two executions open at once.
 */
function reusePreparedStatements(conn: Sqlite): void {
  const prepare = conn.prepare.bind(conn);
  const kept = new LruMap<string, ReturnType<Sqlite['prepare']>>(PREPARED_STATEMENTS_KEPT);
  conn.prepare = ((sql: string) => {
    let statement = kept.get(sql);
    if (!statement) kept.set(sql, (statement = prepare(sql)));
    return statement;
  }) as Sqlite['prepare'];
}
