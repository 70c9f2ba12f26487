import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('carriers', (t) => {
    t.integer('id').primary();
    t.string('name', 120).notNullable().index();
    t.string('phone', 40);
  });
  await knex.schema.createTable('shipments', (t) => {
    t.string('id', 40).primary();
    // The order lives in the sales domain's database: no foreign key across domains.
    t.integer('order_id').notNullable().index();
    t.integer('carrier_id').notNullable().references('carriers.id');
    t.string('status', 20).notNullable();
    t.timestamp('shipped_at').notNullable();
    t.timestamp('delivered_at');
    t.decimal('freight', 12, 2).notNullable();
    t.string('tracking_number', 40);
    t.string('street', 200);
    t.string('city', 80);
    t.string('region', 80);
    t.string('postal_code', 20);
    t.string('country', 80);
    t.index(['shipped_at', 'id']);
    t.index(['freight', 'id']);
    // Lead with the filter column so filtered pages seek in keyset order.
    t.index(['carrier_id', 'shipped_at', 'id']);
    t.index(['status', 'shipped_at', 'id']);
  });
  await knex.schema.createTable('tracking_events', (t) => {
    t.string('shipment_id', 40).notNullable().references('shipments.id');
    t.integer('sequence').notNullable();
    t.timestamp('occurred_at').notNullable();
    t.string('status', 30).notNullable();
    t.string('location', 120);
    t.primary(['shipment_id', 'sequence']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['tracking_events', 'shipments', 'carriers']) {
    await knex.schema.dropTableIfExists(table);
  }
}
