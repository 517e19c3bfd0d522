/**
 * A claim and its lines keep the claim's sold device's model (claims.model, claim_lines.model,
 * migration 0028), which the dealer KPIs filter by: set when a claim or line is written (by SQL here,
 * kept as the repository keeps it: platform/db/keptFigures.ts, in the write's transaction), moved when
 * the sale's model or serial changes, cleared when the sale goes, and backfilled by the migration.
 */
import type { Knex } from 'knex';
import { keepClaimModels, keepFirstPostings } from '../../platform/db/keptFigures';
import { migrateLatest, migrationConfig } from '../../platform/db/migrations';
import { KpisRepository } from '../../reports/kpis/repository';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const at = (iso: string) => new Date(iso);

describe.each(testDatabaseKinds())('a claim’s model on %s', (kind) => {
  let db: TestDatabase;
  let knex: Knex;
  let dealerId: number;
  let keys = 0;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    knex = db.knex;
    const [id] = await knex('dealers').insert({ name: 'Model Dealer', region: 'West', created_at: at('2026-01-01T00:00:00Z') });
    dealerId = Number(id);
  });

  afterAll(async () => {
    await db.destroy();
  });

  /** Writes with SQL, and keeps the models of the serials' claims as the repository does, in one transaction. */
  const keptWrite = (serials: string[], write: (trx: Knex.Transaction) => Promise<unknown>) =>
    knex.transaction(async (trx) => {
      await write(trx);
      await keepClaimModels(trx, serials);
    });
  /** A change to the sale of `serial` (both serials when it changes serial). */
  const saleWrite = (serials: string[], write: (sales: Knex.QueryBuilder) => Promise<unknown>) => keptWrite(serials, (trx) => write(trx('dealer_sales').where({ device_serial: serials[0]! })));
  const sale = (serial: string, model: string) =>
    keptWrite([serial], (trx) => trx('dealer_sales').insert({ dealer_id: dealerId, device_serial: serial, model, sale_date: '2026-01-05', customer_name: 'C', card_due_on: '2026-01-25', warranty: 'recognised', created_at: at('2026-01-05T00:00:00Z') }));
  /** A claim of the serial with one line decided (approved) on 2026-03-05; the line's id. `keep: false` before migration 0028. */
  const claimLine = async (serial: string, keep = true): Promise<number> => {
    keys += 1;
    const write = async (trx: Knex.Transaction) => {
      const [claimId] = await trx('claims').insert({ dealer_id: dealerId, device_serial: serial, fault_code: `M${keys}`, repair_date: '2026-02-01', work_done: 'fixed', attachments: '[]', status: 'decided', claim_codes: '[]', audit_required: false, submitted_by: 1, created_at: at('2026-02-01T00:00:00Z'), updated_at: at('2026-02-01T00:00:00Z') });
      const [lineId] = await trx('claim_lines').insert({ claim_id: Number(claimId), dealer_id: dealerId, line_no: 1, kind: 'part', detail: '{}', currency: 'CNY', claimed_minor: 10_000, codes: '[]', status: 'approved', approved_minor: 8_000, decided_at: at('2026-03-05T00:00:00Z') });
      return Number(lineId);
    };
    return knex.transaction(async (trx) => {
      const lineId = await write(trx);
      if (keep) await keepClaimModels(trx, [serial]);
      return lineId;
    });
  };
  /** The line's model, after checking its claim has the same. */
  const modelOf = async (lineId: number) => {
    const row = (await knex('claim_lines as l').join('claims as c', 'c.id', 'l.claim_id').where('l.id', lineId).first('l.model as line', 'c.model as claim')) as { line: string | null; claim: string | null };
    expect(row.claim).toBe(row.line);
    return row.line;
  };

  it('a line written with SQL takes its sale’s model, and the KPI filter finds it by that model', async () => {
    await sale('SN-M1', 'MR-900');
    const line = await claimLine('SN-M1');
    expect(await modelOf(line)).toBe('MR-900');
    const march = { from: at('2026-03-01T00:00:00Z'), to: at('2026-04-01T00:00:00Z') };
    expect(await new KpisRepository(knex).claimApproval({ ...march, model: 'MR-900' })).toEqual({ value: 1, numerator: 1, denominator: 1 });
    expect((await new KpisRepository(knex).claimApproval({ ...march, model: 'US-30' })).denominator).toBe(0);
    // Days to settle reads the claim's model: posted in March, the claim counts under its model only.
    const [settlementId] = await knex('settlements').insert({ dealer_id: dealerId, period: '2026-03', status: 'confirmed', currency: 'CNY', total_minor: 8_000, created_at: at('2026-03-20T00:00:00Z'), updated_at: at('2026-03-20T00:00:00Z') });
    await knex.transaction(async (trx) => {
      await trx('settlement_lines').insert({ settlement_id: Number(settlementId), claim_line_id: line, amount_minor: 8_000 });
      await trx('ledger_entries').insert({ dealer_id: dealerId, settlement_id: Number(settlementId), kind: 'warranty_writeoff', currency: 'CNY', amount_minor: -8_000, memo: 'sql', posted_at: at('2026-03-21T00:00:00Z') });
      await keepFirstPostings(trx, [Number(settlementId)]);
    });
    expect(await new KpisRepository(knex).daysToSettle({ ...march, model: 'MR-900' })).toEqual({ value: 48, count: 1 });
    expect((await new KpisRepository(knex).daysToSettle({ ...march, model: 'US-30' })).count).toBe(0);
  });

  it('follows the sale: its model corrected, its serial corrected, the sale removed; other changes leave it', async () => {
    await sale('SN-M2', 'CT-200');
    const line = await claimLine('SN-M2');
    const other = await claimLine('SN-M1');
    await saleWrite(['SN-M2'], (sales) => sales.update({ model: 'CT-300' }));
    expect(await modelOf(line)).toBe('CT-300');
    await knex('dealer_sales').where({ device_serial: 'SN-M2' }).update({ warranty: 'not_recognised' });
    expect(await modelOf(line)).toBe('CT-300');
    await saleWrite(['SN-M2', 'SN-M2b'], (sales) => sales.update({ device_serial: 'SN-M2b' }));
    expect(await modelOf(line)).toBeNull();
    await saleWrite(['SN-M2b', 'SN-M2'], (sales) => sales.update({ device_serial: 'SN-M2' }));
    expect(await modelOf(line)).toBe('CT-300');
    await saleWrite(['SN-M2'], (sales) => sales.delete());
    expect(await modelOf(line)).toBeNull();
    await sale('SN-M2', 'CT-200');
    expect(await modelOf(line)).toBe('CT-200');
    expect(await modelOf(other)).toBe('MR-900');
  });

  it('is backfilled by the migration for lines written before it', async () => {
    await sale('SN-M3', 'DR-7000');
    await knex.migrate.down({ ...migrationConfig, name: '0029_drop_figure_triggers' });
    await knex.migrate.down({ ...migrationConfig, name: '0028_claim_model' });
    expect(await knex.schema.hasColumn('claim_lines', 'model')).toBe(false);
    const line = await claimLine('SN-M3', false);
    const orphan = await claimLine('SN-NO-SALE', false);
    await migrateLatest(knex);
    expect(await modelOf(line)).toBe('DR-7000');
    expect(await modelOf(orphan)).toBeNull();
  });
});
