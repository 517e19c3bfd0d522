import type { Knex } from 'knex';

/**
 * Indexes the console's pages and KPI queries need at volume (10,000 projects, 100,000 tickets,
 * 100,000 claim lines; `npm run benchmark -- pages`), each found with EXPLAIN on MariaDB:
 * - home counts its sections in one pass over a person's open deadlines: from the index alone by
 *   record type, and the escalated / warning sections find their rows by rung instead of scanning
 *   every open deadline in due order;
 * - a project manager's queue counts its stages from the index alone;
 * - first-time fix asks, per resolved ticket, whether a later one repeats it (without an index on
 *   repeat_of_ticket_id, a scan of every ticket per ticket), how often it was reopened and visited
 *   (events by ticket and kind), and its clocks' rows by record and kind, all from indexes;
 * - ticket KPIs read the tickets opened in a period with the columns they filter and group by, not
 *   the rows with their JSON;
 * - claim approval reads the lines decided in a period, days to settle the postings of a period.
 */
const INDEXES: Array<{ table: string; columns: string[]; name: string }> = [
  { table: 'deadlines', columns: ['status', 'record_type', 'due_at', 'record_id', 'last_rung'], name: 'deadlines_open_type_idx' },
  { table: 'deadlines', columns: ['status', 'last_rung', 'due_at'], name: 'deadlines_open_rung_idx' },
  { table: 'deadlines', columns: ['record_type', 'record_id', 'kind', 'status', 'last_rung'], name: 'deadlines_record_kind_idx' },
  { table: 'projects', columns: ['project_manager_user_id', 'stage'], name: 'projects_pm_stage_idx' },
  { table: 'tickets', columns: ['repeat_of_ticket_id'], name: 'tickets_repeat_of_idx' },
  { table: 'tickets', columns: ['opened_at', 'kind', 'resolved_at', 'closed_at', 'assignee_user_id', 'model', 'serial'], name: 'tickets_kpi_idx' },
  { table: 'ticket_events', columns: ['ticket_id', 'kind'], name: 'ticket_events_ticket_kind_idx' },
  { table: 'claim_lines', columns: ['status', 'decided_at', 'dealer_id', 'claim_id'], name: 'claim_lines_decided_idx' },
  { table: 'ledger_entries', columns: ['posted_at', 'settlement_id'], name: 'ledger_entries_posted_idx' },
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
