import type { Knex } from 'knex';

/**
 * Notices that can never be sent (a template that does not render, a bad address, a permanent SMTP
 * refusal) are kept as `status = 'failed'` rows with the reason in `last_error`, so service managers
 * see them and the process that asked goes on. A notice may name the record it is about, so the
 * failure also shows on that record's timeline. See notices/outbox.ts.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notice_outbox', (table) => {
    table.datetime('failed_at', { precision: 3 }).nullable();
    table.string('record_type', 32).nullable();
    table.integer('record_id').nullable();
    // GET /api/notices/failed reads failed rows newest first.
    table.index(['status', 'failed_at'], 'notice_outbox_status_failed_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notice_outbox', (table) => {
    table.dropIndex(['status', 'failed_at'], 'notice_outbox_status_failed_index');
  });
  await knex.schema.alterTable('notice_outbox', (table) => {
    table.dropColumn('failed_at');
    table.dropColumn('record_type');
    table.dropColumn('record_id');
  });
}
