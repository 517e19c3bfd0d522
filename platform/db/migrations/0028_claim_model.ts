import type { Knex } from 'knex';
import { isMysql } from '../knex';
import { EXACT } from './schema';

/**
 * The dealer KPIs filtered by model (issue #12): a claim's model is its sold device's, in
 * `dealer_sales` by serial, so claim approval found each decided line's claim and then its sale, and
 * days to settle each claim's sale (90 days of one model: 104–179 ms at the benchmark's volume). Each
 * claim and each claim line now keeps the model (`claims.model`, `claim_lines.model`): the lines are
 * read from an index by (model, status, decision time), the claims from one by (model, first
 * posting, dealer, submission).
 *
 * Kept by the application in the transaction of the write (platform/db/keptFigures.ts
 * keepClaimModels), and by the SQL seeding the KPI fixture and the benchmark once after its writes:
 * a claim, and a line, takes its sale's model when written; a sale added, changed (model or serial)
 * or removed sets the model of its serial's claims and their lines (found by the serial index added
 * here). A claim's serial never changes once submitted. Not by triggers: MySQL 8 with binary logging
 * and MariaDB with --log-bin refuse them to an application user (issue #20).
 */
const INDEXES = [
  { table: 'claim_lines', columns: ['model', 'status', 'decided_at'], name: 'claim_lines_model_decided_idx' },
  { table: 'claims', columns: ['model', 'first_posted_at', 'dealer_id', 'created_at'], name: 'claims_model_first_posted_idx' },
  { table: 'claims', columns: ['device_serial'], name: 'claims_serial_idx' },
];

/** The model of the sale of `serial`. */
const saleModel = (serial: string) => `(SELECT s.model FROM dealer_sales s WHERE s.device_serial = ${serial})`;
/** The model of the sale of claim `claimId`'s serial. */
const saleModelOfClaim = (claimId: string) => `(SELECT s.model FROM claims c JOIN dealer_sales s ON s.device_serial = c.device_serial WHERE c.id = ${claimId})`;

export async function up(knex: Knex): Promise<void> {
  const mysql = isMysql(knex);
  for (const table of ['claims', 'claim_lines']) {
    await knex.schema.alterTable(table, (t) => {
      const model = t.string('model', 191).nullable();
      if (mysql) model.collate(EXACT);
    });
  }
  await knex.raw(`UPDATE claims SET model = ${saleModel('claims.device_serial')}`);
  await knex.raw(`UPDATE claim_lines SET model = ${saleModelOfClaim('claim_lines.claim_id')}`);
  for (const index of INDEXES) {
    await knex.schema.alterTable(index.table, (t) => {
      t.index(index.columns, index.name);
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const index of [...INDEXES].reverse()) {
    await knex.schema.alterTable(index.table, (t) => {
      t.dropIndex(index.columns, index.name);
    });
  }
  // Not knex's dropColumn: on SQLite it rebuilds the table, which other tables reference.
  await knex.raw('ALTER TABLE claim_lines DROP COLUMN model');
  await knex.raw('ALTER TABLE claims DROP COLUMN model');
}
