import type { Knex } from 'knex';
import { instant, utf8mb4For } from './schema';

/**
 * A record and its process start in one transaction (platform/temporal/processStarts.ts): each create
 * writes here, with its rows, what the process start needs; after the commit the process is started
 * and `started_at` set. A row still pending (a crash after the commit, a start that failed or timed
 * out) is started by the processStartReconciler run every minute.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('process_starts', (table) => {
    utf8mb4For(knex)(table);
    table.string('workflow_id', 191).primary();
    table.string('workflow_type', 64).notNullable();
    table.string('task_queue', 191).notNullable();
    table.text('input', 'longtext').notNullable();
    table.text('search_attributes').nullable();
    instant(table, 'created_at').notNullable();
    instant(table, 'started_at').nullable();
    table.index(['started_at', 'created_at'], 'process_starts_pending_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('process_starts');
}
