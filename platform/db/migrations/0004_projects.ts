import type { Knex } from 'knex';
import { EXACT, instant, oneOf, utf8mb4For } from './schema';

/**
 * Project delivery (PRODUCT §P1, §P2): the projects the projectDelivery workflow drives, their
 * timeline on record, trial-run issues and DOA cases.
 *
 * Same portability rules as 0001_core: instants as DATETIME(3) in UTC set by the code, indexed
 * strings ≤ 191 chars, named constraints, binary collation on MySQL for keys compared exactly.
 * The unique keys (project, event key), (project, issue key) and (project, serial) are what make
 * the activities that write these rows safe to retry.
 */

const TABLES_IN_CREATION_ORDER = ['projects', 'project_events', 'trial_issues', 'doa_cases'] as const;

// Snapshots of domain/delivery.ts at the time of this migration: a new value needs a new migration.
const STAGES = ['awaiting_kickoff', 'awaiting_unboxing', 'installing', 'initial_acceptance', 'trial_run', 'final_acceptance', 'handover', 'completed', 'cancelled'];
const DOA_STATUSES = ['excluded', 'awaiting_shipment', 'awaiting_receipt', 'awaiting_return', 'returned', 'charged', 'cancelled'];
const DOA_CAUSES = ['transport', 'manufacturing', 'unknown', 'human', 'third_party_accessory', 'environment', 'force_majeure'];
const LOCALES = ['zh-CN', 'en'];

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);

  await knex.schema.createTable('projects', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('customer_id').unsigned().notNullable();
    table.integer('contract_id').unsigned().notNullable();
    table.string('contract_no', 191).notNullable().collate(EXACT);
    table.string('name', 191).notNullable();
    table.string('pm_name', 191).notNullable();
    table.string('pm_email', 191).notNullable();
    table.string('pm_locale', 8).nullable();
    oneOf(table, 'pm_locale', LOCALES, 'projects_pm_locale_check');
    table.string('service_manager_name', 191).nullable();
    table.string('service_manager_email', 191).nullable();
    table.string('service_manager_locale', 8).nullable();
    oneOf(table, 'service_manager_locale', LOCALES, 'projects_service_manager_locale_check');
    table.string('stage', 32).notNullable();
    oneOf(table, 'stage', STAGES, 'projects_stage_check');
    table.string('workflow_id', 191).nullable();
    instant(table, 'installation_completed_at').nullable();
    instant(table, 'initial_accepted_at').nullable();
    instant(table, 'trial_started_at').nullable();
    instant(table, 'trial_ends_at').nullable();
    table.integer('trial_extensions').notNullable().defaultTo(0);
    instant(table, 'final_accepted_at').nullable();
    table.integer('quality_score').nullable();
    instant(table, 'warranty_starts_at').nullable();
    instant(table, 'warranty_ends_at').nullable();
    instant(table, 'completed_at').nullable();
    table.text('cancel_reason').nullable();
    instant(table, 'created_at').notNullable();
    instant(table, 'updated_at').notNullable();
    table.unique(['contract_no'], { indexName: 'projects_contract_no_unique' });
    table.index(['stage'], 'projects_stage_idx');
    table.index(['customer_id'], 'projects_customer_idx');
    table.index(['contract_id'], 'projects_contract_idx');
    table.foreign('customer_id', 'projects_customer_fk').references('id').inTable('customers');
    table.foreign('contract_id', 'projects_contract_fk').references('id').inTable('contracts');
  });

  await knex.schema.createTable('project_events', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('project_id').unsigned().notNullable();
    // The workflow's name for the step (`kickoff`, `trial:2:ended`, `doa:SN-1:shipped`): one row each.
    table.string('event_key', 191).notNullable().collate(EXACT);
    table.string('kind', 64).notNullable();
    instant(table, 'at').notNullable();
    // No foreign key to users: the record must outlive any change to the users table.
    table.integer('actor_user_id').unsigned().nullable();
    table.string('actor_name', 191).nullable();
    table.string('actor_role', 32).nullable();
    table.text('summary').notNullable();
    table.json('data').nullable();
    table.unique(['project_id', 'event_key'], { indexName: 'project_events_project_key_unique' });
    table.index(['project_id', 'at'], 'project_events_project_at_idx');
    table.foreign('project_id', 'project_events_project_fk').references('id').inTable('projects');
  });

  await knex.schema.createTable('trial_issues', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('project_id').unsigned().notNullable();
    table.string('issue_key', 64).notNullable().collate(EXACT);
    table.string('title', 500).notNullable();
    table.text('description').nullable();
    table.integer('round').notNullable();
    instant(table, 'logged_at').notNullable();
    instant(table, 'resolved_at').nullable();
    table.text('resolution').nullable();
    table.unique(['project_id', 'issue_key'], { indexName: 'trial_issues_project_key_unique' });
    table.foreign('project_id', 'trial_issues_project_fk').references('id').inTable('projects');
  });

  await knex.schema.createTable('doa_cases', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('project_id').unsigned().notNullable();
    table.string('serial', 191).notNullable().collate(EXACT);
    table.string('status', 32).notNullable();
    oneOf(table, 'status', DOA_STATUSES, 'doa_cases_status_check');
    table.string('cause', 32).notNullable();
    oneOf(table, 'cause', DOA_CAUSES, 'doa_cases_cause_check');
    table.text('damage_description').notNullable();
    table.string('exclusion', 500).nullable();
    instant(table, 'ship_by').nullable();
    instant(table, 'shipped_at').nullable();
    table.string('replacement_serial', 191).nullable().collate(EXACT);
    instant(table, 'received_at').nullable();
    instant(table, 'return_due').nullable();
    instant(table, 'returned_at').nullable();
    table.boolean('return_acceptable').nullable();
    table.decimal('charged_amount', 14, 2).nullable();
    instant(table, 'updated_at').notNullable();
    table.unique(['project_id', 'serial'], { indexName: 'doa_cases_project_serial_unique' });
    table.index(['status'], 'doa_cases_status_idx');
    table.foreign('project_id', 'doa_cases_project_fk').references('id').inTable('projects');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [...TABLES_IN_CREATION_ORDER].reverse()) {
    await knex.schema.dropTableIfExists(table);
  }
}
