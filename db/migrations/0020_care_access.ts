import type { Knex } from 'knex';
import { instant } from './schema';

/**
 * Who a care plan, visit or call belongs to, as views the access scopes filter on (db/scope.ts):
 * one row per (record, relation), so a plan reached by its project manager, the customer's one-to-one
 * engineer, each visit's assignee and each dealer that sold one of its devices is found by any of them.
 * Views, not copied columns: an engineer reassigned or a dealer sale recorded later counts at once.
 * Named `reach_…` (not `care_…`) so they are not mistaken for the care tables.
 *
 * A follow-up's close (its outcome, when, by whom) goes on its row.
 */
const VIEWS: Record<string, string> = {
  reach_care_plans: `
    SELECT p.id AS id, p.customer_id AS customer_id, pr.project_manager_user_id AS manager_user_id, c.engineer_user_id AS assignee_user_id, NULL AS dealer_id
      FROM care_plans p JOIN customers c ON c.id = p.customer_id LEFT JOIN projects pr ON pr.id = p.project_id
    UNION ALL
    SELECT v.plan_id, v.customer_id, NULL, v.assignee_user_id, NULL FROM care_visits v WHERE v.assignee_user_id IS NOT NULL
    UNION ALL
    SELECT d.plan_id, p.customer_id, NULL, NULL, s.dealer_id
      FROM care_plan_devices d JOIN care_plans p ON p.id = d.plan_id JOIN devices dv ON dv.id = d.device_id JOIN dealer_sales s ON s.device_serial = dv.serial`,
  reach_care_visits: `
    SELECT v.id AS id, v.plan_id AS plan_id, v.customer_id AS customer_id, pr.project_manager_user_id AS manager_user_id, v.assignee_user_id AS assignee_user_id
      FROM care_visits v LEFT JOIN projects pr ON pr.id = v.project_id`,
  reach_care_calls: `
    SELECT c.id AS id, c.plan_id AS plan_id, c.customer_id AS customer_id, pr.project_manager_user_id AS manager_user_id, c.assignee_user_id AS assignee_user_id
      FROM care_calls c LEFT JOIN projects pr ON pr.id = c.project_id`,
};

export async function up(knex: Knex): Promise<void> {
  for (const [name, select] of Object.entries(VIEWS)) await knex.raw(`CREATE VIEW ${name} AS ${select}`);
  await knex.schema.alterTable('care_follow_ups', (table) => {
    table.string('outcome', 2000).nullable();
    instant(table, 'closed_at').nullable();
    table.integer('closed_by_user_id').unsigned().nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('care_follow_ups', (table) => {
    table.dropColumn('closed_by_user_id');
    table.dropColumn('closed_at');
    table.dropColumn('outcome');
  });
  for (const name of Object.keys(VIEWS).reverse()) await knex.raw(`DROP VIEW IF EXISTS ${name}`);
}
