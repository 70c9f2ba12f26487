import { createDb, dbConfigFromEnv, migrateToLatest, rollbackAll, type Database } from '../../shared/db';
import { readNorthwind } from '../../shared/datasets/northwind';
import { migrationsOf, type Domain } from '../../shared/domain';
import { isFreshnessTable, recordDataLoad } from '../../shared/freshness';
import { MeshgateError } from '../../shared/errors';
import { domainNamed, domains } from '../../subgraphs';
import { parseFlags, UsageError } from '../args';

const importers = () => Object.values(domains).filter((d) => d.importers?.northwind);

export const help = `meshgate import northwind <dir> [domain ...]

Imports Microsoft's Northwind sample data (its CSV files and schema.json, as in
shared/datasets/northwind) into the domains that map it: ${importers().map((d) => d.name).join(', ')} (all of
them when none is named). REPLACES each such domain's data: its tables are dropped, migrated
afresh and filled with Northwind only. Prints the rows per table. Databases as for \`meshgate
seed\`: DATABASE_URL and DB_SCHEMA for PostgreSQL, else SQLite under MESHGATE_DATA_DIR (.data/).`;

/** Rows in every table of the domain's database, knex's own bookkeeping left out. */
async function rowCounts(db: Database): Promise<[string, number][]> {
  const tables: string[] =
    db.dialect === 'postgres'
      ? (await db.knex('information_schema.tables').where({ table_schema: db.schema ?? 'public', table_type: 'BASE TABLE' }).pluck('table_name'))
      : (await db.knex('sqlite_master').where('type', 'table').whereNot('name', 'like', 'sqlite_%').pluck('name'));
  const counts: [string, number][] = [];
  for (const table of tables.filter((t) => !t.startsWith('knex_migrations') && !isFreshnessTable(t)).sort()) {
    const row = await db.knex(table).count({ n: '*' }).first();
    counts.push([table, Number(row?.n ?? 0)]);
  }
  return counts;
}

function targets(names: string[]): Domain[] {
  if (names.length === 0) return importers();
  return names.map((name) => {
    const domain = domainNamed(name);
    if (!domain) throw new UsageError(`unknown domain "${name}"; one of: ${Object.keys(domains).join(', ')}`);
    if (!domain.importers?.northwind) {
      throw new UsageError(`domain "${name}" has no Northwind data; these do: ${importers().map((d) => d.name).join(', ')}`);
    }
    return domain;
  });
}

export async function run(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, {}, 'import');
  const [dataset, dir, ...names] = positionals;
  if (dataset !== 'northwind') {
    throw new UsageError(dataset === undefined ? 'name the data set: meshgate import northwind <dir>' : `unknown data set "${dataset}"; one of: northwind`);
  }
  if (!dir) throw new UsageError('give the directory of the Northwind files: meshgate import northwind <dir>');
  const chosen = targets(names);
  // Read and check every file before any database is touched: a bad data set changes nothing.
  const data = readNorthwind(dir);
  for (const domain of chosen) {
    const db = createDb(dbConfigFromEnv(domain.name));
    try {
      const started = Date.now();
      await rollbackAll(db, migrationsOf(domain));
      await migrateToLatest(db, migrationsOf(domain));
      try {
        await domain.importers!.northwind!(db, data);
        await recordDataLoad(db, 'northwind');
      } catch (err) {
        if (err instanceof MeshgateError) throw err;
        // Driver errors quote the whole INSERT; the reason is at the end.
        const message = err instanceof Error ? err.message : String(err);
        throw new MeshgateError('IMPORT_FAILED', `importing Northwind into ${domain.name} failed: ${message.length > 300 ? `…${message.slice(-300)}` : message}`);
      }
      const counts = await rowCounts(db);
      const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
      process.stdout.write(`${domain.name}: ${counts.map(([table, n]) => `${table} ${n}`).join(', ')} (${took})\n`);
    } finally {
      await db.close();
    }
  }
  return 0;
}
