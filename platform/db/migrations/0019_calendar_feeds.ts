import type { Knex } from 'knex';
import { EXACT, instant, utf8mb4For } from './schema';

/**
 * Calendar feed tokens: the read-only secret in an engineer's visits.ics URL (a calendar app cannot
 * send a bearer header). Never an API token: it reads one feed and nothing else. Only its sha256 is
 * stored; issuing a new one revokes the old, and the engineer can revoke it outright.
 */
export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
  await knex.schema.createTable('calendar_feed_tokens', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('user_id').unsigned().notNullable();
    table.string('token_hash', 64).notNullable().collate(EXACT);
    instant(table, 'created_at').notNullable();
    instant(table, 'revoked_at').nullable();
    table.unique(['token_hash'], { indexName: 'calendar_feed_tokens_hash_unique' });
    table.index(['user_id'], 'calendar_feed_tokens_user_idx');
    table.foreign('user_id', 'calendar_feed_tokens_user_fk').references('id').inTable('users');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('calendar_feed_tokens');
}
