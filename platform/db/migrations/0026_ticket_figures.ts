import type { Knex } from 'knex';
import { instant, utf8mb4For } from './schema';

/**
 * The service KPIs at volume (issue #12): each read computed every ticket's figures of the period
 * again (some 26,000 tickets in 30 days of the benchmark: their clock rows, events, repeat repairs
 * and clock JSON), 200–700 ms a page. Each ticket's figures are now kept in `ticket_figures`, one
 * row per ticket, and a KPI is a sum over the period's rows (db/repositories/ticketFigures.ts).
 *
 * Kept how: the application notes which tickets changed (`ticket_figure_changes`, append-only), in
 * the transaction of the change (platform/db/keptFigures.ts), and the next KPI read recomputes those
 * tickets' rows before it sums (TicketFiguresRepository.catchUp). A note is only a ticket id, so a
 * step's transaction does almost no extra work and cannot fail on a figure. Not by triggers: MySQL 8
 * with binary logging and MariaDB with --log-bin refuse them to an application user (issue #20).
 * A ticket's figures change with:
 * - its own row (status, resolution, clock JSON, model, assignee, a repeat repair naming it);
 * - its events (visits, reopenings, surveys) and its clock deadline rows (met, breached);
 * - the sale of its serial (the selling dealer, which the dealer and region filters read).
 * The migration notes every existing ticket, so the first KPI read after it computes them all.
 *
 * The model filter offers the models of devices and sales: read from an index on each (10 ms → 1 ms
 * at the benchmark's volume), not by sorting every row.
 */
const MODEL_INDEXES = [
  { table: 'devices', name: 'devices_model_idx' },
  { table: 'dealer_sales', name: 'dealer_sales_model_idx' },
];
const FIGURES = 'ticket_figures';
const CHANGES = 'ticket_figure_changes';

export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
  await knex.schema.createTable(FIGURES, (table) => {
    utf8mb4(table);
    table.integer('ticket_id').unsigned().notNullable();
    // What the filters read: the period, the model, the selling dealer (and through it the region).
    instant(table, 'opened_at').notNullable();
    table.string('kind', 16).notNullable();
    table.string('model', 191).nullable();
    table.integer('dealer_id').unsigned().nullable();
    table.integer('assignee_user_id').unsigned().nullable();
    // The figures: 0/1 flags and counts, summed by the KPI queries.
    table.tinyint('resolved_repair').notNullable();
    table.tinyint('fixed_first_time').notNullable();
    table.tinyint('parts_held').notNullable();
    table.integer('response_on_time').notNullable();
    table.integer('response_due').notNullable();
    table.integer('repair_on_time').notNullable();
    table.integer('repair_due').notNullable();
    table.decimal('score_total', 12, 4).notNullable();
    table.integer('score_count').notNullable();
    // A closed ticket's seconds from intake to close (complaint closure time).
    table.double('closed_seconds').nullable();
    // By period first: on InnoDB the rows of a period lie together (the primary key clusters them).
    table.primary(['opened_at', 'ticket_id']);
    table.unique(['ticket_id'], { indexName: 'ticket_figures_ticket_unique' });
    table.index(['dealer_id', 'opened_at'], 'ticket_figures_dealer_idx');
    table.index(['model', 'opened_at'], 'ticket_figures_model_idx');
  });
  await knex.schema.createTable(CHANGES, (table) => {
    utf8mb4(table);
    table.bigIncrements('id');
    table.integer('ticket_id').unsigned().notNullable();
  });
  await knex.raw(`INSERT INTO ${CHANGES} (ticket_id) SELECT id FROM tickets ORDER BY id`);
  for (const index of MODEL_INDEXES) {
    await knex.schema.alterTable(index.table, (table) => {
      table.index(['model'], index.name);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const index of [...MODEL_INDEXES].reverse()) {
    await knex.schema.alterTable(index.table, (table) => {
      table.dropIndex(['model'], index.name);
    });
  }
  await knex.schema.dropTable(CHANGES);
  await knex.schema.dropTable(FIGURES);
}
