import type { Knex } from 'knex';
import { isMysql } from '../knex';
import { instant, oneOf, utf8mb4For } from './schema';

/**
 * Organisational units and people administration (issue #21).
 *
 * - `org_units`: a region or a team, under an optional parent, its name unique among its siblings.
 *   The kinds are a named CHECK (`org_units_kind_check`) a later migration widens with replaceOneOf
 *   (the parts issue adds offices and repair points). Units will own tickets and escalations later.
 * - `users.org_unit_id`: the one unit a staff member acts for; `users.dealer_admin`: a dealer user who
 *   administers that dealer's users.
 *
 * A unique key on (parent_id, name) would let two top-level units share a name (NULLs never clash),
 * so the key is on `parent_key`: the parent's id, or 0 at the top.
 */
export const config = { transaction: false };

export const ORG_UNIT_KINDS_0035 = ['region', 'team'] as const;

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
  await knex.schema.createTable('org_units', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('name', 120).notNullable();
    table.string('kind', 24).notNullable();
    table.integer('parent_id').unsigned().nullable();
    table.integer('parent_key').unsigned().notNullable().defaultTo(0);
    instant(table, 'created_at').notNullable();
    oneOf(table, 'kind', ORG_UNIT_KINDS_0035, 'org_units_kind_check');
    table.unique(['parent_key', 'name'], { indexName: 'org_units_parent_name_unique' });
    table.index(['parent_id'], 'org_units_parent_idx');
    table.foreign('parent_id', 'org_units_parent_fk').references('id').inTable('org_units');
  });
  if (isMysql(knex)) {
    await knex.schema.alterTable('users', (table) => {
      table.integer('org_unit_id').unsigned().nullable();
      table.boolean('dealer_admin').notNullable().defaultTo(false);
      table.index(['org_unit_id'], 'users_org_unit_idx');
      table.foreign('org_unit_id', 'users_org_unit_fk').references('id').inTable('org_units');
    });
  } else {
    // SQLite adds a nullable column with a reference in place; knex would rebuild the table.
    await knex.raw('ALTER TABLE `users` ADD COLUMN `org_unit_id` integer NULL REFERENCES `org_units` (`id`)');
    await knex.raw('ALTER TABLE `users` ADD COLUMN `dealer_admin` boolean NOT NULL DEFAULT 0');
    await knex.raw('CREATE INDEX `users_org_unit_idx` ON `users` (`org_unit_id`)');
  }
}

export async function down(knex: Knex): Promise<void> {
  if (isMysql(knex)) {
    await knex.schema.alterTable('users', (table) => {
      table.dropForeign(['org_unit_id'], 'users_org_unit_fk');
      table.dropIndex(['org_unit_id'], 'users_org_unit_idx');
      table.dropColumn('org_unit_id');
      table.dropColumn('dealer_admin');
    });
  } else {
    await knex.raw('DROP INDEX `users_org_unit_idx`');
    // SQLite drops a column that references another table only by rebuilding: knex does that.
    await knex.raw('PRAGMA foreign_keys = OFF');
    try {
      await knex.schema.alterTable('users', (table) => {
        table.dropColumn('org_unit_id');
        table.dropColumn('dealer_admin');
      });
    } finally {
      await knex.raw('PRAGMA foreign_keys = ON');
    }
  }
  await knex.schema.dropTableIfExists('org_units');
}
