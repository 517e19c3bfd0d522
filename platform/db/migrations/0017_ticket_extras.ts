import type { Knex } from 'knex';
import { EXACT, instant, utf8mb4For } from './schema';

/**
 * P3 extras: the survey links sent to a customer when a ticket closes. Only the sha256 of a link's
 * random token is kept (the raw token is in the mail alone), with who it went to, in which language
 * and until when it is good. Several rows may exist for one ticket, round and recipient (a retried
 * send draws a new token before its mail is stored); any of them answers the same survey once.
 */
export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
  await knex.schema.createTable('ticket_survey_links', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('ticket_id').unsigned().notNullable();
    // The n-th close of the ticket (0 before any reopen): each close asks anew.
    table.integer('round').unsigned().notNullable();
    table.string('email', 191).notNullable();
    table.string('name', 191).notNullable();
    table.string('locale', 8).notNullable();
    table.string('token_hash', 64).notNullable().collate(EXACT);
    instant(table, 'expires_at').notNullable();
    instant(table, 'used_at').nullable();
    instant(table, 'created_at').notNullable();
    table.unique(['token_hash'], { indexName: 'ticket_survey_links_token_unique' });
    table.index(['ticket_id', 'round'], 'ticket_survey_links_ticket_idx');
    table.foreign('ticket_id', 'ticket_survey_links_ticket_fk').references('id').inTable('tickets');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ticket_survey_links');
}
