/**
 * The Temporal Schedules every entry point ensures (app/schedules.ts), against the real test
 * server: ensured twice (and by two processes at once) there is one Schedule of each id; an existing
 * Schedule with stale terms is brought to the current ones and keeps its state; the production
 * worker entry point (worker/main.ts, which `npm run cluster` runs too) ensures them as it starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { ensureSchedules } from '../../app/schedules';
import { PARTS_PLAN_SCHEDULE_ID, SETTLEMENT_SCHEDULE_ID } from '../../processes/dealer/settlement/schedule';
import { PROCESS_START_RECONCILE_EVERY_MS, PROCESS_START_SCHEDULE_ID } from '../../platform/temporal/processStartTerms';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { testTemporalAddress } from '../support/temporal';

const root = path.resolve(__dirname, '../..');
let db: TestDatabase;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  connection = await Connection.connect({ address: testTemporalAddress() });
  client = new Client({ connection, namespace: 'default' });
});

afterAll(async () => {
  await connection?.close();
  await db?.destroy();
});

/** The ids of the namespace's Schedules that end with `suffix`, once the list (eventually consistent) shows `expected` of them. */
async function listedIds(suffix: string, expected: number): Promise<string[]> {
  let ids: string[] = [];
  for (let tries = 0; tries < 50; tries += 1) {
    ids = [];
    for await (const schedule of client.schedule.list()) if (schedule.scheduleId.endsWith(suffix)) ids.push(schedule.scheduleId);
    if (ids.length >= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return ids.sort();
}

const deleteSchedule = (id: string) =>
  client.schedule
    .getHandle(id)
    .delete()
    .catch((error: unknown) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });

it('ensured twice, and by two callers at once, there is one Schedule of each id, on the terms in force', async () => {
  const suffix = `-${crypto.randomBytes(4).toString('hex')}`;
  const taskQueue = `schedules${suffix}`;
  const first = await ensureSchedules({ client, taskQueue, knex: db.knex, idSuffix: suffix });
  expect(first).toEqual([`${SETTLEMENT_SCHEDULE_ID}${suffix}`, `${PARTS_PLAN_SCHEDULE_ID}${suffix}`, `${PROCESS_START_SCHEDULE_ID}${suffix}`]);
  await ensureSchedules({ client, taskQueue, knex: db.knex, idSuffix: suffix });
  await Promise.all([1, 2].map(() => ensureSchedules({ client, taskQueue, knex: db.knex, idSuffix: suffix })));
  try {
    expect(await listedIds(suffix, 3)).toEqual([`${PARTS_PLAN_SCHEDULE_ID}${suffix}`, `${SETTLEMENT_SCHEDULE_ID}${suffix}`, `${PROCESS_START_SCHEDULE_ID}${suffix}`]);
    const starts = await client.schedule.getHandle(`${PROCESS_START_SCHEDULE_ID}${suffix}`).describe();
    expect(starts.action).toMatchObject({ type: 'startWorkflow', workflowType: 'processStartReconciler', taskQueue });
    expect(starts.spec.intervals).toEqual([{ every: PROCESS_START_RECONCILE_EVERY_MS }]);
    const settlement = await client.schedule.getHandle(`${SETTLEMENT_SCHEDULE_ID}${suffix}`).describe();
    expect(settlement.action).toMatchObject({ type: 'startWorkflow', workflowType: 'dealerSettlementRun', taskQueue });
    expect(settlement.spec.calendars).toEqual([expect.objectContaining({ dayOfMonth: [{ start: 1, end: 1, step: 1 }], hour: [{ start: 0, end: 0, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] })]);
    expect(settlement.spec.timezone).toBe('Asia/Shanghai');
    const plans = await client.schedule.getHandle(`${PARTS_PLAN_SCHEDULE_ID}${suffix}`).describe();
    expect(plans.action).toMatchObject({ type: 'startWorkflow', workflowType: 'partsPlanOpening', taskQueue });
    expect(plans.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
  } finally {
    await Promise.all(first.map(deleteSchedule));
  }
});

it('an existing Schedule on stale terms is brought to the current ones and keeps its pause', async () => {
  const suffix = `-${crypto.randomBytes(4).toString('hex')}`;
  const settlementId = `${SETTLEMENT_SCHEDULE_ID}${suffix}`;
  // As an older release left it: another task queue, every hour; an operator paused it since.
  await client.schedule.create({
    scheduleId: settlementId,
    spec: { intervals: [{ every: '1h' }] },
    action: { type: 'startWorkflow', workflowType: 'dealerSettlementRun', taskQueue: 'old-queue', args: [{ timeZone: 'Asia/Shanghai' }] },
    state: { paused: true, note: 'paused by the operator' },
  });
  // The terms in force now: settle every ten days.
  await new PolicyLayersRepository(db.knex).put('template', 'default', { dealer: { settlementPeriod: 'P10D' } });
  try {
    await ensureSchedules({ client, taskQueue: `schedules${suffix}`, knex: db.knex, idSuffix: suffix });
    expect(await listedIds(suffix, 3)).toHaveLength(3);
    const settlement = await client.schedule.getHandle(settlementId).describe();
    expect(settlement.action).toMatchObject({ workflowType: 'dealerSettlementRun', taskQueue: `schedules${suffix}` });
    expect(settlement.spec.intervals).toEqual([{ every: 10 * 86_400_000 }]);
    expect(settlement.state).toMatchObject({ paused: true, note: 'paused by the operator' });
  } finally {
    await db.knex('policy_layers').where({ scope: 'template', layer_key: 'default' }).delete();
    await Promise.all([settlementId, `${PARTS_PLAN_SCHEDULE_ID}${suffix}`, `${PROCESS_START_SCHEDULE_ID}${suffix}`].map(deleteSchedule));
  }
});

it('the production worker entry point ensures the Schedules as it starts, two workers at once making one of each', async () => {
  const taskQueue = `worker-main-${crypto.randomBytes(4).toString('hex')}`;
  const env = { ...process.env, TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE: taskQueue, DATABASE_URL: db.databaseUrl ?? '', AFTERCARE_DATA_DIR: db.dataDir, SMTP_URL: '', AFTERCARE_WORKER_METRICS_PORT: 'off', AFTERCARE_LOG_LEVEL: 'info' };
  // (The log level: a child of a jest worker would default to warnings only and never say it ensured them.)
  const workers: ChildProcess[] = [];
  const outputs: string[] = [];
  try {
    const ensured = [0, 1].map(
      (i) =>
        new Promise<void>((resolve, reject) => {
          // Node itself with tsx's loader (not the tsx wrapper, whose child a kill would orphan).
          const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
          workers.push(child);
          outputs[i] = '';
          const seen = (chunk: Buffer) => {
            outputs[i] += chunk.toString();
            if (outputs[i]!.includes('Schedules ensured')) resolve();
          };
          child.stdout!.on('data', seen);
          child.stderr!.on('data', seen);
          child.once('exit', (code) => reject(new Error(`worker ${i} exited (${code}) before ensuring the Schedules:\n${outputs[i]}`)));
        }),
    );
    await Promise.all(ensured);
    for (const id of [SETTLEMENT_SCHEDULE_ID, PARTS_PLAN_SCHEDULE_ID, PROCESS_START_SCHEDULE_ID]) {
      expect((await client.schedule.getHandle(id).describe()).action).toMatchObject({ type: 'startWorkflow', taskQueue });
    }
    // The production ids have no suffix: nothing else on the test server ends with them.
    expect(await listedIds(SETTLEMENT_SCHEDULE_ID, 1)).toEqual([SETTLEMENT_SCHEDULE_ID]);
    expect(await listedIds(PARTS_PLAN_SCHEDULE_ID, 1)).toEqual([PARTS_PLAN_SCHEDULE_ID]);
  } finally {
    // Only the processes this test started, by their own pids.
    for (const child of workers) if (child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([SETTLEMENT_SCHEDULE_ID, PARTS_PLAN_SCHEDULE_ID, PROCESS_START_SCHEDULE_ID].map(deleteSchedule));
  }
});
