import type { Knex } from 'knex';
import { CN_STATUTORY_YEARS } from '../../../domain/calendars/cn';
import { EXACT, instant, utf8mb4For } from './schema';

/**
 * Business calendars as reference data: loaded and corrected by admins through the API, read when a
 * deadline is computed (never frozen into a policy), so a year's holidays reach running processes.
 *
 * - `calendars`: one row per calendar a policy can name by key. `yearly_data` is false for a calendar
 *   that is weekends only by design ('weekends'); for the others a year without a row in
 *   `calendar_years` is a year without data, and deadlines counted in it are provisional.
 * - `calendar_years`: one year's holidays and make-up working days (JSON arrays of 'YYYY-MM-DD').
 * - `calendar_missing_years`: years a deadline needed and did not find; the health check lists those
 *   still not loaded, and `alerted_at` makes the admins' alert go out once per calendar and year.
 */

const TABLES_IN_CREATION_ORDER = ['calendars', 'calendar_years', 'calendar_missing_years'] as const;

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);

  await knex.schema.createTable('calendars', (table) => {
    utf8mb4(table);
    table.string('calendar_key', 64).notNullable().collate(EXACT).primary('calendars_pkey');
    table.string('name', 191).notNullable();
    table.string('time_zone', 64).notNullable();
    table.json('weekend_days').notNullable();
    table.boolean('yearly_data').notNullable();
    instant(table, 'created_at').notNullable();
  });

  await knex.schema.createTable('calendar_years', (table) => {
    utf8mb4(table);
    table.string('calendar_key', 64).notNullable().collate(EXACT);
    table.integer('year').notNullable();
    table.json('holidays').notNullable();
    table.json('makeup_workdays').notNullable();
    table.string('source', 500).nullable();
    table.text('notes').nullable();
    instant(table, 'updated_at').notNullable();
    // No foreign key to users, as for the audit trail: the record outlives changes to users.
    table.integer('updated_by_user_id').unsigned().nullable();
    table.string('updated_by', 191).notNullable();
    table.primary(['calendar_key', 'year'], 'calendar_years_pkey');
    table.foreign('calendar_key', 'calendar_years_calendar_fk').references('calendar_key').inTable('calendars');
  });

  await knex.schema.createTable('calendar_missing_years', (table) => {
    utf8mb4(table);
    table.string('calendar_key', 64).notNullable().collate(EXACT);
    table.integer('year').notNullable();
    instant(table, 'first_needed_at').notNullable();
    instant(table, 'alerted_at').nullable();
    table.primary(['calendar_key', 'year'], 'calendar_missing_years_pkey');
    table.foreign('calendar_key', 'calendar_missing_years_calendar_fk').references('calendar_key').inTable('calendars');
  });

  // The seed: the calendars the built-in registry offers, with every year domain/calendars/cn.ts holds.
  const now = new Date();
  await knex('calendars').insert([
    { calendar_key: 'cn', name: '中华人民共和国法定节假日 PRC statutory holidays', time_zone: 'Asia/Shanghai', weekend_days: JSON.stringify([6, 7]), yearly_data: true, created_at: now },
    { calendar_key: 'weekends', name: 'Weekends only (UTC)', time_zone: 'UTC', weekend_days: JSON.stringify([6, 7]), yearly_data: false, created_at: now },
  ]);
  const years = Object.entries(CN_STATUTORY_YEARS).map(([year, data]) => ({
    calendar_key: 'cn',
    year: Number(year),
    holidays: JSON.stringify(data.holidays),
    makeup_workdays: JSON.stringify(data.makeupWorkdays),
    source: `国务院办公厅关于${year}年部分节假日安排的通知`,
    notes: 'Seeded from domain/calendars/cn.ts',
    updated_at: now,
    updated_by_user_id: null,
    updated_by: 'migration 0007_calendars',
  }));
  if (years.length > 0) await knex('calendar_years').insert(years);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [...TABLES_IN_CREATION_ORDER].reverse()) await knex.schema.dropTableIfExists(table);
}
