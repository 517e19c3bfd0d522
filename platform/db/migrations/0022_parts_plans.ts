import type { Knex } from 'knex';
import { instant, oneOf, utf8mb4For } from './schema';

/**
 * Dealers' parts plans (PRODUCT §P5.7): one per dealer and sales season, due `dealer.partsPlanLead`
 * before the season starts. The (dealer, season) key makes opening a plan twice (the Schedule firing
 * twice) one plan; its process (`parts-plan-<id>`) reminds and escalates.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('parts_plans', (table) => {
    utf8mb4For(knex)(table);
    table.increments('id');
    table.integer('dealer_id').unsigned().notNullable();
    table.string('season_start', 10).notNullable();
    table.string('due_on', 10).notNullable();
    instant(table, 'due_at').notNullable();
    instant(table, 'remind_at').notNullable();
    table.string('status', 16).notNullable().defaultTo('open');
    oneOf(table, 'status', ['open', 'submitted'], 'parts_plans_status_check');
    table.json('lines').nullable();
    table.string('note', 2000).nullable();
    instant(table, 'submitted_at').nullable();
    table.integer('submitted_by').unsigned().nullable();
    instant(table, 'created_at').notNullable();
    table.unique(['dealer_id', 'season_start'], { indexName: 'parts_plans_dealer_season_unique' });
    table.index(['status', 'due_at'], 'parts_plans_status_due_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('parts_plans');
}
