import fs from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { MeshgateError } from './errors';
import { setUpSqliteConnection } from './sqlite-connection';

// PostgreSQL returns bigint counts and numeric money as strings, and dates as Date objects;
// both engines must hand resolvers the same JavaScript values.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (v) => new Date(v).toISOString());
pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (v) => new Date(`${v}Z`).toISOString());

export type Dialect = 'sqlite' | 'postgres';

export interface DbConfig {
  /** `postgres://…` for PostgreSQL; absent for embedded SQLite. */
  url?: string;
  /** PostgreSQL schema holding this domain's tables (isolates domains sharing one database). */
  schema?: string;
  /** SQLite file; `:memory:` for a throw-away database. */
  sqliteFile?: string;
}

/** A domain's database handle; `statements()` counts every SQL statement sent, to prove batching. */
export interface Database {
  knex: Knex;
  dialect: Dialect;
  schema?: string;
  statements(): number;
  close(): Promise<void>;
}

/** Where a domain's data lives: `DATABASE_URL` (+ `DB_SCHEMA`) for PostgreSQL, else a SQLite file. */
export function dbConfigFromEnv(domain: string, env: NodeJS.ProcessEnv = process.env): DbConfig {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, schema: env.DB_SCHEMA || schemaName(domain) };
  }
  const dataDir = env.MESHGATE_DATA_DIR || path.resolve('.data');
  return { sqliteFile: path.join(dataDir, `${domain}.sqlite`) };
}

/** PostgreSQL identifiers: `customer-experience` → `customer_experience`. */
export function schemaName(domain: string): string {
  return domain.replace(/[^a-zA-Z0-9_]/g, '_').toLowerCase();
}

// knex writes its warnings ("Acquire connection error" …) with console.log, on stdout: they go to
// stderr, where they cannot corrupt what a command prints (`meshgate check --json`, `audit export`).
const toStderr = (message: unknown) => void process.stderr.write(`knex: ${typeof message === 'string' ? message : inspect(message)}\n`);
const KNEX_LOG = { warn: toStderr, error: toStderr, deprecate: toStderr, debug: toStderr };

export function createDb(config: DbConfig): Database {
  let knex: Knex;
  let dialect: Dialect;
  if (config.url) {
    if (!/^postgres(ql)?:\/\//.test(config.url)) {
      throw new MeshgateError('CONFIG_INVALID', `DATABASE_URL must be a postgres:// URL, got a value starting "${config.url.slice(0, 11)}"`);
    }
    dialect = 'postgres';
    knex = knexFactory({
      client: 'pg',
      connection: config.url,
      log: KNEX_LOG,
      searchPath: config.schema ? [config.schema] : undefined,
      pool: {
        min: 0,
        max: 10,
        // Every session in UTC, whatever the server's or the URL's default: to_char and date
        // arithmetic on timestamptz then see the UTC day and month that SQLite's ISO strings hold.
        afterCreate(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) {
          conn.query("SET TIME ZONE 'UTC'", (err: Error | null) => done(err, conn));
        },
      },
    });
  } else {
    dialect = 'sqlite';
    const filename = config.sqliteFile ?? ':memory:';
    if (filename !== ':memory:') fs.mkdirSync(path.dirname(filename), { recursive: true });
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename },
      log: KNEX_LOG,
      useNullAsDefault: true,
      // One connection: better-sqlite3 is synchronous, and a single writer avoids SQLITE_BUSY.
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: any, done: (err: Error | null, conn: any) => void) {
          setUpSqliteConnection(conn);
          done(null, conn);
        },
      },
    });
  }
  let statements = 0;
  knex.on('query', () => {
    statements++;
  });
  return {
    knex,
    dialect,
    schema: config.schema,
    statements: () => statements,
    close: () => knex.destroy(),
  };
}

export interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** A knex migration source over an ordered name → module map (no file-system scanning). */
function migrationSource(migrations: Record<string, Migration>): Knex.MigrationSource<string> {
  return {
    getMigrations: async () => Object.keys(migrations).sort(),
    getMigrationName: (name) => name,
    getMigration: async (name) => migrations[name],
  };
}

function migratorConfig(db: Database, migrations: Record<string, Migration>): Knex.MigratorConfig {
  return { schemaName: db.dialect === 'postgres' ? db.schema : undefined, migrationSource: migrationSource(migrations) };
}

/** The domain's PostgreSQL schema must exist before knex can keep its migration table in it. */
async function ensureSchema(db: Database): Promise<void> {
  if (db.dialect === 'postgres' && db.schema) await db.knex.raw('CREATE SCHEMA IF NOT EXISTS ??', [db.schema]);
}

/** Runs a domain's migrations up to the latest. */
export async function migrateToLatest(db: Database, migrations: Record<string, Migration>): Promise<void> {
  await ensureSchema(db);
  await db.knex.migrate.latest(migratorConfig(db, migrations));
}

/** Rolls back every migration of a domain: its tables, and their data, are gone. */
export async function rollbackAll(db: Database, migrations: Record<string, Migration>): Promise<void> {
  await ensureSchema(db);
  await db.knex.migrate.rollback(migratorConfig(db, migrations), true);
}

/** Whole days between two date/timestamp columns, in the dialect's own date arithmetic. */
export function daysBetween(db: Database, from: string, to: string): Knex.Raw {
  return db.dialect === 'postgres'
    ? db.knex.raw(`(EXTRACT(EPOCH FROM (??::timestamptz - ??::timestamptz)) / 86400.0)`, [to, from])
    : db.knex.raw(`(julianday(??) - julianday(??))`, [to, from]);
}

/** The `YYYY-MM` month of a date/timestamp column, in UTC (the PostgreSQL session time zone is UTC). */
export function monthOf(db: Database, column: string): Knex.Raw {
  return db.dialect === 'postgres' ? db.knex.raw(`to_char(??, 'YYYY-MM')`, [column]) : db.knex.raw('substr(??, 1, 7)', [column]);
}

/**
 * Inserts rows in chunks inside the caller's transaction. Chunks stay under both engines' bind
 * limits, and under SQLite's 500 terms per compound SELECT (knex's multi-row insert form there).
 */
export async function insertInChunks(trx: Knex | Knex.Transaction, table: string, rows: object[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]).length;
  const isSqlite = trx.client.config.client === 'better-sqlite3';
  const chunk = Math.max(1, Math.min(Math.floor(30_000 / columns), isSqlite ? 500 : 5_000));
  for (let i = 0; i < rows.length; i += chunk) {
    await trx(table).insert(rows.slice(i, i + chunk));
  }
}
