import type { Knex } from 'knex';
import { instant, utf8mb4For } from './schema';

/**
 * Dealer processes with timers (PRODUCT §P5): what the warrantyCard, dealerTask and dealerClaim
 * workflows and the parts plan need on record.
 * - a sale remembers the device its card registered and why its warranty is not recognised;
 * - a dealer task remembers whom to tell of the arrangement (the end user) and the clerk's check;
 * - a dispute names the statement's lines it disputes;
 * - sales seasons are reference data; each dealer's parts plan per season and year is a row, unique,
 *   so a plan is due (and chased) once.
 */
export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
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
  await knex.schema.createTable('sales_seasons', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('name', 191).notNullable();
    /** The season's first day, MM-DD, every year. */
    table.string('starts_on', 5).notNullable();
    table.unique(['name'], { indexName: 'sales_seasons_name_unique' });
  });
  await knex.schema.createTable('dealer_parts_plans', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('dealer_id').unsigned().notNullable();
    table.integer('season_id').unsigned().notNullable().references('id').inTable('sales_seasons');
    /** The season's start date (YYYY-MM-DD) the plan is for. */
    table.string('season_start', 10).notNullable();
    table.string('due_on', 10).notNullable();
    table.json('plan').nullable();
    instant(table, 'submitted_at').nullable();
    table.unique(['dealer_id', 'season_id', 'season_start'], { indexName: 'dealer_parts_plans_once' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dealer_parts_plans');
  await knex.schema.dropTable('sales_seasons');
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
