import type { Knex } from 'knex';
import { EXACT, instant, oneOf, utf8mb4For } from './schema';

/**
 * Dealer warranty (三包, PRODUCT §P5): dealer terms, models' parts lists and labour operations,
 * dealer sales with their warranty cards, claims and their cost lines, settlements and the
 * receivables ledger.
 *
 * Exactly-once settlement lives in the keys, not in the code that uses them:
 * - `settlement_lines.claim_line_id` is unique: a claim line is in at most one statement, ever;
 * - `settlements (dealer_id, period)` is unique: two runs of the same period find one statement;
 * - `ledger_entries.settlement_id` is unique: a statement posts to the ledger at most once.
 * A duplicate claim (same device, fault and repair date) is refused by `claims.duplicate_key`,
 * set on live claims only (NULLs do not collide), so a rejected claim does not block a corrected one.
 */
export async function up(knex: Knex): Promise<void> {
  const utf8mb4 = utf8mb4For(knex);
  await knex.schema.alterTable('dealers', (table) => {
    table.string('region', 191).nullable();
    table.string('receivables_account', 191).nullable();
    table.string('contact_email', 191).nullable();
    table.string('locale', 8).notNullable().defaultTo('zh-CN');
  });

  await knex.schema.createTable('model_parts', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('model', 191).notNullable().collate(EXACT);
    table.string('part_no', 191).notNullable().collate(EXACT);
    table.string('name', 191).nullable();
    table.unique(['model', 'part_no'], { indexName: 'model_parts_unique' });
  });

  await knex.schema.createTable('model_operations', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.string('model', 191).notNullable().collate(EXACT);
    table.string('operation', 191).notNullable().collate(EXACT);
    table.integer('standard_hundredths').unsigned().notNullable();
    table.unique(['model', 'operation'], { indexName: 'model_operations_unique' });
  });

  await knex.schema.createTable('dealer_sales', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('dealer_id').unsigned().notNullable();
    table.string('device_serial', 191).notNullable().collate(EXACT);
    table.string('model', 191).notNullable().collate(EXACT);
    table.string('sale_date', 10).notNullable();
    table.string('customer_name', 191).notNullable();
    table.string('card_due_on', 10).notNullable();
    table.string('card_completed_on', 10).nullable();
    table.json('card').nullable();
    table.string('warranty', 16).notNullable().defaultTo('pending');
    oneOf(table, 'warranty', ['pending', 'recognised', 'not_recognised'], 'dealer_sales_warranty_check');
    table.string('warranty_ends_on', 10).nullable();
    instant(table, 'created_at').notNullable();
    table.unique(['device_serial'], { indexName: 'dealer_sales_serial_unique' });
    table.index(['dealer_id'], 'dealer_sales_dealer_idx');
  });

  await knex.schema.createTable('dealer_tasks', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('dealer_id').unsigned().notNullable();
    table.string('device_serial', 191).notNullable().collate(EXACT);
    table.string('customer_name', 191).notNullable();
    table.string('customer_phone', 64).nullable();
    table.string('request', 2000).notNullable();
    table.string('status', 16).notNullable();
    oneOf(table, 'status', ['open', 'arranged'], 'dealer_tasks_status_check');
    instant(table, 'arrange_due_at').notNullable();
    instant(table, 'clerk_check_at').notNullable();
    instant(table, 'arranged_at').nullable();
    instant(table, 'visit_at').nullable();
    table.string('arrangement', 2000).nullable();
    table.integer('created_by').unsigned().notNullable();
    instant(table, 'created_at').notNullable();
    table.index(['dealer_id', 'status'], 'dealer_tasks_dealer_status_idx');
  });

  await knex.schema.createTable('claims', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('dealer_id').unsigned().notNullable();
    table.integer('sale_id').unsigned().nullable();
    table.string('device_serial', 191).notNullable().collate(EXACT);
    table.string('fault_code', 64).notNullable();
    table.string('repair_date', 10).notNullable();
    table.text('work_done').notNullable();
    table.string('signature_ref', 500).nullable();
    table.json('attachments').notNullable();
    table.string('status', 16).notNullable();
    oneOf(table, 'status', ['in_review', 'sent_back', 'decided', 'rejected'], 'claims_status_check');
    table.json('claim_codes').notNullable();
    table.string('duplicate_key', 191).nullable().collate(EXACT);
    table.string('parts_due_on', 10).nullable();
    table.boolean('audit_required').notNullable();
    instant(table, 'audited_at').nullable();
    table.string('audit_note', 2000).nullable();
    table.integer('resubmissions').notNullable().defaultTo(0);
    instant(table, 'sent_back_at').nullable();
    table.integer('submitted_by').unsigned().notNullable();
    instant(table, 'created_at').notNullable();
    instant(table, 'updated_at').notNullable();
    table.unique(['duplicate_key'], { indexName: 'claims_duplicate_unique' });
    table.index(['dealer_id', 'status'], 'claims_dealer_status_idx');
  });

  await knex.schema.createTable('claim_lines', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('claim_id').unsigned().notNullable().references('id').inTable('claims');
    table.integer('dealer_id').unsigned().notNullable();
    table.integer('line_no').notNullable();
    table.string('kind', 16).notNullable();
    oneOf(table, 'kind', ['part', 'labour', 'travel', 'other'], 'claim_lines_kind_check');
    table.json('detail').notNullable();
    table.string('currency', 3).notNullable();
    table.bigInteger('claimed_minor').notNullable();
    table.json('codes').notNullable();
    table.string('status', 16).notNullable();
    oneOf(table, 'status', ['open', 'approved', 'rejected', 'sent_back', 'lost'], 'claim_lines_status_check');
    table.bigInteger('approved_minor').nullable();
    table.string('decision_reason', 2000).nullable();
    instant(table, 'decided_at').nullable();
    table.integer('decided_by').unsigned().nullable();
    table.string('received_on', 10).nullable();
    table.string('appraisal', 24).nullable();
    table.unique(['claim_id', 'line_no'], { indexName: 'claim_lines_unique' });
    table.index(['dealer_id', 'status'], 'claim_lines_dealer_status_idx');
  });

  await knex.schema.createTable('settlements', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('dealer_id').unsigned().notNullable();
    table.string('period', 7).notNullable();
    table.integer('version').notNullable().defaultTo(1);
    table.string('status', 16).notNullable();
    oneOf(table, 'status', ['review', 'sent', 'confirmed', 'disputed'], 'settlements_status_check');
    table.string('currency', 3).notNullable();
    table.bigInteger('total_minor').notNullable();
    instant(table, 'confirm_due_at').nullable();
    table.string('dispute_reason', 2000).nullable();
    table.string('dispute_answer', 2000).nullable();
    table.integer('started_by').unsigned().nullable();
    instant(table, 'created_at').notNullable();
    instant(table, 'updated_at').notNullable();
    table.unique(['dealer_id', 'period', 'currency'], { indexName: 'settlements_period_unique' });
  });

  await knex.schema.createTable('settlement_lines', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('settlement_id').unsigned().notNullable().references('id').inTable('settlements');
    table.integer('claim_line_id').unsigned().notNullable().references('id').inTable('claim_lines');
    table.bigInteger('amount_minor').notNullable();
    table.unique(['claim_line_id'], { indexName: 'settlement_lines_once' });
    table.index(['settlement_id'], 'settlement_lines_settlement_idx');
  });

  await knex.schema.createTable('ledger_entries', (table) => {
    utf8mb4(table);
    table.increments('id');
    table.integer('dealer_id').unsigned().notNullable();
    table.integer('settlement_id').unsigned().notNullable().references('id').inTable('settlements');
    table.string('kind', 32).notNullable();
    table.string('currency', 3).notNullable();
    table.bigInteger('amount_minor').notNullable();
    table.string('memo', 500).notNullable();
    instant(table, 'posted_at').notNullable();
    table.unique(['settlement_id'], { indexName: 'ledger_entries_once' });
    table.index(['dealer_id'], 'ledger_entries_dealer_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['ledger_entries', 'settlement_lines', 'settlements', 'claim_lines', 'claims', 'dealer_tasks', 'dealer_sales', 'model_operations', 'model_parts']) {
    await knex.schema.dropTable(table);
  }
  await knex.schema.alterTable('dealers', (table) => {
    table.dropColumn('region');
    table.dropColumn('receivables_account');
    table.dropColumn('contact_email');
    table.dropColumn('locale');
  });
}
