import type { Knex } from 'knex';
import * as core from './0001_core';
import * as notices from './0002_notices';
import * as access from './0003_access';
import * as projects from './0004_projects';
import * as steps from './0005_steps';
import * as money from './0006_money';
import * as calendars from './0007_calendars';
import * as noticeFailures from './0008_notice_failures';
import * as accessScopes from './0009_access_scopes';
import * as consoleSessions from './0010_console_sessions';
import * as tickets from './0011_tickets';
import * as dealerWarranty from './0013_dealer_warranty';
import * as customerEngineer from './0014_customer_engineer';
import * as care from './0015_care';
import * as dealerProcesses from './0016_dealer_processes';
import * as ticketExtras from './0017_ticket_extras';
import * as calendarFeeds from './0019_calendar_feeds';
import * as careFollowUpClose from './0020_care_follow_up_close';
import * as ticketLinks from './0021_ticket_links';
import * as partsPlans from './0022_parts_plans';
import * as pageIndexes from './0023_page_indexes';
import * as ticketLinkIndexes from './0024_ticket_link_indexes';
import * as boardIndexes from './0025_board_indexes';
import * as ticketFigures from './0026_ticket_figures';
import * as claimFirstPosting from './0027_claim_first_posting';
import * as claimModel from './0028_claim_model';
import * as dropFigureTriggers from './0029_drop_figure_triggers';
import * as processStarts from './0030_process_starts';
import * as words from './0031_words';
import * as peoplePasswords from './0032_people_passwords';
import * as signInFailureEmails from './0033_sign_in_failure_emails';
import * as secondFactor from './0034_second_factor';
import * as orgUnits from './0035_org_units';
import * as machineTokens from './0036_machine_tokens';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
  /** `{ transaction: false }` for a migration that manages its own transactions. */
  config?: { transaction?: boolean };
}

/** Migrations are listed explicitly so they run the same from ts sources, compiled js and bundles. */
const MIGRATIONS: ReadonlyArray<readonly [string, Migration]> = [
  ['0001_core', core],
  ['0002_notices', notices],
  ['0003_access', access],
  ['0004_projects', projects],
  ['0005_steps', steps],
  ['0006_money', money],
  ['0007_calendars', calendars],
  ['0008_notice_failures', noticeFailures],
  ['0009_access_scopes', accessScopes],
  ['0010_console_sessions', consoleSessions],
  ['0011_tickets', tickets],
  ['0013_dealer_warranty', dealerWarranty],
  ['0014_customer_engineer', customerEngineer],
  ['0015_care', care],
  ['0016_dealer_processes', dealerProcesses],
  ['0017_ticket_extras', ticketExtras],
  ['0019_calendar_feeds', calendarFeeds],
  ['0020_care_follow_up_close', careFollowUpClose],
  ['0021_ticket_links', ticketLinks],
  ['0022_parts_plans', partsPlans],
  ['0023_page_indexes', pageIndexes],
  ['0024_ticket_link_indexes', ticketLinkIndexes],
  ['0025_board_indexes', boardIndexes],
  ['0026_ticket_figures', ticketFigures],
  ['0027_claim_first_posting', claimFirstPosting],
  ['0028_claim_model', claimModel],
  ['0029_drop_figure_triggers', dropFigureTriggers],
  ['0030_process_starts', processStarts],
  ['0031_words', words],
  ['0032_people_passwords', peoplePasswords],
  ['0033_sign_in_failure_emails', signInFailureEmails],
  ['0034_second_factor', secondFactor],
  ['0035_org_units', orgUnits],
  ['0036_machine_tokens', machineTokens],
];

export const migrationSource: Knex.MigrationSource<readonly [string, Migration]> = {
  getMigrations: async () => [...MIGRATIONS],
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};

export const migrationConfig: Knex.MigratorConfig = { migrationSource, tableName: 'knex_migrations' };

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest(migrationConfig)) as [number, string[]];
  return applied;
}

export async function rollbackAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback(migrationConfig, true);
}
