import type { Knex } from 'knex';

const ORDER_STATUSES = ['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('customers', (t) => {
    t.string('id', 20).primary();
    t.string('company_name', 120).notNullable();
    t.string('contact_name', 120);
    t.string('contact_title', 120);
    t.string('email', 160);
    t.string('phone', 40);
    t.string('street', 200);
    t.string('city', 80);
    t.string('region', 80);
    t.string('postal_code', 20);
    t.string('country', 80).index();
    t.index(['company_name', 'id']);
  });
  await knex.schema.createTable('sales_reps', (t) => {
    t.integer('id').primary();
    t.string('first_name', 60).notNullable();
    t.string('last_name', 60).notNullable();
    t.string('title', 120);
    t.date('hire_date');
    t.date('birth_date');
    t.string('home_phone', 40);
    t.integer('reports_to').references('sales_reps.id').index();
  });
  await knex.schema.createTable('orders', (t) => {
    t.integer('id').primary();
    t.string('customer_id', 20).notNullable().references('customers.id');
    t.integer('sales_rep_id').notNullable().references('sales_reps.id');
    t.date('order_date').notNullable();
    t.date('required_date');
    t.enu('status', ORDER_STATUSES).notNullable();
    // Per-parent pages seek by (parent, order_date, id); these also serve plain lookups by parent.
    t.index(['customer_id', 'order_date', 'id']);
    t.index(['sales_rep_id', 'order_date', 'id']);
    t.index(['order_date', 'id']);
    t.index('status');
  });
  await knex.schema.createTable('order_lines', (t) => {
    t.integer('order_id').notNullable().references('orders.id');
    t.integer('line_number').notNullable();
    // Inventory's product id: another domain's key, so no foreign key.
    t.integer('product_id').notNullable().index();
    t.integer('quantity').notNullable().checkPositive();
    t.decimal('unit_price', 12, 2).notNullable();
    t.decimal('discount', 5, 4).notNullable().defaultTo(0).checkBetween([0, 1]);
    t.primary(['order_id', 'line_number']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['order_lines', 'orders', 'sales_reps', 'customers']) {
    await knex.schema.dropTableIfExists(table);
  }
}
