import type { Knex } from 'knex';

/**
 * P3 ↔ P4/P5 links, recorded on both sides:
 * - a ticket opened from asset care names the care plan and the follow-up it answers (a return call's
 *   low score or unsolved problem, or a visit's finding, which gets a follow-up of reason `finding`);
 *   the follow-up names the ticket. One ticket per follow-up (unique), so two clicks open one ticket.
 * - a repair routed at intake to a dealer (三包) names the dealer task;
 * - the return call a closed repair puts on the care plan names its ticket.
 * Columns only, no foreign keys: SQLite would rebuild tickets and the care tables to add them.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (table) => {
    table.integer('care_plan_id').unsigned().nullable();
    table.integer('care_follow_up_id').unsigned().nullable();
    table.integer('dealer_task_id').unsigned().nullable();
    table.unique(['care_follow_up_id'], { indexName: 'tickets_care_follow_up_unique' });
    table.index(['care_plan_id'], 'tickets_care_plan_idx');
  });
  await knex.schema.alterTable('care_follow_ups', (table) => {
    table.integer('ticket_id').unsigned().nullable();
    // A finding's follow-up: which of the visit's findings (0-based), so each opens at most one ticket.
    table.integer('finding').unsigned().nullable();
    table.unique(['visit_id', 'finding'], { indexName: 'care_follow_ups_finding_unique' });
  });
  await knex.schema.alterTable('care_calls', (table) => {
    table.integer('ticket_id').unsigned().nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('care_calls', (table) => {
    table.dropColumn('ticket_id');
  });
  await knex.schema.alterTable('care_follow_ups', (table) => {
    table.dropUnique(['visit_id', 'finding'], 'care_follow_ups_finding_unique');
    table.dropColumn('finding');
    table.dropColumn('ticket_id');
  });
  await knex.schema.alterTable('tickets', (table) => {
    table.dropIndex(['care_plan_id'], 'tickets_care_plan_idx');
    table.dropUnique(['care_follow_up_id'], 'tickets_care_follow_up_unique');
    table.dropColumn('dealer_task_id');
    table.dropColumn('care_follow_up_id');
    table.dropColumn('care_plan_id');
  });
}
