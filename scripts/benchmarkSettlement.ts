/**
 * Dealer settlement at scale: BENCH_SETTLEMENT_LINES approved lines (default 100,000) across
 * BENCH_SETTLEMENT_DEALERS dealers (default 1,000) settled by the real repository code, timed next
 * to one set-based SQL statement computing the same per-dealer totals in the same run; the two
 * must agree to the minor unit. Run alone with `npx tsx scripts/benchmarkSettlement.ts` (set
 * DATABASE_URL for MySQL), or as part of `npm run benchmark`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { createKnex } from '../platform/db/knex';
import { migrateLatest } from '../platform/db/migrations';
import { DealerWarrantyRepository } from '../processes/dealer/repository';
import { periodBounds } from '../processes/dealer/settlement/rules';
import { DEFAULT_POLICY } from '../domain/policy';

export async function benchmarkSettlement(knex: Knex, report: (what: string, figure: string) => void): Promise<void> {
  const lines = Number(process.env.BENCH_SETTLEMENT_LINES ?? 100_000);
  const dealers = Number(process.env.BENCH_SETTLEMENT_DEALERS ?? 1_000);
  const perDealer = Math.ceil(lines / dealers);
  const period = '2026-10';
  const decidedAt = new Date('2026-10-15T04:00:00Z');
  console.log(`\nDealer settlement: ${lines.toLocaleString('en')} approved lines for ${dealers.toLocaleString('en')} dealers`);

  let started = performance.now();
  const prefix = `bench-${Date.now()}`;
  const dealerIds: number[] = [];
  for (let first = 0; first < dealers; first += 500) {
    const batch = Array.from({ length: Math.min(500, dealers - first) }, (_, i) => ({ name: `${prefix}-${first + i}`, created_at: new Date() }));
    await knex('dealers').insert(batch);
  }
  for (const row of (await knex('dealers').where('name', 'like', `${prefix}-%`).orderBy('id').select('id')) as Array<{ id: number }>) dealerIds.push(Number(row.id));
  const claimRows = dealerIds.map((dealerId, i) => ({
    dealer_id: dealerId,
    device_serial: `${prefix}-SN-${i}`,
    fault_code: 'E1',
    repair_date: '2026-10-01',
    work_done: 'bench',
    attachments: '[]',
    status: 'decided',
    claim_codes: '[]',
    audit_required: false,
    submitted_by: 1,
    created_at: decidedAt,
    updated_at: decidedAt,
  }));
  for (let first = 0; first < claimRows.length; first += 500) await knex('claims').insert(claimRows.slice(first, first + 500));
  const claims = (await knex('claims').where('device_serial', 'like', `${prefix}-SN-%`).orderBy('id').select('id', 'dealer_id')) as Array<{ id: number; dealer_id: number }>;
  let written = 0;
  let batch: Record<string, unknown>[] = [];
  for (const claim of claims) {
    for (let n = 1; n <= perDealer && written < lines; n += 1, written += 1) {
      const amount = 100 + ((written * 7919) % 100_000);
      batch.push({ claim_id: claim.id, dealer_id: claim.dealer_id, line_no: n, kind: 'other', detail: '{}', currency: 'CNY', claimed_minor: amount, codes: '[]', status: 'approved', approved_minor: amount, decided_at: decidedAt });
      if (batch.length === 1000) {
        await knex('claim_lines').insert(batch);
        batch = [];
      }
    }
  }
  if (batch.length > 0) await knex('claim_lines').insert(batch);
  report('load approved lines', `${((performance.now() - started) / 1000).toFixed(1)} s`);

  const { end } = periodBounds(period, DEFAULT_POLICY.dealer.settlementTimeZone);
  started = performance.now();
  const setBased = (await knex('claim_lines')
    .where({ status: 'approved' })
    .where('decided_at', '<', end)
    .whereIn('dealer_id', dealerIds)
    .groupBy('dealer_id', 'currency')
    .select('dealer_id', 'currency')
    .sum({ total: 'approved_minor' })) as Array<{ dealer_id: number; total: unknown }>;
  report('one set-based SQL statement: totals per dealer', `${(performance.now() - started).toFixed(0)} ms`);

  started = performance.now();
  const ids = await new DealerWarrantyRepository(knex).runSettlement(period, DEFAULT_POLICY.dealer, new Date());
  const seconds = (performance.now() - started) / 1000;
  report('runSettlement: freeze one statement per dealer', `${seconds.toFixed(1)} s (${Math.round(lines / seconds).toLocaleString('en')} lines/s)`);

  const statements = (await knex('settlements').whereIn('id', ids).whereIn('dealer_id', dealerIds).select('dealer_id', 'total_minor')) as Array<{ dealer_id: number; total_minor: unknown }>;
  const expected = new Map(setBased.map((r) => [Number(r.dealer_id), Number(r.total)]));
  const mismatches = statements.filter((s) => expected.get(Number(s.dealer_id)) !== Number(s.total_minor)).length;
  report('statements agree with the set-based totals', mismatches === 0 && statements.length === expected.size ? `yes (${statements.length} statements)` : `NO: ${mismatches} differ, ${statements.length}/${expected.size}`);
}

if (require.main === module) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-bench-settlement-'));
  const knex = createKnex({ databaseUrl: process.env.DATABASE_URL, dataDir });
  migrateLatest(knex)
    .then(() => benchmarkSettlement(knex, (what, figure) => console.log(`  ${what.padEnd(52)} ${figure}`)))
    .then(() => knex.destroy())
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
