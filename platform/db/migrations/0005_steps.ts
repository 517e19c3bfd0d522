import type { Knex } from 'knex';
import { EXACT, instant, oneOf, utf8mb4For } from './schema';

/**
 * The step kit's records:
 * - `deadlines`: every pending deadline of every process is a row, written when it is set and closed
 *   when it is met, moved or dropped, so pages and work queues answer from SQL at any number of open
 *   processes. Unique (workflow, key) makes the activities that write them safe to retry.
 * - `idempotency_keys`: a create answered once under an `Idempotency-Key` answers the same again.
 */

const DEADLINE_STATUSES = ['open', 'met', 'moved', 'dropped'];

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);

  await knex.schema.createTable('deadlines', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('workflow_id', 191).notNullable().collate(EXACT);
    // The workflow's name for this deadline (`weekly-report:3`, `doa:SN-1:return`).
    table.string('deadline_key', 191).notNullable().collate(EXACT);
    // What the deadline belongs to, for pages and access: ('project', 7).
    table.string('record_type', 32).notNullable();
    table.integer('record_id').unsigned().notNullable();
    table.string('kind', 64).notNullable();
    table.string('description', 500).notNullable();
    instant(table, 'due_at').notNullable();
    // The last rung of its ladder that fired (reminder, second_reminder, escalation), if any.
    table.string('last_rung', 32).nullable();
    // Computed in a year with no calendar data: weekends only until the year is loaded.
    table.boolean('provisional').notNullable().defaultTo(false);
    table.string('status', 16).notNullable();
    instant(table, 'opened_at').notNullable();
    instant(table, 'closed_at').nullable();
    table.unique(['workflow_id', 'deadline_key'], { indexName: 'deadlines_workflow_key_unique' });
    table.index(['status', 'due_at'], 'deadlines_status_due_idx');
    table.index(['record_type', 'record_id', 'status'], 'deadlines_record_idx');
    oneOf(table, 'status', DEADLINE_STATUSES, 'deadlines_status_check');
  });

  await knex.schema.createTable('idempotency_keys', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('user_id').unsigned().notNullable();
    table.string('idempotency_key', 191).notNullable().collate(EXACT);
    // `POST /api/projects` and a hash of the body: the same key with another request is refused.
    table.string('request', 191).notNullable();
    table.string('request_hash', 64).notNullable();
    // Null while the first request is still being answered.
    table.integer('status_code').nullable();
    table.json('response').nullable();
    instant(table, 'created_at').notNullable();
    table.unique(['user_id', 'idempotency_key'], { indexName: 'idempotency_keys_user_key_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('idempotency_keys');
  await knex.schema.dropTableIfExists('deadlines');
}
