/**
 * A claim keeps its first ledger posting (claims.first_posted_at, migration 0027), which days to
 * settle reads: set when a statement with a line of the claim posts, through the repository or
 * by SQL kept as the repository keeps it (platform/db/keptFigures.ts, in the write's transaction),
 * never moved later, and backfilled for postings made before the migration.
 */
import type { Knex } from 'knex';
import { keepFirstPostings } from '../../platform/db/keptFigures';
import { migrateLatest, migrationConfig } from '../../platform/db/migrations';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const at = (iso: string) => new Date(iso);

describe.each(testDatabaseKinds())('a claim’s first posting on %s', (kind) => {
  let db: TestDatabase;
  let knex: Knex;
  let dealerId: number;
  let keys = 0;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    knex = db.knex;
    const [id] = await knex('dealers').insert({ name: 'Posting Dealer', region: 'East', created_at: at('2026-01-01T00:00:00Z') });
    dealerId = Number(id);
  });

  afterAll(async () => {
    await db.destroy();
  });

  const insertId = async (table: string, row: Record<string, unknown>): Promise<number> => {
    const [id] = await knex(table).insert(row);
    return Number(id);
  };
  /** A decided claim with `lines` approved lines; the ids of its lines. */
  const claimWithLines = async (lines: number): Promise<{ claimId: number; lineIds: number[] }> => {
    keys += 1;
    const claimId = await insertId('claims', { dealer_id: dealerId, device_serial: `SN-P${keys}`, fault_code: `F${keys}`, repair_date: '2026-02-01', work_done: 'fixed', attachments: '[]', status: 'decided', claim_codes: '[]', audit_required: false, submitted_by: 1, created_at: at('2026-02-01T00:00:00Z'), updated_at: at('2026-02-01T00:00:00Z') });
    const lineIds: number[] = [];
    for (let n = 1; n <= lines; n += 1) {
      lineIds.push(await insertId('claim_lines', { claim_id: claimId, dealer_id: dealerId, line_no: n, kind: 'part', detail: '{}', currency: 'CNY', claimed_minor: 10_000, codes: '[]', status: 'approved', approved_minor: 8_000, decided_at: at('2026-02-05T00:00:00Z') }));
    }
    return { claimId, lineIds };
  };
  /** A confirmed statement of the lines, not yet posted. */
  const statement = async (period: string, lineIds: number[]): Promise<number> => {
    const settlementId = await insertId('settlements', { dealer_id: dealerId, period, status: 'confirmed', currency: 'CNY', total_minor: 8_000 * lineIds.length, created_at: at('2026-03-01T00:00:00Z'), updated_at: at('2026-03-01T00:00:00Z') });
    for (const lineId of lineIds) await addLine(settlementId, lineId);
    return settlementId;
  };
  /** Writes with SQL, and keeps the first postings of the statement as the repository does, in one transaction. */
  const keptWrite = (settlementId: number, write: (trx: Knex.Transaction) => Promise<unknown>) =>
    knex.transaction(async (trx) => {
      await write(trx);
      await keepFirstPostings(trx, [settlementId]);
    });
  const addLine = (settlementId: number, lineId: number) => keptWrite(settlementId, (trx) => trx('settlement_lines').insert({ settlement_id: settlementId, claim_line_id: lineId, amount_minor: 8_000 }));
  const postWithSql = (settlementId: number, postedAt: string) =>
    keptWrite(settlementId, (trx) => trx('ledger_entries').insert({ dealer_id: dealerId, settlement_id: settlementId, kind: 'warranty_writeoff', currency: 'CNY', amount_minor: -8_000, memo: 'sql', posted_at: at(postedAt) }));
  const firstPosted = async (claimId: number): Promise<string | null> => {
    const row = (await knex('claims').where({ id: claimId }).first('first_posted_at')) as { first_posted_at: Date | number | null };
    return row.first_posted_at === null ? null : new Date(row.first_posted_at).toISOString();
  };

  it('is set on the statement’s claims when the repository posts it, in the posting’s transaction', async () => {
    const a = await claimWithLines(2);
    const b = await claimWithLines(1);
    const other = await claimWithLines(1);
    const settlementId = await statement('2026-03', [a.lineIds[0]!, b.lineIds[0]!]);
    expect(await firstPosted(a.claimId)).toBeNull();

    await new DealerWarrantyRepository(knex).postToLedger(settlementId, at('2026-03-20T10:00:00.123Z'));
    expect(await firstPosted(a.claimId)).toBe('2026-03-20T10:00:00.123Z');
    expect(await firstPosted(b.claimId)).toBe('2026-03-20T10:00:00.123Z');
    expect(await firstPosted(other.claimId)).toBeNull();
  });

  it('is set by a posting written with SQL, and only an earlier posting moves it', async () => {
    const claim = await claimWithLines(3);
    await postWithSql(await statement('2026-04', [claim.lineIds[0]!]), '2026-04-20T00:00:00Z');
    expect(await firstPosted(claim.claimId)).toBe('2026-04-20T00:00:00.000Z');

    // A later statement settling another line of the claim: the first posting stays.
    await postWithSql(await statement('2026-05', [claim.lineIds[1]!]), '2026-05-20T00:00:00Z');
    expect(await firstPosted(claim.claimId)).toBe('2026-04-20T00:00:00.000Z');

    // A posting dated earlier (written out of order) is the first one.
    await postWithSql(await statement('2026-02', [claim.lineIds[2]!]), '2026-03-02T00:00:00Z');
    expect(await firstPosted(claim.claimId)).toBe('2026-03-02T00:00:00.000Z');
  });

  it('is set when a line is added to a statement already posted', async () => {
    const claim = await claimWithLines(1);
    const settlementId = await statement('2026-06', []);
    await postWithSql(settlementId, '2026-06-20T00:00:00Z');
    expect(await firstPosted(claim.claimId)).toBeNull();

    await addLine(settlementId, claim.lineIds[0]!);
    expect(await firstPosted(claim.claimId)).toBe('2026-06-20T00:00:00.000Z');
  });

  it('is backfilled by the migration for postings made before it', async () => {
    const claim = await claimWithLines(2);
    const unposted = await claimWithLines(1);
    await postWithSql(await statement('2026-07', [claim.lineIds[0]!]), '2026-07-20T00:00:00Z');
    await postWithSql(await statement('2026-08', [claim.lineIds[1]!]), '2026-07-10T00:00:00Z');
    await statement('2026-09', [unposted.lineIds[0]!]);

    // 0028 indexes the column 0027 adds: undone first (and 0029 after it), as a rollback would.
    await knex.migrate.down({ ...migrationConfig, name: '0029_drop_figure_triggers' });
    await knex.migrate.down({ ...migrationConfig, name: '0028_claim_model' });
    await knex.migrate.down({ ...migrationConfig, name: '0027_claim_first_posting' });
    expect(await knex.schema.hasColumn('claims', 'first_posted_at')).toBe(false);
    await migrateLatest(knex);
    expect(await firstPosted(claim.claimId)).toBe('2026-07-10T00:00:00.000Z');
    expect(await firstPosted(unposted.claimId)).toBeNull();
  });
});
