import { SearchAttributeType } from '@temporalio/common';
import { markProcessesStarted, pendingProcessStarts, recordProcessStart } from '../../platform/temporal/processStarts';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const T0 = new Date('2026-05-04T02:00:00.000Z');
const after = (ms: number) => new Date(T0.getTime() + ms);

describe.each(testDatabaseKinds())('pending process starts on %s', (kind) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('a start written in a transaction that rolls back is not there; a committed one is pending until marked', async () => {
    await expect(
      db.knex.transaction(async (trx) => {
        await recordProcessStart(trx, 'q', { workflowType: 'serviceTicket', workflowId: 'ticket-rolled-back', input: {} }, T0);
        throw new Error('the record failed');
      }),
    ).rejects.toThrow('the record failed');
    const input = { ticketId: 1, text: '维修 — a long symptom'.repeat(100) };
    const attributes = [{ name: 'AftercareStage', type: SearchAttributeType.KEYWORD, value: 'awaiting_kickoff' }];
    await db.knex.transaction((trx) => recordProcessStart(trx, 'q', { workflowType: 'serviceTicket', workflowId: 'ticket-1', input, searchAttributes: attributes }, T0));
    await db.knex.transaction((trx) => recordProcessStart(trx, 'q', { workflowType: 'dealerClaim', workflowId: 'claim-2', input: { claimId: 2 } }, after(10_000)));

    // Younger than the grace: left to its request.
    expect(await pendingProcessStarts(db.knex, 5_000, 100, after(4_000))).toEqual([]);
    expect(await pendingProcessStarts(db.knex, 5_000, 100, after(5_000))).toEqual([{ workflowType: 'serviceTicket', workflowId: 'ticket-1', taskQueue: 'q', input, searchAttributes: attributes }]);
    expect((await pendingProcessStarts(db.knex, 0, 100, after(20_000))).map((s) => s.workflowId)).toEqual(['ticket-1', 'claim-2']);
    expect((await pendingProcessStarts(db.knex, 0, 1, after(20_000))).map((s) => s.workflowId)).toEqual(['ticket-1']);

    await markProcessesStarted(db.knex, ['ticket-1'], after(21_000));
    await markProcessesStarted(db.knex, ['ticket-1'], after(30_000));
    expect((await pendingProcessStarts(db.knex, 0, 100, after(40_000))).map((s) => s.workflowId)).toEqual(['claim-2']);
    const marked = (await db.knex('process_starts').where({ workflow_id: 'ticket-1' }).first('started_at')) as { started_at: Date | string | number };
    // Marked once: a repeat keeps the first time.
    expect(new Date(marked.started_at).getTime()).toBe(after(21_000).getTime());
  });

  it('one start per workflow id', async () => {
    await expect(db.knex.transaction((trx) => recordProcessStart(trx, 'q', { workflowType: 'dealerClaim', workflowId: 'claim-2', input: {} }, T0))).rejects.toThrow();
  });
});
