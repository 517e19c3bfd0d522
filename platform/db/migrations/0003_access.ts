import type { Knex } from 'knex';
import { EXACT, instant, oneOf, utf8mb4For } from './schema';

/**
 * Access: users, their API tokens and the audit trail of every state-changing API request.
 *
 * Same portability rules as 0001_core: instants as DATETIME(3) in UTC set by the code, indexed
 * strings ≤ 191 chars, named constraints. E-mails are stored lower-cased by the repository, so
 * uniqueness means the same on MySQL (case-insensitive collation) and SQLite (binary).
 */

const TABLES_IN_CREATION_ORDER = ['users', 'api_tokens', 'audit_log'] as const;

// A snapshot of api/roles.ts at the time of this migration: adding a role needs a new migration.
const ROLES = ['admin', 'project_manager', 'dispatcher', 'engineer', 'service_manager', 'technical_appraiser', 'sales_clerk', 'finance', 'dealer', 'customer'];
const LOCALES = ['zh-CN', 'en'];

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);

  await knex.schema.createTable('users', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('name', 191).notNullable();
    table.string('email', 191).notNullable();
    table.string('role', 32).notNullable();
    table.string('locale', 8).notNullable().defaultTo('zh-CN');
    // No foreign key: the dealers table arrives in a later migration.
    table.integer('dealer_id').unsigned().nullable();
    table.boolean('active').notNullable().defaultTo(true);
    instant(table, 'created_at').notNullable();
    oneOf(table, 'role', ROLES, 'users_role_check');
    oneOf(table, 'locale', LOCALES, 'users_locale_check');
    table.unique(['email'], { indexName: 'users_email_unique' });
    table.index(['dealer_id'], 'users_dealer_idx');
  });

  await knex.schema.createTable('api_tokens', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('user_id').unsigned().notNullable();
    // sha256 hex of the token; the plaintext is shown once and never stored.
    table.string('token_hash', 64).notNullable().collate(EXACT);
    table.string('label', 191).notNullable();
    instant(table, 'created_at').notNullable();
    instant(table, 'last_used_at').nullable();
    instant(table, 'revoked_at').nullable();
    table.unique(['token_hash'], { indexName: 'api_tokens_token_hash_unique' });
    table.index(['user_id'], 'api_tokens_user_idx');
    table.foreign('user_id', 'api_tokens_user_fk').references('id').inTable('users');
  });

  await knex.schema.createTable('audit_log', (table) => {
    utf8mb4(table);
    table.bigIncrements('id');
    instant(table, 'at').notNullable();
    // No foreign key: the trail must outlive any change to the users table.
    table.integer('actor_user_id').unsigned().nullable();
    table.string('actor_role', 32).nullable();
    table.string('action', 191).notNullable();
    table.string('entity_type', 64).nullable();
    table.string('entity_id', 191).nullable().collate(EXACT);
    table.string('request_id', 191).notNullable();
    table.integer('status_code').notNullable();
    table.json('details').notNullable();
    table.index(['entity_type', 'entity_id'], 'audit_log_entity_idx');
    table.index(['actor_user_id'], 'audit_log_actor_idx');
    table.index(['at'], 'audit_log_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [...TABLES_IN_CREATION_ORDER].reverse()) {
    await knex.schema.dropTableIfExists(table);
  }
}
