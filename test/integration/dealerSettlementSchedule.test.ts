/**
 * The settlement Schedule against a real Temporal server and database: fired twice, plus two
 * on-demand runs of the same period at once, it freezes one statement per dealer; the posting
 * activity run again (as Temporal retries it after a worker kill) posts one ledger entry; a
 * reviewed statement's write-off notice reaches the dealer at the SMTP sink.
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { settleBackgroundWork, startApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { UsersRepository } from '../../people/repository';
import { DealersRepository } from '../../installedBase/dealers';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { DEFAULT_POLICY } from '../../domain/policy';
import { ensureSettlementSchedule, settlementScheduleSpec } from '../../processes/dealer/settlement/schedule';
import { previousPeriod } from '../../processes/dealer/settlement/dealerSettlement.workflow';
import { startTestSystem, type TestSystem } from '../support/services';
import { ALL_ROWS } from '../../domain/access';

const policy = DEFAULT_POLICY.dealer;

describe('dealer settlement Schedule', () => {
  let system: TestSystem;
  const dealerIds: number[] = [];
  let approvedLines = 0;

  beforeAll(async () => {
    system = await startTestSystem('dealer-schedule');
    const { knex } = system.db;
    const repo = new DealerWarrantyRepository(knex);
    const full = { ...policy, auditSampleRate: 0 };
    await repo.putModelReference('M1', [{ partNo: 'P-1' }], [{ operation: 'inspect', standardHundredths: 50 }]);
    for (const name of ['Schedule Dealer A', 'Schedule Dealer B']) {
      const dealerId = (await new DealersRepository(knex).create(name)).id;
      dealerIds.push(dealerId);
      for (let i = 0; i < 3; i += 1) {
        const serial = `SN-S${dealerId}-${i}`;
        const sale = await repo.createSale({ dealerId, deviceSerial: serial, model: 'M1', saleDate: '2026-01-05', customerName: 'C' }, full, new Date());
        await repo.completeCard(sale.id, '2026-01-10', {}, DEFAULT_POLICY, ALL_ROWS);
        const claim = await repo.submitClaim({ dealerId, deviceSerial: serial, faultCode: 'E1', repairDate: '2026-02-01', workDone: 'w', lines: [{ kind: 'travel', amount: { amount: 1000 + i, currency: 'CNY' } }, { kind: 'other', amount: { amount: 7, currency: 'CNY' }, description: 'x' }] }, full, 1, new Date(), '2026-02-02');
        await repo.decide(claim.id, [{ lineNo: 1, decision: { kind: 'approve' } }, { lineNo: 2, decision: { kind: 'approve' } }], full, 1, new Date());
        approvedLines += 2;
      }
    }
    // Decided last month: the Schedule's run settles the month before it fires.
    await knex('claim_lines').update({ decided_at: new Date(Date.now() - 40 * 86_400_000) });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('runs monthly at 00:30 on the 1st in Shanghai by default, else every settlementPeriod', () => {
    expect(settlementScheduleSpec(policy)).toEqual({ calendars: [{ dayOfMonth: 1, hour: 0, minute: 30 }], timezone: 'Asia/Shanghai' });
    expect(settlementScheduleSpec({ ...policy, settlementPeriod: 'PT10S' })).toEqual({ intervals: [{ every: 10_000 }] });
    expect(previousPeriod(new Date('2026-12-31T16:30:00Z'), 'Asia/Shanghai')).toBe('2026-12');
    expect(previousPeriod(new Date('2027-01-01T00:00:00Z'), 'Asia/Shanghai')).toBe('2026-12');
    expect(previousPeriod(new Date('2026-11-30T12:00:00Z'), 'Asia/Shanghai')).toBe('2026-10');
  });

  it('fired twice and run twice on demand, freezes one statement per dealer holding each line once', async () => {
    const { client, taskQueue } = system.temporal;
    const scheduleId = `dealer-settlement-${taskQueue}`;
    await ensureSettlementSchedule(client, taskQueue, policy, scheduleId);
    await ensureSettlementSchedule(client, taskQueue, policy, scheduleId);
    const schedule = client.schedule.getHandle(scheduleId);
    try {
      // A Schedule names its runs by the second they fire: two fires a second apart are two runs.
      await schedule.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await schedule.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
      const period = previousPeriod(new Date(), 'Asia/Shanghai');
      const onDemand = await Promise.all(
        [1, 2].map((n) => client.workflow.execute('dealerSettlementRun', { taskQueue, workflowId: `settle-${period}-${taskQueue}-${n}`, args: [{ period, timeZone: 'Asia/Shanghai' }] })),
      );
      let runs: string[] = [];
      for (let tries = 0; tries < 100 && runs.length < 2; tries += 1) {
        runs = (await schedule.describe()).info.recentActions.map((a) => a.action.workflow.workflowId);
        if (runs.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(runs).toHaveLength(2);
      const fired = await Promise.all(runs.map((id) => client.workflow.getHandle(id).result()));
      const results = [...fired, ...onDemand] as Array<{ period: string; settlementIds: number[] }>;
      expect(new Set(results.map((r) => r.period))).toEqual(new Set([period]));
      expect(results.every((r) => JSON.stringify(r.settlementIds) === JSON.stringify(results[0]!.settlementIds))).toBe(true);
      const statements = await system.db.knex('settlements').where({ period }).select('dealer_id', 'total_minor');
      expect(statements.map((s) => Number(s.dealer_id)).sort()).toEqual([...dealerIds].sort());
      expect(statements.map((s) => Number(s.total_minor))).toEqual([1000 + 1001 + 1002 + 21, 1000 + 1001 + 1002 + 21]);
      expect(Number(((await system.db.knex('settlement_lines').count({ n: '*' }).first()) as { n: unknown }).n)).toBe(approvedLines);
    } finally {
      await schedule.delete();
    }
  });

  it('the posting activity, run again as a retry would, posts the confirmed statement once', async () => {
    const { knex } = system.db;
    const [statement] = (await knex('settlements').orderBy('id').limit(1).select('id', 'dealer_id', 'total_minor')) as Array<{ id: number; dealer_id: number; total_minor: number }>;
    // Refused with its words (said in each reader's language).
    await expect(system.activities.postSettlementToLedger({ settlementId: statement!.id })).rejects.toMatchObject({ words: { key: 'refusal.dealer.statementNotConfirmed', params: { status: 'review' } } });
    await knex('settlements').where({ id: statement!.id }).update({ status: 'confirmed' });
    const [first, second] = await Promise.all([system.activities.postSettlementToLedger({ settlementId: statement!.id }), system.activities.postSettlementToLedger({ settlementId: statement!.id })]);
    const third = await system.activities.postSettlementToLedger({ settlementId: statement!.id });
    expect(new Set([first, second, third]).size).toBe(1);
    const entries = await knex('ledger_entries').where({ settlement_id: statement!.id });
    expect(entries).toHaveLength(1);
    expect(Number(entries[0].amount_minor)).toBe(-Number(statement!.total_minor));
  });

  it('a reviewed statement mails its write-off notice to the dealer, in its language, once per version', async () => {
    const { knex } = system.db;
    const dealerId = dealerIds[1]!;
    await knex('dealers').where({ id: dealerId }).update({ contact_email: 'finance@dealer-b.test', locale: 'en' });
    const [statement] = (await knex('settlements').where({ dealer_id: dealerId, status: 'review' }).select('id', 'total_minor')) as Array<{ id: number; total_minor: number }>;
    const users = new UsersRepository(knex);
    const token = await users.issueToken((await users.create({ name: 'Finance', email: 'finance@maker.test', role: 'finance' })).id, 'test');
    const app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
    const server = await startApiServer(app, 0, '127.0.0.1');
    try {
      const review = await fetch(`${server.url}/api/settlements/${statement!.id}/review`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ holdLineIds: [] }),
      });
      expect(review.status).toBe(200);
      const [mail] = await system.smtp.waitFor(1, 20_000);
      expect(mail!.envelope.to).toEqual(['finance@dealer-b.test']);
      expect(mail!.subject).toContain('Warranty cost write-off notice');
      expect(mail!.text).toContain('CN¥30.24');
      expect(mail!.idempotencyKey).toBe(`settlement-${statement!.id}:v1:write-off`);
    } finally {
      await settleBackgroundWork(app);
      await server.close();
    }
  });
});
