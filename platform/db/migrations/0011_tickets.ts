import type { Knex } from 'knex';
import { EXACT, instant, oneOf, utf8mb4For } from './schema';

/**
 * P3 repair tickets and complaints: one row per ticket (what work queues and pages read) and its
 * timeline. The workflow writes `clock_state` (intake, holds, each clock's length and stop) with every
 * step, so the API shows each clock's due time, elapsed and paused time without asking the workflow.
 * No foreign keys to users (assignee): the record must outlive any change to the users table.
 */

// Snapshots of domain/ticket.ts at the time of this migration.
const KINDS = ['repair', 'complaint'];
const STATUSES = ['open', 'assigned', 'acknowledged', 'on_site', 'resolved', 'closed'];
const ENTITLEMENTS = ['warranty', 'maintenance_contract', 'out_of_scope'];

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
  await knex.schema.createTable('tickets', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('kind', 16).notNullable();
    oneOf(table, 'kind', KINDS, 'tickets_kind_check');
    table.integer('customer_id').unsigned().notNullable();
    table.integer('device_id').unsigned().nullable();
    table.string('serial', 191).nullable().collate(EXACT);
    table.string('model', 191).nullable();
    table.string('channel', 32).notNullable();
    table.text('symptom').notNullable();
    table.integer('fault_level').notNullable();
    table.string('entitlement', 32).notNullable();
    oneOf(table, 'entitlement', ENTITLEMENTS, 'tickets_entitlement_check');
    table.string('status', 32).notNullable();
    oneOf(table, 'status', STATUSES, 'tickets_status_check');
    table.boolean('on_hold').notNullable().defaultTo(false);
    table.integer('assignee_user_id').unsigned().nullable();
    table.json('contact').notNullable();
    table.json('clock_state').notNullable();
    table.json('charges').nullable();
    // Quote, backup unit, factory repair, replacement and surveys as the workflow last recorded them.
    table.json('progress').nullable();
    table.integer('repeat_of_ticket_id').unsigned().nullable();
    table.string('workflow_id', 191).nullable();
    instant(table, 'opened_at').notNullable();
    instant(table, 'resolved_at').nullable();
    instant(table, 'closed_at').nullable();
    instant(table, 'updated_at').notNullable();
    table.index(['status'], 'tickets_status_idx');
    table.index(['customer_id'], 'tickets_customer_idx');
    table.index(['assignee_user_id'], 'tickets_assignee_idx');
    table.index(['serial'], 'tickets_serial_idx');
    table.foreign('customer_id', 'tickets_customer_fk').references('id').inTable('customers');
    table.foreign('device_id', 'tickets_device_fk').references('id').inTable('devices');
  });

  await knex.schema.createTable('ticket_events', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('ticket_id').unsigned().notNullable();
    table.string('event_key', 191).notNullable().collate(EXACT);
    table.string('kind', 64).notNullable();
    instant(table, 'at').notNullable();
    table.integer('actor_user_id').unsigned().nullable();
    table.string('actor_name', 191).nullable();
    table.string('actor_role', 32).nullable();
    table.text('summary').notNullable();
    table.json('data').nullable();
    table.unique(['ticket_id', 'event_key'], { indexName: 'ticket_events_ticket_key_unique' });
    table.index(['ticket_id', 'at'], 'ticket_events_ticket_at_idx');
    table.foreign('ticket_id', 'ticket_events_ticket_fk').references('id').inTable('tickets');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('ticket_events');
  await knex.schema.dropTable('tickets');
}
