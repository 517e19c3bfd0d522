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
 * Kept by triggers, so that the SQL seeding the KPI fixture and the benchmark keeps them too, as the
 * repository does: a claim, and a line, takes its sale's model when inserted; a sale inserted,
 * changed (model or serial) or deleted sets the model of its serial's claims and their lines (found
 * by the serial index added here). A claim's serial never changes once submitted.
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

function triggers(mysql: boolean): string[] {
  // The claims of `serials` and their lines set to `model` ($serial: the claim's serial), when `when`.
  const setClaims = (serials: string, model: string, when = '') =>
    mysql
      ? `UPDATE claims c LEFT JOIN claim_lines l ON l.claim_id = c.id SET c.model = ${model.replaceAll('$serial', 'c.device_serial')}, l.model = ${model.replaceAll('$serial', 'c.device_serial')}
         WHERE c.device_serial IN (${serials})${when}`
      : `BEGIN
           UPDATE claim_lines SET model = ${model.replaceAll('$serial', '(SELECT c.device_serial FROM claims c WHERE c.id = claim_lines.claim_id)')}
             WHERE claim_id IN (SELECT c.id FROM claims c WHERE c.device_serial IN (${serials}))${when};
           UPDATE claims SET model = ${model.replaceAll('$serial', 'claims.device_serial')} WHERE device_serial IN (${serials})${when};
         END`;
  const changed = ' AND (NEW.model <> OLD.model OR NEW.device_serial <> OLD.device_serial)';
  // MySQL sets the new row's column before it is written; SQLite, which cannot, updates it after.
  const takeOnInsert = (name: string, table: string, model: string) =>
    mysql
      ? `CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW SET NEW.model = ${model}`
      : `CREATE TRIGGER ${name} AFTER INSERT ON ${table} FOR EACH ROW BEGIN UPDATE ${table} SET model = ${model} WHERE id = NEW.id; END`;
  return [
    takeOnInsert('claims_model', 'claims', saleModel('NEW.device_serial')),
    takeOnInsert('claim_lines_model', 'claim_lines', saleModelOfClaim('NEW.claim_id')),
    `CREATE TRIGGER dealer_sales_claim_model_insert AFTER INSERT ON dealer_sales FOR EACH ROW ${setClaims('NEW.device_serial', 'NEW.model')}`,
    `CREATE TRIGGER dealer_sales_claim_model_update AFTER UPDATE ON dealer_sales FOR EACH ROW ${setClaims('NEW.device_serial, OLD.device_serial', 'CASE WHEN $serial = NEW.device_serial THEN NEW.model END', changed)}`,
    `CREATE TRIGGER dealer_sales_claim_model_delete AFTER DELETE ON dealer_sales FOR EACH ROW ${setClaims('OLD.device_serial', 'NULL')}`,
  ];
}
const TRIGGER_NAMES = ['claims_model', 'claim_lines_model', 'dealer_sales_claim_model_insert', 'dealer_sales_claim_model_update', 'dealer_sales_claim_model_delete'];

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
  for (const trigger of triggers(mysql)) await knex.raw(trigger);
}

export async function down(knex: Knex): Promise<void> {
  for (const name of [...TRIGGER_NAMES].reverse()) await knex.raw(`DROP TRIGGER IF EXISTS ${name}`);
  for (const index of [...INDEXES].reverse()) {
    await knex.schema.alterTable(index.table, (t) => {
      t.dropIndex(index.columns, index.name);
    });
  }
  // Not knex's dropColumn: on SQLite it rebuilds the table, which other tables reference.
  await knex.raw('ALTER TABLE claim_lines DROP COLUMN model');
  await knex.raw('ALTER TABLE claims DROP COLUMN model');
}
