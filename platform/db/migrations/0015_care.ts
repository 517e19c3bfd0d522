import type { Knex } from 'knex';
import { EXACT, instant, oneOf, utf8mb4For } from './schema';

/**
 * P4 asset care: one plan per site (or project) with the devices it covers, the visits and calls it
 * materializes a fortnight ahead (one row each, what work queues and pages read), every attempt at a
 * call, the follow-ups a low score or an unsolved problem opens for the service manager, and the
 * plan's timeline. The workflow writes each row in the same transaction as the event that made it.
 * No foreign keys to users (assignees): records outlive changes to the users table.
 * A contact's `wrong_number_at` marks it for correction (PATCH /customers/:id/contacts/:contactId).
 */

// Snapshots of domain/care.ts at the time of this migration.
const PLAN_STATUSES = ['active', 'ended'];
const VISIT_KINDS = ['inspection', 'free_maintenance', 'contract_visit', 'extra'];
const VISIT_STATUSES = ['due', 'done', 'skipped', 'cancelled'];
const CALL_STATUSES = ['due', 'done', 'unreached', 'cancelled'];
const ATTEMPT_OUTCOMES = ['reached', 'no_answer', 'wrong_number'];
const FOLLOW_UP_REASONS = ['low_score', 'unsolved_problem', 'unreached', 'finding'];
const FOLLOW_UP_STATUSES = ['open', 'closed'];
const CUSTOMER_CLASSES = ['key', 'long_term', 'regular'];

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);

  await knex.schema.createTable('care_plans', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('customer_id').unsigned().notNullable();
    table.integer('site_id').unsigned().nullable();
    table.integer('project_id').unsigned().nullable();
    table.string('status', 16).notNullable();
    oneOf(table, 'status', PLAN_STATUSES, 'care_plans_status_check');
    table.string('customer_class', 16).notNullable();
    oneOf(table, 'customer_class', CUSTOMER_CLASSES, 'care_plans_customer_class_check');
    // Ages count from here: final acceptance, or the sale for a device that came without a project.
    instant(table, 'anchor_at').notNullable();
    instant(table, 'warranty_ends_at').nullable();
    table.json('policy').notNullable();
    // Maintenance contracts as the workflow last recorded them (id, start, end, visits a year).
    table.json('contracts').notNullable();
    table.string('end_reason', 500).nullable();
    instant(table, 'ended_at').nullable();
    table.string('workflow_id', 191).notNullable().collate(EXACT);
    instant(table, 'created_at').notNullable();
    instant(table, 'updated_at').notNullable();
    table.unique(['workflow_id'], { indexName: 'care_plans_workflow_unique' });
    // At most one plan per project (the plan started at handover).
    table.unique(['project_id'], { indexName: 'care_plans_project_unique' });
    table.index(['customer_id'], 'care_plans_customer_idx');
    table.index(['status'], 'care_plans_status_idx');
    table.foreign('customer_id', 'care_plans_customer_fk').references('id').inTable('customers');
    table.foreign('site_id', 'care_plans_site_fk').references('id').inTable('sites');
    table.foreign('project_id', 'care_plans_project_fk').references('id').inTable('projects');
  });

  await knex.schema.createTable('care_plan_devices', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('plan_id').unsigned().notNullable();
    table.integer('device_id').unsigned().notNullable();
    table.unique(['plan_id', 'device_id'], { indexName: 'care_plan_devices_unique' });
    table.index(['device_id'], 'care_plan_devices_device_idx');
    table.foreign('plan_id', 'care_plan_devices_plan_fk').references('id').inTable('care_plans');
    table.foreign('device_id', 'care_plan_devices_device_fk').references('id').inTable('devices');
  });

  await knex.schema.createTable('care_visits', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('plan_id').unsigned().notNullable();
    // Copied from the plan so work queues filter without a join.
    table.integer('customer_id').unsigned().notNullable();
    table.integer('project_id').unsigned().nullable();
    table.string('task_key', 191).notNullable().collate(EXACT);
    table.string('kind', 32).notNullable();
    oneOf(table, 'kind', VISIT_KINDS, 'care_visits_kind_check');
    table.string('status', 16).notNullable();
    oneOf(table, 'status', VISIT_STATUSES, 'care_visits_status_check');
    table.integer('assignee_user_id').unsigned().nullable();
    instant(table, 'due_at').notNullable();
    instant(table, 'window_start').notNullable();
    instant(table, 'window_end').notNullable();
    instant(table, 'remind_at').notNullable();
    // Checklist, findings, signature, open items, the reason of a reschedule / skip / cancel.
    table.json('outcome').nullable();
    instant(table, 'done_at').nullable();
    instant(table, 'report_due_at').nullable();
    instant(table, 'created_at').notNullable();
    instant(table, 'updated_at').notNullable();
    table.unique(['plan_id', 'task_key'], { indexName: 'care_visits_plan_task_unique' });
    table.index(['status', 'due_at'], 'care_visits_status_due_idx');
    table.index(['assignee_user_id'], 'care_visits_assignee_idx');
    table.index(['customer_id'], 'care_visits_customer_idx');
    table.foreign('plan_id', 'care_visits_plan_fk').references('id').inTable('care_plans');
  });

  await knex.schema.createTable('care_calls', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('plan_id').unsigned().notNullable();
    table.integer('customer_id').unsigned().notNullable();
    table.integer('project_id').unsigned().nullable();
    table.string('task_key', 191).notNullable().collate(EXACT);
    table.string('status', 16).notNullable();
    oneOf(table, 'status', CALL_STATUSES, 'care_calls_status_check');
    table.integer('assignee_user_id').unsigned().nullable();
    instant(table, 'due_at').notNullable();
    instant(table, 'window_end').notNullable();
    instant(table, 'remind_at').notNullable();
    table.integer('attempts').notNullable().defaultTo(0);
    // The script's answers and the satisfaction score (1–5), or the reason of a reschedule.
    table.json('outcome').nullable();
    instant(table, 'done_at').nullable();
    instant(table, 'created_at').notNullable();
    instant(table, 'updated_at').notNullable();
    table.unique(['plan_id', 'task_key'], { indexName: 'care_calls_plan_task_unique' });
    table.index(['status', 'due_at'], 'care_calls_status_due_idx');
    table.index(['customer_id'], 'care_calls_customer_idx');
    table.foreign('plan_id', 'care_calls_plan_fk').references('id').inTable('care_plans');
  });

  await knex.schema.createTable('care_call_contacts', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('call_id').unsigned().notNullable();
    table.integer('contact_id').unsigned().notNullable();
    table.unique(['call_id', 'contact_id'], { indexName: 'care_call_contacts_unique' });
    table.foreign('call_id', 'care_call_contacts_call_fk').references('id').inTable('care_calls');
    table.foreign('contact_id', 'care_call_contacts_contact_fk').references('id').inTable('customer_contacts').onDelete('CASCADE');
  });

  await knex.schema.createTable('care_call_attempts', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('call_id').unsigned().notNullable();
    table.integer('attempt').notNullable();
    table.string('outcome', 16).notNullable();
    oneOf(table, 'outcome', ATTEMPT_OUTCOMES, 'care_call_attempts_outcome_check');
    table.integer('contact_id').unsigned().nullable();
    table.integer('actor_user_id').unsigned().nullable();
    table.string('note', 1000).nullable();
    instant(table, 'at').notNullable();
    table.unique(['call_id', 'attempt'], { indexName: 'care_call_attempts_unique' });
    table.foreign('call_id', 'care_call_attempts_call_fk').references('id').inTable('care_calls');
  });

  await knex.schema.createTable('care_follow_ups', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('plan_id').unsigned().notNullable();
    table.integer('customer_id').unsigned().notNullable();
    table.integer('call_id').unsigned().nullable();
    table.integer('visit_id').unsigned().nullable();
    table.string('follow_up_key', 191).notNullable().collate(EXACT);
    table.string('reason', 32).notNullable();
    oneOf(table, 'reason', FOLLOW_UP_REASONS, 'care_follow_ups_reason_check');
    table.string('status', 16).notNullable();
    oneOf(table, 'status', FOLLOW_UP_STATUSES, 'care_follow_ups_status_check');
    table.text('summary').notNullable();
    instant(table, 'due_at').notNullable();
    instant(table, 'created_at').notNullable();
    table.unique(['plan_id', 'follow_up_key'], { indexName: 'care_follow_ups_key_unique' });
    table.index(['status', 'due_at'], 'care_follow_ups_status_due_idx');
    table.foreign('plan_id', 'care_follow_ups_plan_fk').references('id').inTable('care_plans');
  });

  await knex.schema.createTable('care_plan_events', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('plan_id').unsigned().notNullable();
    table.string('event_key', 191).notNullable().collate(EXACT);
    table.string('kind', 64).notNullable();
    instant(table, 'at').notNullable();
    table.integer('actor_user_id').unsigned().nullable();
    table.string('actor_name', 191).nullable();
    table.string('actor_role', 32).nullable();
    table.text('summary').notNullable();
    table.json('data').nullable();
    table.unique(['plan_id', 'event_key'], { indexName: 'care_plan_events_plan_key_unique' });
    table.index(['plan_id', 'at'], 'care_plan_events_plan_at_idx');
    table.foreign('plan_id', 'care_plan_events_plan_fk').references('id').inTable('care_plans');
  });

  await knex.schema.alterTable('customer_contacts', (table) => {
    instant(table, 'wrong_number_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('customer_contacts', (table) => {
    table.dropColumn('wrong_number_at');
  });
  for (const name of ['care_plan_events', 'care_follow_ups', 'care_call_attempts', 'care_call_contacts', 'care_calls', 'care_visits', 'care_plan_devices', 'care_plans']) {
    await knex.schema.dropTable(name);
  }
}
