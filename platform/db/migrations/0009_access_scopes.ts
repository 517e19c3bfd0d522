import type { Knex } from 'knex';
import { instant, replaceOneOf, utf8mb4For } from './schema';

/**
 * Authorization by resource (domain/access.ts): users belong to what they act for.
 * - `dealers`: the dealers dealer users act for (minimal: later processes add their terms).
 * - `users.customer_id`: the customer organisation a customer user acts for.
 * - `projects.project_manager_user_id`: the project manager user who manages the project; the
 *   pm_* name and e-mail stay for notices. Existing projects get the project manager user with
 *   their pm_email, when there is one.
 * - the role CHECK gains senior_engineer and leadership.
 *
 * No foreign keys on the new columns, like users.dealer_id in 0003: the API checks the ids, and
 * SQLite could add them only by rebuilding the tables.
 */

// A snapshot of api/roles.ts: 0003's list plus the two escalation roles.
const ROLES_0003 = ['admin', 'project_manager', 'dispatcher', 'engineer', 'service_manager', 'technical_appraiser', 'sales_clerk', 'finance', 'dealer', 'customer'];
const ROLES = [...ROLES_0003.slice(0, 4), 'senior_engineer', 'service_manager', 'leadership', ...ROLES_0003.slice(5)];

// The SQLite table rebuild needs foreign keys off, which SQLite ignores inside a transaction.
export const config = { transaction: false };

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
  await knex.schema.createTable('dealers', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('name', 191).notNullable();
    instant(table, 'created_at').notNullable();
    table.unique(['name'], { indexName: 'dealers_name_unique' });
  });
  await knex.schema.alterTable('users', (table) => {
    table.integer('customer_id').unsigned().nullable();
    table.index(['customer_id'], 'users_customer_idx');
  });
  await replaceOneOf(knex, 'users', 'role', ROLES, 'users_role_check');
  await knex.schema.alterTable('projects', (table) => {
    table.integer('project_manager_user_id').unsigned().nullable();
    table.index(['project_manager_user_id'], 'projects_pm_user_idx');
  });
  // E-mails are stored lower-cased in users; pm_email as given.
  const pmUser = knex('users').min('id').where('role', 'project_manager').whereRaw('?? = lower(??)', ['users.email', 'projects.pm_email']);
  await knex('projects').update({ project_manager_user_id: pmUser });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('projects', (table) => {
    table.dropIndex(['project_manager_user_id'], 'projects_pm_user_idx');
  });
  await knex.schema.alterTable('projects', (table) => {
    table.dropColumn('project_manager_user_id');
  });
  // Users of the new roles cannot stay under the old CHECK: they are removed with their tokens.
  const newRoleUsers = knex('users').select('id').whereIn('role', ['senior_engineer', 'leadership']);
  await knex('api_tokens').whereIn('user_id', newRoleUsers).delete();
  await knex('users').whereIn('role', ['senior_engineer', 'leadership']).delete();
  await replaceOneOf(knex, 'users', 'role', ROLES_0003, 'users_role_check');
  await knex.schema.alterTable('users', (table) => {
    table.dropIndex(['customer_id'], 'users_customer_idx');
  });
  await knex.schema.alterTable('users', (table) => {
    table.dropColumn('customer_id');
  });
  await knex.schema.dropTable('dealers');
}
