import type { Database, Migration } from './db';

/**
 * How fresh a domain's data is: every load (demo seed, data-set import, a pipeline's refresh)
 * records its time in the domain's own database, and the newest load is what the catalog holds
 * against the data product's freshness objective.
 */
const TABLE = 'meshgate_data_loads';

/** Runs after the domain's own migrations (the name sorts last), in every domain's database. */
export const DATA_LOADS_MIGRATION: Record<string, Migration> = {
  zz_meshgate_data_loads: {
    async up(knex) {
      await knex.schema.createTable(TABLE, (t) => {
        t.increments('id');
        t.string('source', 100).notNullable();
        t.timestamp('loaded_at', { useTz: true }).notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists(TABLE);
    },
  },
};

/** Tables of this module, left out where a domain's own tables are listed. */
export const isFreshnessTable = (table: string) => table === TABLE;

/** Records that data was loaded now (`source`: e.g. "demo", "northwind"). */
export async function recordDataLoad(db: Database, source: string, at = new Date()): Promise<void> {
  await db.knex(TABLE).insert({ source, loaded_at: at.toISOString() });
}

/** When the newest data was loaded, or null when nothing was ever recorded. */
export async function newestDataAt(db: Database): Promise<Date | null> {
  const row = await db.knex(TABLE).max({ at: 'loaded_at' }).first();
  return row?.at ? new Date(row.at) : null;
}
