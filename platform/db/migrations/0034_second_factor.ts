import type { Knex } from 'knex';
import { EXACT, instant, replaceOneOf, utf8mb4For } from './schema';

/**
 * The second factor (issue #21): a TOTP secret per person (RFC 6238) and their recovery codes.
 *
 * - `user_second_factors`: one row per person. `secret` is the TOTP secret sealed with AES-256-GCM
 *   under a key from AFTERCARE_SECOND_FACTOR_KEY (people/secondFactor/secrets.ts), so a dump alone
 *   does not give it away; `enrolled_at` is null while the person has not yet confirmed a code;
 *   `last_step` is the last accepted 30-second step, so a code is never accepted twice;
 *   `failed_codes` and `last_failed_code_at` set the wait before the next try.
 * - `user_recovery_codes`: only the sha256 of each code, and when it was used.
 * - `console_sessions.second_factor_at`: when the session passed the second factor; a session that
 *   ended because an admin reset the factor says so (`second_factor_reset`).
 *
 * Runs without a transaction: SQLite rebuilds console_sessions to change its CHECK.
 */
export const config = { transaction: false };

const END_REASONS_0032 = ['signed_out', 'token_revoked', 'user_deactivated', 'password_changed'];
const END_REASONS = [...END_REASONS_0032, 'second_factor_reset'];

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
  await knex.schema.createTable('user_second_factors', (table) => {
    utf8mb4(table);
    table.integer('user_id').unsigned().notNullable().primary();
    // v1.<iv>.<tag>.<ciphertext>, base64url; a few hundred characters at most.
    table.string('secret', 255).notNullable().collate(EXACT);
    instant(table, 'created_at').notNullable();
    instant(table, 'enrolled_at').nullable();
    // The console session a pending enrolment's secret was shown to: another session gets a new one.
    table.integer('pending_session_id').unsigned().nullable();
    table.bigInteger('last_step').nullable();
    table.integer('failed_codes').unsigned().notNullable().defaultTo(0);
    instant(table, 'last_failed_code_at').nullable();
    table.foreign('user_id', 'user_second_factors_user_fk').references('id').inTable('users');
  });

  await knex.schema.createTable('user_recovery_codes', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('user_id').unsigned().notNullable();
    // sha256 hex of the normalized code; the code itself is shown once and never stored.
    table.string('code_hash', 64).notNullable().collate(EXACT);
    instant(table, 'created_at').notNullable();
    instant(table, 'used_at').nullable();
    table.unique(['user_id', 'code_hash'], { indexName: 'user_recovery_codes_user_hash_unique' });
    table.foreign('user_id', 'user_recovery_codes_user_fk').references('id').inTable('users');
  });

  await knex.schema.alterTable('console_sessions', (table) => {
    instant(table, 'second_factor_at').nullable();
  });
  await replaceOneOf(knex, 'console_sessions', 'revoked_reason', END_REASONS, 'console_sessions_revoked_reason_check');
}

export async function down(knex: Knex): Promise<void> {
  await knex('console_sessions').where({ revoked_reason: 'second_factor_reset' }).update({ revoked_reason: 'user_deactivated' });
  await replaceOneOf(knex, 'console_sessions', 'revoked_reason', END_REASONS_0032, 'console_sessions_revoked_reason_check');
  // Plain SQL on both: knex's SQLite drop rewrites the table's DDL, which 0032's down then cannot edit.
  await knex.raw('ALTER TABLE ?? DROP COLUMN ??', ['console_sessions', 'second_factor_at']);
  await knex.schema.dropTableIfExists('user_recovery_codes');
  await knex.schema.dropTableIfExists('user_second_factors');
}
