import type { Knex } from 'knex';
import { instant } from './schema';

/**
 * The dealer KPIs at volume (issue #12; db/repositories/kpis.ts, found with EXPLAIN on MariaDB 10.11):
 * - days to settle counts a claim in the period of its first ledger posting (the deduction of the
 *   first statement that settled a line of it). That instant was found by joining claims, their
 *   lines, statement lines and postings, twice; it is now kept on the claim as `first_posted_at`,
 *   read by period (and by dealer) from an index that also holds the submission;
 * - claim approval by dealer (one, or a region's) reads the dealer's decided lines of the period
 *   from the index, not every decided line of the dealer. The index replaces (dealer_id, status),
 *   which it still covers.
 *
 * `first_posted_at` is kept by the application in the transaction of the write
 * (platform/db/keptFigures.ts keepFirstPostings): the repository's posting (insertLedgerEntry) and its
 * statement lines, and the SQL that seeds the KPI fixture and the benchmark, once after its writes.
 * A posting sets it on the claims of its statement's lines; a statement line added to a statement
 * already posted sets it on its claim. Either only moves it earlier (the first posting wins).
 * Postings are never changed or removed (a statement posts once) and a posted statement's lines
 * are fixed, so inserts are the only writes that move it. Not by triggers: MySQL 8 with binary
 * logging and MariaDB with --log-bin refuse them to an application user (issue #20).
 */
const CLAIM_INDEXES: Array<{ columns: string[]; name: string }> = [
  { columns: ['first_posted_at', 'dealer_id', 'created_at'], name: 'claims_first_posted_idx' },
  { columns: ['dealer_id', 'first_posted_at', 'created_at'], name: 'claims_dealer_first_posted_idx' },
];
const LINES_ADDED = { columns: ['dealer_id', 'status', 'decided_at'], name: 'claim_lines_dealer_decided_idx' };
const LINES_REPLACED = { columns: ['dealer_id', 'status'], name: 'claim_lines_dealer_status_idx' };

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('claims', (table) => {
    instant(table, 'first_posted_at').nullable();
  });
  await knex.raw(
    `UPDATE claims SET first_posted_at = (
       SELECT MIN(le.posted_at) FROM claim_lines l
       JOIN settlement_lines sl ON sl.claim_line_id = l.id
       JOIN ledger_entries le ON le.settlement_id = sl.settlement_id
       WHERE l.claim_id = claims.id)`,
  );
  for (const index of CLAIM_INDEXES) {
    await knex.schema.alterTable('claims', (table) => {
      table.index(index.columns, index.name);
    });
  }
  await knex.schema.alterTable('claim_lines', (table) => {
    table.index(LINES_ADDED.columns, LINES_ADDED.name);
  });
  await knex.schema.alterTable('claim_lines', (table) => {
    table.dropIndex(LINES_REPLACED.columns, LINES_REPLACED.name);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('claim_lines', (table) => {
    table.index(LINES_REPLACED.columns, LINES_REPLACED.name);
  });
  await knex.schema.alterTable('claim_lines', (table) => {
    table.dropIndex(LINES_ADDED.columns, LINES_ADDED.name);
  });
  for (const index of [...CLAIM_INDEXES].reverse()) {
    await knex.schema.alterTable('claims', (table) => {
      table.dropIndex(index.columns, index.name);
    });
  }
  // Not knex's dropColumn: on SQLite it rebuilds the table, and dropping the old claims fails the
  // foreign keys of their lines. SQLite drops a column unindexed and unreferenced in place.
  await knex.raw('ALTER TABLE claims DROP COLUMN first_posted_at');
}
