import type { Knex } from 'knex';

/**
 * A failed sign-in also keeps the sha256 of the e-mail it tried, so the delay after repeated wrong
 * passwords runs per e-mail whether or not an account has it: an address with an account and one
 * without answer alike, and nobody learns which addresses have accounts. (`users.failed_sign_ins`
 * and `last_failed_sign_in_at` from 0032 are no longer read; they stay to spare SQLite a rebuild of
 * the users table.)
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sign_in_failures', (table) => {
    table.string('email_hash', 64).nullable();
    table.index(['email_hash', 'at'], 'sign_in_failures_email_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sign_in_failures', (table) => {
    table.dropIndex(['email_hash', 'at'], 'sign_in_failures_email_at_idx');
    table.dropColumn('email_hash');
  });
}
