import type { Knex } from 'knex';
import { instant } from './schema';

/**
 * Dealer processes with timers (PRODUCT §P5): what the warrantyCard, dealerTask and dealerClaim
 * workflows and settlement disputes need on record.
 * - a sale remembers the device its card registered and why its warranty is not recognised;
 * - a dealer task remembers whom to tell of the arrangement (the end user) and the clerk's check;
 * - a dispute names the statement's lines it disputes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('dealer_sales', (table) => {
    table.integer('device_id').unsigned().nullable();
    table.string('warranty_reason', 500).nullable();
  });
  await knex.schema.alterTable('dealer_tasks', (table) => {
    table.string('customer_email', 191).nullable();
    table.string('customer_locale', 8).nullable();
    instant(table, 'checked_at').nullable();
    table.string('check_note', 2000).nullable();
  });
  await knex.schema.alterTable('settlements', (table) => {
    table.json('dispute_lines').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('settlements', (table) => {
    table.dropColumn('dispute_lines');
  });
  await knex.schema.alterTable('dealer_tasks', (table) => {
    table.dropColumn('customer_email');
    table.dropColumn('customer_locale');
    table.dropColumn('checked_at');
    table.dropColumn('check_note');
  });
  await knex.schema.alterTable('dealer_sales', (table) => {
    table.dropColumn('device_id');
    table.dropColumn('warranty_reason');
  });
}
