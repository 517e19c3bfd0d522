import type { Knex } from 'knex';
import { EXACT, instant, oneOf, utf8mb4For } from './schema';

/**
 * Core master data: customers (the long-term customer file), their contacts and sites, devices,
 * contracts and the policy layers that resolve into a contract's frozen policy.
 *
 * Portable across MySQL 8 / MariaDB 10.11 and SQLite: no DB defaults for timestamps (the
 * repositories set them), instants as DATETIME(3) in UTC, indexed strings ≤ 191 chars (utf8mb4).
 * Identifiers compared for equality (serial, contract_no, names, layer keys) use a binary
 * collation on MySQL so they match exactly, as SQLite does by default.
 */

const TABLES_IN_CREATION_ORDER = ['customers', 'customer_contacts', 'sites', 'devices', 'contracts', 'policy_layers'] as const;

const CUSTOMER_CLASSES = ['key', 'long_term', 'regular'];
const LOCALES = ['zh-CN', 'en'];
const CONTRACT_KINDS = ['project', 'maintenance', 'sale'];
const POLICY_SCOPES = ['template', 'model', 'customer_class'];

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);

  await knex.schema.createTable('customers', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('name', 191).notNullable().collate(EXACT).index('customers_name_idx');
    table.string('address', 500).nullable();
    table.string('class', 16).notNullable().defaultTo('regular');
    oneOf(table, 'class', CUSTOMER_CLASSES, 'customers_class_check');
    table.string('time_zone', 64).notNullable().defaultTo('Asia/Shanghai');
    table.string('locale', 8).notNullable().defaultTo('zh-CN');
    oneOf(table, 'locale', LOCALES, 'customers_locale_check');
    table.boolean('service_stopped_flag').notNullable().defaultTo(false);
    table.string('flag_reason', 500).nullable();
    instant(table, 'acceptance_date').nullable();
    instant(table, 'created_at').notNullable();
    instant(table, 'updated_at').notNullable();
    table.index(['class'], 'customers_class_idx');
  });

  await knex.schema.createTable('customer_contacts', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('customer_id').unsigned().notNullable();
    table.string('name', 191).notNullable();
    table.string('email', 191).notNullable();
    table.string('phone', 64).nullable();
    table.string('locale', 8).notNullable().defaultTo('zh-CN');
    oneOf(table, 'locale', LOCALES, 'customer_contacts_locale_check');
    table.string('role', 32).notNullable();
    table.boolean('is_primary').notNullable().defaultTo(false);
    table.index(['customer_id'], 'customer_contacts_customer_idx');
    // Contacts have no life of their own: they go with their customer.
    table.foreign('customer_id', 'customer_contacts_customer_fk').references('id').inTable('customers').onDelete('CASCADE');
  });

  await knex.schema.createTable('sites', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('customer_id').unsigned().notNullable();
    table.string('name', 191).notNullable();
    table.string('address', 500).nullable();
    table.index(['customer_id'], 'sites_customer_idx');
    table.foreign('customer_id', 'sites_customer_fk').references('id').inTable('customers');
  });

  await knex.schema.createTable('devices', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('customer_id').unsigned().notNullable();
    table.integer('site_id').unsigned().nullable();
    // No foreign key yet: the projects table arrives in a later migration.
    table.integer('project_id').unsigned().nullable();
    table.string('model', 191).notNullable();
    table.string('brand', 191).nullable();
    table.string('serial', 191).notNullable().collate(EXACT);
    instant(table, 'installed_at').nullable();
    instant(table, 'warranty_starts_at').nullable();
    instant(table, 'warranty_ends_at').nullable();
    table.string('status', 32).notNullable().defaultTo('active');
    instant(table, 'created_at').notNullable();
    instant(table, 'updated_at').notNullable();
    table.unique(['serial'], { indexName: 'devices_serial_unique' });
    table.index(['customer_id'], 'devices_customer_idx');
    table.index(['site_id'], 'devices_site_idx');
    table.index(['project_id'], 'devices_project_idx');
    table.foreign('customer_id', 'devices_customer_fk').references('id').inTable('customers');
    table.foreign('site_id', 'devices_site_fk').references('id').inTable('sites');
  });

  await knex.schema.createTable('contracts', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('customer_id').unsigned().notNullable();
    table.string('contract_no', 191).notNullable().collate(EXACT);
    table.string('kind', 16).notNullable();
    oneOf(table, 'kind', CONTRACT_KINDS, 'contracts_kind_check');
    table.json('policy_overrides').notNullable();
    table.json('resolved_policy').notNullable();
    instant(table, 'signed_at').nullable();
    instant(table, 'created_at').notNullable();
    table.unique(['contract_no'], { indexName: 'contracts_contract_no_unique' });
    table.index(['customer_id'], 'contracts_customer_idx');
    table.foreign('customer_id', 'contracts_customer_fk').references('id').inTable('customers');
  });

  await knex.schema.createTable('policy_layers', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('scope', 16).notNullable();
    oneOf(table, 'scope', POLICY_SCOPES, 'policy_layers_scope_check');
    table.string('layer_key', 191).notNullable().collate(EXACT);
    table.json('override').notNullable();
    instant(table, 'updated_at').notNullable();
    table.unique(['scope', 'layer_key'], { indexName: 'policy_layers_scope_key_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [...TABLES_IN_CREATION_ORDER].reverse()) {
    await knex.schema.dropTableIfExists(table);
  }
}
