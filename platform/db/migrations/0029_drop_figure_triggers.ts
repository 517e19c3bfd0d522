import type { Knex } from 'knex';

/**
 * The kept KPI figures (migrations 0026–0028) were first kept by triggers, which MySQL 8 with binary
 * logging (the default, and every managed MySQL) and MariaDB with --log-bin refuse to create for an
 * application user without SUPER (error 1419, issue #20). The application now keeps them in the
 * transaction of each write (platform/db/keptFigures.ts), and 0026–0028 create no triggers; a
 * database that ran them before loses its triggers here, else each write would be kept twice (and a
 * rollback of 0027/0028 would leave triggers naming dropped columns). Dropping a trigger that does
 * not exist is a no-op, and needs only the TRIGGER privilege that ALL on the database includes.
 *
 * Down leaves them dropped: the application keeps the figures either way.
 */
export const OLD_TRIGGERS = [
  // 0026: ticket_figure_changes
  'tickets_figures_insert',
  'tickets_figures_update',
  'tickets_figures_delete',
  'ticket_events_figures_insert',
  'ticket_events_figures_delete',
  'deadlines_figures_insert',
  'deadlines_figures_update',
  'deadlines_figures_delete',
  'dealer_sales_figures_insert',
  'dealer_sales_figures_update',
  'dealer_sales_figures_delete',
  // 0027: claims.first_posted_at
  'ledger_entries_first_posting',
  'settlement_lines_first_posting',
  // 0028: claims.model, claim_lines.model
  'claims_model',
  'claim_lines_model',
  'dealer_sales_claim_model_insert',
  'dealer_sales_claim_model_update',
  'dealer_sales_claim_model_delete',
] as const;

export async function up(knex: Knex): Promise<void> {
  for (const name of OLD_TRIGGERS) await knex.raw(`DROP TRIGGER IF EXISTS ${name}`);
}

export async function down(): Promise<void> {}
