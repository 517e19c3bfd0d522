import type { Knex } from 'knex';

/**
 * Money as integer minor units with its currency (domain/money.ts). A DOA case's charge moves from
 * DECIMAL(14,2) without a currency to BIGINT minor units plus an ISO-4217 code. Charges recorded
 * before were catalogue prices in yuan, so they become CNY fen.
 *
 * Portable across MySQL/MariaDB and SQLite: the copy is one UPDATE both understand.
 */

const LEGACY_CURRENCY = 'CNY';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('doa_cases', (table) => {
    table.bigInteger('charged_amount_minor').nullable();
    table.string('charged_currency', 3).nullable();
  });
  await knex('doa_cases')
    .whereNotNull('charged_amount')
    .update({ charged_amount_minor: knex.raw('ROUND(?? * 100)', ['charged_amount']), charged_currency: LEGACY_CURRENCY });
  await knex.schema.alterTable('doa_cases', (table) => {
    table.dropColumn('charged_amount');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('doa_cases', (table) => {
    table.decimal('charged_amount', 14, 2).nullable();
  });
  // Only yuan fit the old column's meaning; other currencies cannot be represented there and are dropped.
  await knex('doa_cases')
    .where({ charged_currency: LEGACY_CURRENCY })
    .whereNotNull('charged_amount_minor')
    .update({ charged_amount: knex.raw('?? / 100.0', ['charged_amount_minor']) });
  await knex.schema.alterTable('doa_cases', (table) => {
    table.dropColumn('charged_currency');
    table.dropColumn('charged_amount_minor');
  });
}
