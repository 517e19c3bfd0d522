import type { Knex } from 'knex';

/**
 * Timeline entries, follow-ups and deadlines keep what they say as words (a catalogue key and its
 * arguments, domain/words.ts), so each reader sees them in their own language. `summary` and
 * `description` stay: rows written before this migration have only them, and they keep an English
 * line for exports and logs.
 */
const TABLES = ['project_events', 'ticket_events', 'care_plan_events', 'care_follow_ups', 'deadlines'] as const;

export async function up(knex: Knex): Promise<void> {
  for (const name of TABLES) {
    await knex.schema.alterTable(name, (table) => {
      table.json('words').nullable();
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const name of TABLES) {
    await knex.schema.alterTable(name, (table) => {
      table.dropColumn('words');
    });
  }
}
