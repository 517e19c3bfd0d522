import type { Knex } from 'knex';

/**
 * The notice outbox: one row per notice, keyed by the caller's idempotency key, so a retried
 * activity finds its row instead of sending again. See notices/outbox.ts.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notice_outbox', (table) => {
    table.increments('id');
    // 191 chars keeps the utf8mb4 unique index within old InnoDB limits; binary collation makes
    // MySQL compare keys case-sensitively, as SQLite does (ignored on SQLite).
    table.string('idempotency_key', 191).notNullable().collate('utf8mb4_bin').unique('notice_outbox_idempotency_key_unique');
    table.string('template', 64).notNullable();
    table.string('locale', 8).notNullable(); // 'zh-CN' | 'en'
    table.string('to_email', 254).notNullable();
    table.string('to_name', 191).nullable();
    table.string('subject', 500).notNullable();
    table.text('html', 'longtext').notNullable();
    table.text('text', 'longtext').notNullable();
    table.json('context').notNullable();
    table.string('status', 16).notNullable().defaultTo('pending'); // 'pending' | 'sent'
    table.integer('attempts').notNullable().defaultTo(0);
    table.text('last_error').nullable();
    table.string('message_id', 320).nullable();
    // A sender's lease while it talks to the SMTP server, so two workers never send the same row at once.
    table.datetime('claimed_until', { precision: 3 }).nullable();
    table.datetime('created_at', { precision: 3 }).notNullable();
    table.datetime('sent_at', { precision: 3 }).nullable();
    table.index(['status', 'id'], 'notice_outbox_status_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('notice_outbox');
}
