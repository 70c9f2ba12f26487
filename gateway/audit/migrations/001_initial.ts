import type { Knex } from 'knex';

/**
 * The audit store. `events` is the hash-chained, append-only record (one row per operation);
 * `field_usage` and `entity_keys` are query indexes derived from each event's `fields` and
 * written in the same transaction. `chains` holds each chain's head (last seq + hash) and is the
 * row appends lock; `checkpoints` holds the signed retention checkpoints `prune` writes.
 *
 * Times are `timestamptz` on PostgreSQL and ISO 8601 text (always `toISOString()`, so they sort)
 * on SQLite. JSON columns are text: the hash is computed over what is read back.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('events', (t) => {
    t.string('id', 64).primary();
    t.string('chain', 120).notNullable();
    t.bigInteger('seq').notNullable();
    t.timestamp('time', { useTz: true }).notNullable();
    t.string('request_id', 200).notNullable();
    t.string('subject', 200);
    t.text('roles').notNullable();
    t.string('client_name', 200);
    t.string('client_version', 200);
    t.string('purpose', 200);
    t.string('operation_name', 200);
    t.text('operation_signature');
    t.string('operation_hash', 128);
    t.text('subgraphs').notNullable();
    t.string('outcome', 20).notNullable();
    t.text('error_codes').notNullable();
    t.double('latency_ms').notNullable();
    t.text('fields').notNullable();
    t.string('prev_hash', 64).notNullable();
    t.string('hash', 64).notNullable();
    t.unique(['chain', 'seq']);
    t.index(['time', 'id']);
    t.index(['subject', 'time']);
    t.index(['client_name', 'time']);
  });
  await knex.schema.createTable('field_usage', (t) => {
    t.string('event_id', 64).notNullable().index();
    t.timestamp('time', { useTz: true }).notNullable();
    t.string('coordinate', 300).notNullable();
    t.string('level', 20).notNullable();
    t.string('category', 20);
    t.string('decision', 10).notNullable();
    t.integer('value_count').notNullable();
    t.string('client_name', 200);
    t.index(['coordinate', 'time']);
    t.index(['level', 'time']);
    t.index(['time', 'coordinate']);
  });
  await knex.schema.createTable('entity_keys', (t) => {
    t.string('entity_key', 200).notNullable();
    t.string('coordinate', 300).notNullable();
    t.string('event_id', 64).notNullable().index();
    t.timestamp('time', { useTz: true }).notNullable();
    t.string('subject', 200);
    t.index(['entity_key', 'time']);
  });
  await knex.schema.createTable('chains', (t) => {
    t.string('chain', 120).primary();
    t.bigInteger('seq').notNullable();
    t.string('hash', 64).notNullable();
  });
  await knex.schema.createTable('checkpoints', (t) => {
    t.string('chain', 120).notNullable();
    t.bigInteger('seq').notNullable();
    t.string('hash', 64).notNullable();
    t.timestamp('pruned_before', { useTz: true }).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.string('mac', 64).notNullable();
    t.primary(['chain', 'seq']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['checkpoints', 'chains', 'entity_keys', 'field_usage', 'events']) await knex.schema.dropTableIfExists(table);
}
