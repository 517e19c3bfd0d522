import type { Knex } from 'knex';
import { isMysql } from '../knex';

/**
 * The kept KPI figures (migrations 0026–0028) were first kept by triggers, which MySQL 8 with binary
 * logging (the default, and every managed MySQL) and MariaDB with --log-bin refuse to an application
 * user without SUPER (error 1419, issue #20). The application now keeps them in the transaction of
 * each write (platform/db/keptFigures.ts), and 0026–0028 create no triggers; a database that ran them
 * before loses its triggers here, else each write would be kept twice (and a rollback of 0027/0028
 * would leave triggers naming dropped columns).
 *
 * Only the triggers that exist are dropped: with binary logging, DROP TRIGGER needs SUPER too, even
 * IF EXISTS of none, so a database that never had them (every database from now on) must not be
 * asked. One that has them got them from a user allowed to make them; if that user is not the one
 * migrating now, the error says what to do.
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

/** Which of the old triggers this database has. */
async function existing(knex: Knex): Promise<string[]> {
  const names = isMysql(knex)
    ? ((await knex('information_schema.triggers').where('trigger_schema', knex.raw('database()')).whereIn('trigger_name', OLD_TRIGGERS).pluck('trigger_name')) as string[])
    : ((await knex('sqlite_master').where({ type: 'trigger' }).whereIn('name', OLD_TRIGGERS).pluck('name')) as string[]);
  return OLD_TRIGGERS.filter((name) => names.includes(name));
}

export async function up(knex: Knex): Promise<void> {
  for (const name of await existing(knex)) {
    try {
      await knex.raw(`DROP TRIGGER ${name}`);
    } catch (error) {
      if ((error as { errno?: number }).errno !== 1419) throw error;
      throw new Error(
        `trigger ${name} (made by an earlier migration 0026–0028) cannot be dropped by this user while binary logging is on: ` +
          `drop the triggers ${OLD_TRIGGERS.join(', ')} as an administrator, or run this migration as one, then migrate again`,
        { cause: error },
      );
    }
  }
}

export async function down(): Promise<void> {}
