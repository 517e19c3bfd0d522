import type { Knex } from 'knex';
import { EXACT, instant, replaceOneOf } from './schema';
import { LINK_PURPOSES as LINK_PURPOSES_0032 } from './0032_people_passwords';

/**
 * API tokens are for machines (issue #21): each has a role no higher than its creator's, who made it,
 * and an expiry; user links also confirm a new e-mail address and set the first admin's password.
 *
 * - `api_tokens.expires_at`: null only for the bootstrap admin token (label `bootstrap`), which
 *   scripts rely on; every token there before gets 90 days from this migration.
 * - `api_tokens.role`: the role the token acts with (its user's, for the tokens there before).
 * - `api_tokens.created_by_user_id`: the person who made it; null for tokens older than this.
 * - `api_tokens.creation_key`: the maker's Idempotency-Key (or the console form's once-field), unique
 *   per user, so a double submit makes one token, not two.
 * - `user_links.purpose` also `setup` (the first admin) and `email_change`, whose `new_email` it carries.
 *
 * Runs without a transaction: SQLite rebuilds user_links for its CHECK with foreign keys off.
 */
export const config = { transaction: false };

export const LINK_PURPOSES = [...LINK_PURPOSES_0032, 'setup', 'email_change'] as const;

/** What the tokens there before the upgrade get: 90 days from now (the default lifetime of a new one). */
export const UPGRADE_TOKEN_VALID_MS = 90 * 86_400_000;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_tokens', (table) => {
    instant(table, 'expires_at').nullable();
    table.string('role', 32).nullable();
    table.integer('created_by_user_id').unsigned().nullable();
    table.string('creation_key', 128).nullable().collate(EXACT);
    table.unique(['user_id', 'creation_key'], { indexName: 'api_tokens_creation_key_unique' });
  });
  await knex('api_tokens').whereNot({ label: 'bootstrap' }).update({ expires_at: new Date(Date.now() + UPGRADE_TOKEN_VALID_MS) });
  await knex('api_tokens').update({ role: knex('users').select('role').where('users.id', knex.ref('api_tokens.user_id')) });

  await knex.schema.alterTable('user_links', (table) => {
    table.string('new_email', 191).nullable();
  });
  await replaceOneOf(knex, 'user_links', 'purpose', LINK_PURPOSES, 'user_links_purpose_check');
}

export async function down(knex: Knex): Promise<void> {
  await knex('user_links').whereIn('purpose', ['setup', 'email_change']).delete();
  await replaceOneOf(knex, 'user_links', 'purpose', LINK_PURPOSES_0032, 'user_links_purpose_check');
  await knex.schema.alterTable('user_links', (table) => {
    table.dropColumn('new_email');
  });
  await knex.schema.alterTable('api_tokens', (table) => {
    table.dropUnique(['user_id', 'creation_key'], 'api_tokens_creation_key_unique');
  });
  await knex.schema.alterTable('api_tokens', (table) => {
    table.dropColumn('creation_key');
    table.dropColumn('expires_at');
    table.dropColumn('role');
    table.dropColumn('created_by_user_id');
  });
}
