import type { Knex } from 'knex';
import { instant } from './schema';

/**
 * A care follow-up's close: what was done about it (its outcome), when, and by whom
 * (`POST /api/care-plans/:id/follow-ups/:followUpId/close`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('care_follow_ups', (table) => {
    table.string('outcome', 2000).nullable();
    instant(table, 'closed_at').nullable();
    table.integer('closed_by_user_id').unsigned().nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('care_follow_ups', (table) => {
    table.dropColumn('closed_by_user_id');
    table.dropColumn('closed_at');
    table.dropColumn('outcome');
  });
}
