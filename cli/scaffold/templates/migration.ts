/** migrations/001_initial.ts: the domain's only table, with the index its keyset pages seek on. */
export const initialMigration = () => `import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('items', (t) => {
    t.integer('id').primary();
    t.string('name', 200).notNullable();
    t.text('description');
    t.timestamp('created_at').notNullable();
    // Pages are ordered by name, then id: the keyset seeks on this index.
    t.index(['name', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('items');
}
`;
