import { randomBytes } from 'node:crypto';
import { createDb, schemaName, type Database, type Dialect } from '../../shared/db';

/**
 * The database engines the suite runs against: SQLite always, PostgreSQL when
 * `TEST_DATABASE_URL` is set (CI sets it). Without it the PostgreSQL cases skip, saying why.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export const dialects: Dialect[] = TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

if (!TEST_DATABASE_URL && !process.env.MESHGATE_QUIET_SKIPS) {
  process.stdout.write('PostgreSQL tests skipped: TEST_DATABASE_URL is not set (CI sets postgres://postgres@127.0.0.1:5432/test)\n');
}

/** A fresh, empty database for one domain: in-memory SQLite, or a PostgreSQL schema of its own. */
export function createTestDb(dialect: Dialect, domain: string): Database {
  if (dialect === 'sqlite') return createDb({ sqliteFile: ':memory:' });
  const schema = `t_${randomBytes(4).toString('hex')}_${schemaName(domain)}`;
  const db = createDb({ url: TEST_DATABASE_URL, schema });
  const close = db.close;
  // Dropping the schema on close keeps the shared test database clean between runs.
  db.close = async () => {
    await db.knex.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
    await close();
  };
  return db;
}
