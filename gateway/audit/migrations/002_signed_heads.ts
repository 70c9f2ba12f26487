import type { Knex } from 'knex';

/**
 * `signed_heads`: per chain, the last head the writer signed (HMAC with MESHGATE_AUDIT_KEY),
 * upserted in every append transaction. Hash chains alone cannot show that events were cut off
 * the end; a signed head can: verify reports a chain whose last event lies before its signed
 * head. One row per chain (replicas never write each other's row).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signed_heads', (t) => {
    t.string('chain', 120).primary();
    t.bigInteger('seq').notNullable();
    t.string('hash', 64).notNullable();
    t.timestamp('signed_at', { useTz: true }).notNullable();
    t.string('mac', 64).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('signed_heads');
}
