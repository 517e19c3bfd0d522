import type { Knex } from 'knex';

/**
 * The customer's one-to-one engineer (一对一服务, seed 000): assigned per customer by a service
 * manager; tickets are dispatched to them first and asset-care visits default to them.
 *
 * No foreign key, like the user columns of 0009: the API checks the id (an active engineer), and
 * SQLite could add one only by rebuilding `customers`, which every process's tables reference.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customers', (table) => {
    table.integer('engineer_user_id').unsigned().nullable();
    table.index(['engineer_user_id'], 'customers_engineer_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customers', (table) => {
    table.dropIndex(['engineer_user_id'], 'customers_engineer_idx');
    table.dropColumn('engineer_user_id');
  });
}
