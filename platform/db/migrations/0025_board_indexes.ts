import type { Knex } from 'knex';

/**
 * Indexes for the console pages at volume (issue #12; `npm run benchmark -- pages`, each found with
 * EXPLAIN on MariaDB 10.11):
 * - the ticket board lists open tickets oldest first: by (status, opened_at) its page of ids comes
 *   from the index instead of sorting every open ticket's row, and an engineer's by (assignee,
 *   status, opened_at);
 * - the board counts breached and at-risk tickets from their open clock rows by kind and due time,
 *   read from the index alone;
 * - home lists a person's open deadlines of one record type in due order: with the id right after
 *   the due time the index gives that order, so MariaDB no longer walks every open deadline (of
 *   every type) in due order to find a project manager's overdue ones. It replaces 0023's
 *   (status, record_type, due_at, record_id, last_rung), which it still covers.
 */
const ADDED: Array<{ table: string; columns: string[]; name: string }> = [
  { table: 'tickets', columns: ['status', 'opened_at'], name: 'tickets_board_idx' },
  { table: 'tickets', columns: ['assignee_user_id', 'status', 'opened_at'], name: 'tickets_assignee_board_idx' },
  { table: 'deadlines', columns: ['status', 'record_type', 'kind', 'due_at', 'record_id', 'last_rung'], name: 'deadlines_open_kind_idx' },
  { table: 'deadlines', columns: ['status', 'record_type', 'due_at', 'id', 'record_id', 'last_rung'], name: 'deadlines_open_type_due_idx' },
];
const REPLACED = { table: 'deadlines', columns: ['status', 'record_type', 'due_at', 'record_id', 'last_rung'], name: 'deadlines_open_type_idx' };

export async function up(knex: Knex): Promise<void> {
  for (const index of ADDED) {
    await knex.schema.alterTable(index.table, (table) => {
      table.index(index.columns, index.name);
    });
  }
  await knex.schema.alterTable(REPLACED.table, (table) => {
    table.dropIndex(REPLACED.columns, REPLACED.name);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable(REPLACED.table, (table) => {
    table.index(REPLACED.columns, REPLACED.name);
  });
  for (const index of [...ADDED].reverse()) {
    await knex.schema.alterTable(index.table, (table) => {
      table.dropIndex(index.columns, index.name);
    });
  }
}
