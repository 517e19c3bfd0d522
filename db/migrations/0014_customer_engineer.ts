import type { Knex } from 'knex';

/**
 * The customer's one-to-one engineer (一对一服务, seed 000): assigned per customer by a service
 * manager; tickets are dispatched to them first and asset-care visits default to them. A user who
 * leaves keeps no customers (ON DELETE SET NULL); deactivation is the usual way and keeps the row.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customers', (table) => {
    table.integer('engineer_user_id').unsigned().nullable();
    table.index(['engineer_user_id'], 'customers_engineer_idx');
    table.foreign('engineer_user_id', 'customers_engineer_fk').references('id').inTable('users').onDelete('SET NULL');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customers', (table) => {
    table.dropForeign(['engineer_user_id'], 'customers_engineer_fk');
    table.dropIndex(['engineer_user_id'], 'customers_engineer_idx');
    table.dropColumn('engineer_user_id');
  });
}
