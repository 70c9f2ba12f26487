import type { Knex } from 'knex';

// Products, customers and orders belong to other domains: their ids are kept without foreign keys.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('reviews', (t) => {
    t.integer('id').primary();
    t.integer('product_id').notNullable();
    t.string('customer_id', 20).notNullable();
    t.integer('order_id');
    t.integer('rating').notNullable().checkBetween([1, 5]);
    t.string('title', 120);
    t.text('body');
    t.timestamp('created_at').notNullable().index();
    t.index(['product_id', 'created_at']);
    t.index(['customer_id', 'created_at']);
    t.index('order_id');
  });
  await knex.schema.createTable('support_tickets', (t) => {
    t.integer('id').primary();
    t.string('customer_id', 20).notNullable();
    t.integer('order_id').index();
    t.string('subject', 200).notNullable();
    t.enu('channel', ['EMAIL', 'PHONE', 'CHAT']).notNullable();
    t.enu('priority', ['LOW', 'NORMAL', 'HIGH', 'URGENT']).notNullable();
    t.enu('status', ['OPEN', 'IN_PROGRESS', 'RESOLVED', 'CLOSED']).notNullable().index();
    t.timestamp('opened_at').notNullable().index();
    t.timestamp('closed_at').index();
    t.integer('satisfaction_score').checkBetween([1, 5]);
    t.index(['customer_id', 'opened_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['support_tickets', 'reviews']) {
    await knex.schema.dropTableIfExists(table);
  }
}
