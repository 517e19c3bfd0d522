import type { Knex } from 'knex';
import { isMysql } from '../knex';
import { EXACT, instant, oneOf, rebuildSqliteTable, replaceOneOf, utf8mb4For } from './schema';

/**
 * People sign in as people (issue #21, first slice).
 *
 * - `users`: an argon2id `password_hash` (null until the person sets one), a `time_zone`, and the
 *   account's run of failed sign-ins (`failed_sign_ins`, `last_failed_sign_in_at`), which sets the
 *   delay before its next try (people/signInRules.ts). E-mails stay unique and stored lower-cased.
 * - `user_links`: invitation and password-reset links. Only the sha256 of each link's token is
 *   stored; a link is single-use (`used_at`) and ends at `expires_at`.
 * - `sign_in_failures`: one row per failed sign-in with the client address, so the limit per address
 *   holds across API processes.
 * - `console_sessions`: a session signed in with a password has no API token (`api_token_id` null),
 *   and a session ended by a new password says so (`password_changed`).
 *
 * Runs without a transaction: SQLite rebuilds console_sessions with foreign keys off.
 */
export const config = { transaction: false };

const END_REASONS_0010 = ['signed_out', 'token_revoked', 'user_deactivated'];
const END_REASONS = [...END_REASONS_0010, 'password_changed'];
export const LINK_PURPOSES = ['invitation', 'reset'] as const;

async function setTokenColumnNullable(knex: Knex, nullable: boolean): Promise<void> {
  if (isMysql(knex)) {
    await knex.raw(`ALTER TABLE console_sessions MODIFY api_token_id INT UNSIGNED ${nullable ? 'NULL' : 'NOT NULL'}`);
    return;
  }
  const [from, to] = nullable ? ['`api_token_id` integer not null', '`api_token_id` integer null'] : ['`api_token_id` integer null', '`api_token_id` integer not null'];
  await rebuildSqliteTable(knex, 'console_sessions', (sql) => {
    const edited = sql.replace(from, to);
    if (edited === sql) throw new Error(`rebuilding console_sessions: the edit changed nothing in ${sql}`);
    return edited;
  });
}

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
  await knex.schema.alterTable('users', (table) => {
    // argon2id in its PHC string form ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
    table.string('password_hash', 255).nullable();
    instant(table, 'password_changed_at').nullable();
    table.string('time_zone', 64).nullable();
    table.integer('failed_sign_ins').unsigned().notNullable().defaultTo(0);
    instant(table, 'last_failed_sign_in_at').nullable();
  });

  await knex.schema.createTable('user_links', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('user_id').unsigned().notNullable();
    table.string('purpose', 16).notNullable();
    // sha256 hex of the link's token; the token itself is only in the mail.
    table.string('token_hash', 64).notNullable().collate(EXACT);
    table.integer('created_by_user_id').unsigned().nullable();
    instant(table, 'created_at').notNullable();
    instant(table, 'expires_at').notNullable();
    instant(table, 'used_at').nullable();
    oneOf(table, 'purpose', LINK_PURPOSES, 'user_links_purpose_check');
    table.unique(['token_hash'], { indexName: 'user_links_token_hash_unique' });
    table.index(['user_id'], 'user_links_user_idx');
    table.foreign('user_id', 'user_links_user_fk').references('id').inTable('users');
  });

  await knex.schema.createTable('sign_in_failures', (table) => {
    utf8mb4(table);
    table.bigIncrements('id');
    // The client's address as Express sees it through AFTERCARE_TRUST_PROXY (an IPv6 text fits in 45).
    table.string('address', 64).notNullable();
    instant(table, 'at').notNullable();
    table.index(['address', 'at'], 'sign_in_failures_address_at_idx');
    table.index(['at'], 'sign_in_failures_at_idx');
  });

  await setTokenColumnNullable(knex, true);
  await replaceOneOf(knex, 'console_sessions', 'revoked_reason', END_REASONS, 'console_sessions_revoked_reason_check');
}

export async function down(knex: Knex): Promise<void> {
  await knex('console_sessions').whereNull('api_token_id').delete();
  await knex('console_sessions').where({ revoked_reason: 'password_changed' }).update({ revoked_reason: 'signed_out' });
  await replaceOneOf(knex, 'console_sessions', 'revoked_reason', END_REASONS_0010, 'console_sessions_revoked_reason_check');
  await setTokenColumnNullable(knex, false);
  await knex.schema.dropTableIfExists('sign_in_failures');
  await knex.schema.dropTableIfExists('user_links');
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('password_hash');
    table.dropColumn('password_changed_at');
    table.dropColumn('time_zone');
    table.dropColumn('failed_sign_ins');
    table.dropColumn('last_failed_sign_in_at');
  });
}
