import type { Knex } from 'knex';
import { EXACT, instant, oneOf, utf8mb4For } from './schema';

/**
 * Console sessions: one row per browser sign-in. The cookie holds a random session id; only its
 * sha256 is stored, so a leaked table signs nobody in. A session remembers the API token it was
 * opened with, so revoking that token (or deactivating its user) ends the session too.
 *
 * Same portability rules as 0001_core: instants as DATETIME(3) in UTC set by the code, indexed
 * strings ≤ 191 chars, named constraints, binary collation for the hash.
 */

// Why a session ended; a snapshot of domain/consoleSession.ts at the time of this migration.
const END_REASONS = ['signed_out', 'token_revoked', 'user_deactivated'];

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
  await knex.schema.createTable('console_sessions', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('session_hash', 64).notNullable().collate(EXACT);
    table.integer('user_id').unsigned().notNullable();
    table.integer('api_token_id').unsigned().notNullable();
    instant(table, 'created_at').notNullable();
    instant(table, 'last_seen_at').notNullable();
    instant(table, 'revoked_at').nullable();
    table.string('revoked_reason', 32).nullable();
    oneOf(table, 'revoked_reason', END_REASONS, 'console_sessions_revoked_reason_check');
    table.unique(['session_hash'], { indexName: 'console_sessions_hash_unique' });
    table.index(['user_id'], 'console_sessions_user_idx');
    table.index(['api_token_id'], 'console_sessions_token_idx');
    table.index(['created_at'], 'console_sessions_created_idx');
    table.foreign('user_id', 'console_sessions_user_fk').references('id').inTable('users');
    table.foreign('api_token_id', 'console_sessions_token_fk').references('id').inTable('api_tokens');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('console_sessions');
}
