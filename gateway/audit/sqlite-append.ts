import BetterSqlite, { type Database as Sqlite } from 'better-sqlite3';
import type { Database } from '../../shared/db';
import { setUpSqliteConnection } from '../../shared/sqlite-connection';
import { extendChain, signedHead } from './chain-rows';
import { GENESIS_HASH } from './hash';
import { INDEX_TABLES } from './index-rows';
import type { AuditEvent } from './types';

/**
 * The SQLite append: the same statements and rows as the knex path, but run synchronously on
 * better-sqlite3's connection, whose statements are kept prepared (shared/sqlite-connection.ts). Through knex every
 * batch re-prepared a multi-row INSERT of a new shape and paid knex's per-query connection and
 * promise overhead for each of its ~8 statements: the dearest part of auditing a request.
 * A file-backed store runs it on a thread of its own (`sqlite-append-thread.ts`), one transaction
 * per batch; `appendSqlite` runs it on the event loop, for in-memory stores.
 * These statements bypass knex, so `Database.statements()` does not count them.
 */
/** About 1 ms of synchronous work per transaction on the benchmark machine: governed small p99 55 → 39 ms against 32. */
export const EVENTS_PER_TRANSACTION = 8;

/** On the event loop, through knex's single pooled connection (holding it keeps every other query out, as knex's transaction did). */
export async function appendSqlite(db: Database, chain: string, batch: AuditEvent[], signingKey?: string): Promise<void> {
  const client = db.knex.client;
  const conn: Sqlite = await client.acquireConnection();
  try {
    // A synchronous transaction stalls every request in flight: write a large batch as several
    // short ones, yielding in between. A retry after a partial write skips what committed (by id).
    for (let i = 0; i < batch.length; i += EVENTS_PER_TRANSACTION) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      appendInTransaction(conn, chain, batch.slice(i, i + EVENTS_PER_TRANSACTION), signingKey);
    }
  } finally {
    await client.releaseConnection(conn);
  }
}

/**
 * The append thread checkpoints every 4,000 WAL pages (16 MB), not SQLite's 1,000: a page the
 * batches keep touching (index leaves) is copied back to the file once per checkpoint, so fewer
 * checkpoints copy less (with migration 004: 160 → 149 µs CPU per `small` event in `npm run bench:audit`).
 */
const WAL_PAGES_PER_CHECKPOINT = 4_000;

/** The append thread's own write connection to a SQLite audit file (`npm run bench:audit` opens the same). */
export function openAppendConnection(file: string): Sqlite {
  // The gateway's own connection (migrations, auditor queries, prune) is another writer: wait for it, as it does for us.
  const conn = new BetterSqlite(file, { timeout: 5_000 });
  setUpSqliteConnection(conn);
  conn.pragma(`wal_autocheckpoint = ${WAL_PAGES_PER_CHECKPOINT}`);
  return conn;
}

/** Appends `batch` (normalised, distinct ids) to `chain` in one transaction on `conn`; idempotent per event id. */
export function appendInTransaction(conn: Sqlite, chain: string, batch: AuditEvent[], signingKey?: string): void {
  // IMMEDIATE: take the write lock first (waiting out another writer's); a read that later needs
  // to write fails at once with SQLITE_BUSY when another connection holds it.
  conn.transaction(() => writeBatch(conn, chain, batch, signingKey)).immediate();
}

/** One transaction's work (better-sqlite3 rolls it back if this throws). */
function writeBatch(conn: Sqlite, chain: string, batch: AuditEvent[], signingKey?: string): void {
  // Idempotent per event id: a retried batch whose earlier commit was applied writes nothing twice.
  const fresh = batch.filter((e) => conn.prepare('SELECT 1 FROM "events" WHERE "id" = ?').get(e.id) === undefined);
  if (fresh.length === 0) return;
  conn.prepare('INSERT INTO "chains" ("chain", "seq", "hash") VALUES (?, 0, ?) ON CONFLICT ("chain") DO NOTHING').run(chain, GENESIS_HASH);
  const head = conn.prepare('SELECT "seq", "hash" FROM "chains" WHERE "chain" = ?').get(chain) as { seq: number; hash: string };
  const { eventRows, index, seq, hash } = extendChain(chain, head, fresh);
  insertRows(conn, 'events', eventRows);
  for (const table of INDEX_TABLES) insertRows(conn, table, index[table]);
  conn.prepare('UPDATE "chains" SET "seq" = ?, "hash" = ? WHERE "chain" = ?').run(seq, hash, chain);
  if (signingKey) {
    const row = signedHead(chain, seq, hash, signingKey);
    conn
      .prepare('INSERT INTO "signed_heads" ("chain", "seq", "hash", "signed_at", "mac") VALUES (?, ?, ?, ?, ?) ON CONFLICT ("chain") DO UPDATE SET "seq" = excluded."seq", "hash" = excluded."hash", "signed_at" = excluded."signed_at", "mac" = excluded."mac"')
      .run(row.chain, row.seq, row.hash, row.signed_at, row.mac);
  }
}

/** Rows per INSERT: one statement run per row cost more than binding the values (8 columns × 64 stays far below SQLite's variable limit). */
const ROWS_PER_INSERT = 64;

/** Rows of one shape (the first row's columns), as multi-row INSERTs: one statement per row count, kept prepared. */
function insertRows(conn: Sqlite, table: string, rows: object[]): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const head = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const part = rows.slice(start, start + ROWS_PER_INSERT);
    const values: unknown[] = [];
    for (const row of part) {
      if (Object.keys(row).length !== columns.length) throw new Error(`audit ${table} rows differ in shape: ${Object.keys(row).join(', ')} vs ${columns.join(', ')}`);
      for (const c of columns) values.push(bindable((row as Record<string, unknown>)[c]));
    }
    conn.prepare(head + new Array(part.length).fill(tuple).join(', ')).run(values);
  }
}

/** Values as knex binds them for better-sqlite3 (undefined is NULL with useNullAsDefault). */
function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.valueOf();
  if (typeof value === 'boolean') return Number(value);
  return value;
}
