import type { Knex } from 'knex';
import { isMysql } from '../knex';
import { EXACT } from './schema';

/**
 * The dealer KPIs filtered by model (issue #12): a claim's model is its sold device's, in
 * `dealer_sales` by serial, so claim approval found each decided line's claim and then its sale
 * (90 days of one model: 104–179 ms at the benchmark's volume). Each claim line now keeps the model
 * (`claim_lines.model`), read from an index by (model, status, decision time).
 *
 * Kept by triggers, as `dealer_id` on the line is kept by the writer, so that the SQL seeding the KPI
 * fixture and the benchmark keeps it too: a line takes its claim's sale's model when inserted; a sale
 * inserted, changed (model or serial) or deleted sets the model of the lines of its serial's claims
 * (found by the serial index added here). A claim's serial never changes once submitted.
 */
const LINE_INDEX = { columns: ['model', 'status', 'decided_at'], name: 'claim_lines_model_decided_idx' };
const CLAIM_SERIAL_INDEX = { columns: ['device_serial'], name: 'claims_serial_idx' };

/** The model of the sale of claim `claimId`'s serial. */
const saleModelOfClaim = (claimId: string) => `(SELECT s.model FROM claims c JOIN dealer_sales s ON s.device_serial = c.device_serial WHERE c.id = ${claimId})`;

function triggers(mysql: boolean): string[] {
  // Lines of the claims of a serial, set to `model`: MySQL joins, SQLite selects the claims by the serial index.
  const setLines = (serials: string, model: string, when = '') =>
    mysql
      ? `UPDATE claim_lines l JOIN claims c ON c.id = l.claim_id SET l.model = ${model.replaceAll('$serial', 'c.device_serial')} WHERE c.device_serial IN (${serials})${when}`
      : `BEGIN UPDATE claim_lines SET model = ${model.replaceAll('$serial', '(SELECT c.device_serial FROM claims c WHERE c.id = claim_lines.claim_id)')}
           WHERE claim_id IN (SELECT c.id FROM claims c WHERE c.device_serial IN (${serials}))${when}; END`;
  const changed = ' AND (NEW.model <> OLD.model OR NEW.device_serial <> OLD.device_serial)';
  return [
    mysql
      ? `CREATE TRIGGER claim_lines_model BEFORE INSERT ON claim_lines FOR EACH ROW SET NEW.model = ${saleModelOfClaim('NEW.claim_id')}`
      : `CREATE TRIGGER claim_lines_model AFTER INSERT ON claim_lines FOR EACH ROW BEGIN UPDATE claim_lines SET model = ${saleModelOfClaim('NEW.claim_id')} WHERE id = NEW.id; END`,
    `CREATE TRIGGER dealer_sales_line_model_insert AFTER INSERT ON dealer_sales FOR EACH ROW ${setLines('NEW.device_serial', 'NEW.model')}`,
    `CREATE TRIGGER dealer_sales_line_model_update AFTER UPDATE ON dealer_sales FOR EACH ROW ${setLines('NEW.device_serial, OLD.device_serial', 'CASE WHEN $serial = NEW.device_serial THEN NEW.model END', changed)}`,
    `CREATE TRIGGER dealer_sales_line_model_delete AFTER DELETE ON dealer_sales FOR EACH ROW ${setLines('OLD.device_serial', 'NULL')}`,
  ];
}
const TRIGGER_NAMES = ['claim_lines_model', 'dealer_sales_line_model_insert', 'dealer_sales_line_model_update', 'dealer_sales_line_model_delete'];

export async function up(knex: Knex): Promise<void> {
  const mysql = isMysql(knex);
  await knex.schema.alterTable('claim_lines', (table) => {
    const model = table.string('model', 191).nullable();
    if (mysql) model.collate(EXACT);
  });
  await knex.raw(`UPDATE claim_lines SET model = ${saleModelOfClaim('claim_lines.claim_id')}`);
  await knex.schema.alterTable('claim_lines', (table) => {
    table.index(LINE_INDEX.columns, LINE_INDEX.name);
  });
  await knex.schema.alterTable('claims', (table) => {
    table.index(CLAIM_SERIAL_INDEX.columns, CLAIM_SERIAL_INDEX.name);
  });
  for (const trigger of triggers(mysql)) await knex.raw(trigger);
}

export async function down(knex: Knex): Promise<void> {
  for (const name of [...TRIGGER_NAMES].reverse()) await knex.raw(`DROP TRIGGER IF EXISTS ${name}`);
  await knex.schema.alterTable('claims', (table) => {
    table.dropIndex(CLAIM_SERIAL_INDEX.columns, CLAIM_SERIAL_INDEX.name);
  });
  await knex.schema.alterTable('claim_lines', (table) => {
    table.dropIndex(LINE_INDEX.columns, LINE_INDEX.name);
  });
  // Not knex's dropColumn: on SQLite it rebuilds the table, which the statement lines reference.
  await knex.raw('ALTER TABLE claim_lines DROP COLUMN model');
}
