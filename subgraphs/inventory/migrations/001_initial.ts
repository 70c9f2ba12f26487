import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('categories', (t) => {
    t.integer('id').primary();
    t.string('name', 60).notNullable();
    t.text('description');
  });
  await knex.schema.createTable('suppliers', (t) => {
    t.integer('id').primary();
    t.string('company_name', 120).notNullable().index();
    t.string('contact_name', 120);
    t.string('contact_title', 120);
    t.string('phone', 40);
    t.string('street', 200);
    t.string('city', 80);
    t.string('region', 80);
    t.string('postal_code', 20);
    t.string('country', 80);
  });
  await knex.schema.createTable('products', (t) => {
    t.integer('id').primary();
    t.string('sku', 40).notNullable().unique();
    t.string('name', 120).notNullable().index();
    t.integer('category_id').notNullable().references('categories.id').index();
    t.integer('supplier_id').notNullable().references('suppliers.id').index();
    t.string('quantity_per_unit', 60);
    t.decimal('unit_price', 12, 2).notNullable();
    t.boolean('discontinued').notNullable().defaultTo(false);
    t.index(['unit_price', 'id']);
  });
  await knex.schema.createTable('warehouses', (t) => {
    t.integer('id').primary();
    t.string('code', 10).notNullable().unique();
    t.string('name', 120).notNullable();
    t.string('city', 80).notNullable();
    t.string('country', 80).notNullable();
  });
  await knex.schema.createTable('stock_levels', (t) => {
    t.integer('product_id').notNullable().references('products.id');
    t.integer('warehouse_id').notNullable().references('warehouses.id');
    t.integer('on_hand').notNullable();
    t.integer('reserved').notNullable();
    t.integer('reorder_level').notNullable();
    t.primary(['product_id', 'warehouse_id']);
    t.index(['warehouse_id', 'product_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['stock_levels', 'warehouses', 'products', 'suppliers', 'categories']) {
    await knex.schema.dropTableIfExists(table);
  }
}
