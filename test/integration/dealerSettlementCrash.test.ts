/**
 * A settlement run whose worker is killed after the statements were frozen but before the activity
 * reported back (PRODUCT §P5: a line is settled exactly once, ever): Temporal retries the activity on
 * the restarted worker, which finds the statements the dead attempt froze; the statement confirmed
 * posts one ledger entry, and posting again adds none.
 */
import { Context } from '@temporalio/activity';
import { createActivities } from '../../activities';
import { DealersRepository } from '../../installedBase/dealers';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { DEFAULT_POLICY } from '../../domain/policy';
import { startTestSystem, type TestSystem } from '../support/services';
import { ALL_ROWS } from '../../domain/access';

type Activities = ReturnType<typeof createActivities>;

async function pollUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The activity's work is done, then the worker dies before it reports: the attempt ends with the shutdown. */
function dyingAfter(activities: Activities, name: 'freezeSettlements', attempts: { n: number }): Activities {
  const real = activities[name];
  return {
    ...activities,
    [name]: async (input: Parameters<typeof real>[0]) => {
      attempts.n += 1;
      const answer = await real(input);
      await Context.current().cancelled;
      return answer;
    },
  };
}

describe('a settlement retried after a real worker kill', () => {
  let system: TestSystem;
  let dealerId: number;
  const period = '2026-02';

  beforeAll(async () => {
    system = await startTestSystem('dealer-crash');
    const repo = new DealerWarrantyRepository(system.db.knex);
    const policy = { ...DEFAULT_POLICY.dealer, auditSampleRate: 0 };
    dealerId = (await new DealersRepository(system.db.knex).create('Crash Dealer')).id;
    for (let i = 0; i < 3; i += 1) {
      const serial = `SN-CRASH-${i}`;
      const sale = await repo.createSale({ dealerId, deviceSerial: serial, model: 'M1', saleDate: '2026-01-05', customerName: 'C' }, policy, new Date());
      await repo.completeCard(sale.id, '2026-01-10', {}, DEFAULT_POLICY, ALL_ROWS);
      const claim = await repo.submitClaim({ dealerId, deviceSerial: serial, faultCode: 'E1', repairDate: '2026-01-20', workDone: 'w', lines: [{ kind: 'travel', amount: { amount: 1000 + i, currency: 'CNY' } }] }, policy, 1, new Date(), '2026-01-21');
      await repo.decide(claim.id, [{ lineNo: 1, decision: { kind: 'approve' } }], policy, 1, new Date());
    }
    await system.db.knex('claim_lines').update({ decided_at: new Date('2026-02-10T00:00:00Z') });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('freezes one statement holding each line once, and posts it once', async () => {
    const { client, taskQueue } = system.temporal;
    const freezes = { n: 0 };
    await system.temporal.restart(dyingAfter(system.activities, 'freezeSettlements', freezes));
    const run = await client.workflow.start('dealerSettlementRun', { taskQueue, workflowId: `settle-${period}-${taskQueue}`, args: [{ period, timeZone: 'Asia/Shanghai' }] });
    // The dead attempt froze the statement before the worker died.
    await pollUntil('the statement frozen by the first attempt', async () => ((await system.db.knex('settlements').where({ period }).first('id')) ? true : undefined));
    await pollUntil('the first attempt running', async () => (freezes.n === 1 ? true : undefined));
    await system.temporal.kill();
    await system.temporal.restart(system.activities);
    const result = (await run.result()) as { settlementIds: number[] };
    expect(result.settlementIds).toHaveLength(1);
    const [statementId] = result.settlementIds as [number];
    expect(await system.db.knex('settlements').where({ period }).count({ n: '*' }).first()).toEqual({ n: 1 });
    expect(Number(((await system.db.knex('settlement_lines').count({ n: '*' }).first()) as { n: unknown }).n)).toBe(3);

    const repo = new DealerWarrantyRepository(system.db.knex);
    await repo.review(statementId, [], DEFAULT_POLICY.dealer, new Date(), new Date(Date.now() + 60_000));
    await repo.confirm(statementId, 1, { kind: 'dealer', dealerId }, new Date());

    // The posting run again, as an activity retried after a kill would: the unique key keeps one entry.
    await system.activities.postSettlementToLedger({ settlementId: statementId });
    const ledger = await repo.ledger(dealerId);
    expect(ledger.map((e) => e.amount)).toEqual([{ amount: -(1000 + 1001 + 1002), currency: 'CNY' }]);
  });
});
