import type { Knex } from 'knex';

/**
 * Indexes the console's pages and KPI queries need at volume (10,000 projects, 100,000 tickets,
 * 100,000 claim lines; `npm run benchmark -- pages`), each found with EXPLAIN:
 * - a project manager's queue counts its stages from the index alone;
 * - first-time fix asks, per resolved ticket, whether a later one repeats it: without an index on
 *   repeat_of_ticket_id that is a scan of every ticket per ticket;
 * - ticket KPIs read the tickets opened in a period;
 * - claim approval reads the lines decided in a period.
 */
const INDEXES: Array<{ table: string; columns: string[]; name: string }> = [
  { table: 'projects', columns: ['project_manager_user_id', 'stage'], name: 'projects_pm_stage_idx' },
  { table: 'tickets', columns: ['repeat_of_ticket_id'], name: 'tickets_repeat_of_idx' },
  { table: 'tickets', columns: ['opened_at'], name: 'tickets_opened_idx' },
  { table: 'claim_lines', columns: ['status', 'decided_at'], name: 'claim_lines_status_decided_idx' },
];

export async function up(knex: Knex): Promise<void> {
  for (const index of INDEXES) {
    await knex.schema.alterTable(index.table, (table) => {
      table.index(index.columns, index.name);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const index of [...INDEXES].reverse()) {
    await knex.schema.alterTable(index.table, (table) => {
      table.dropIndex(index.columns, index.name);
    });
  }
}
