import type { Knex } from 'knex';

/**
 * Drops `field_usage (level, time)`: no auditor query reads it (a level filter is a correlated
 * EXISTS on `event_id`, see `queryEvents`), yet every append kept it up to date, one b-tree insert
 * per field of every event: 5% of the append's cost (bench/README.md).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('field_usage', (t) => {
    t.dropIndex(['level', 'time']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('field_usage', (t) => {
    t.index(['level', 'time']);
  });
}
