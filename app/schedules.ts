/**
 * Every Temporal Schedule Aftercare runs on, ensured in one place: each process that starts the
 * system (`npm start`, the production worker `node dist/worker/main.js`, and so each worker of
 * `npm run cluster`) calls `ensureSchedules` as it starts. Safe to call from any number of processes
 * at once and on every restart: a Schedule is found by its fixed id and kept (brought to the current
 * terms), never created twice.
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { createOrUpdateSchedule, ensurePartsPlanSchedule, ensureSettlementSchedule, PARTS_PLAN_SCHEDULE_ID, SETTLEMENT_SCHEDULE_ID, templatePolicy } from '../processes/dealer/settlement/schedule';
import { PROCESS_START_GRACE_MS, PROCESS_START_RECONCILE_EVERY_MS, PROCESS_START_SCHEDULE_ID } from '../platform/temporal/processStartTerms';

export interface EnsureSchedulesOptions {
  client: Client;
  /** The task queue the Schedules' workflows run on (the workers' TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
  /** Where the default template's dealer terms are read (dealer.settlementPeriod, partsPlanLead…). */
  knex: Knex;
  /** Appended to each Schedule id: tests share one Temporal namespace. Production leaves it empty. */
  idSuffix?: string;
}

/**
 * The Schedules, by id: dealer settlement per dealer.settlementPeriod; dealers' parts plans opened
 * daily; pending process starts reconciled every minute (and once now: a worker starting after a
 * crash starts what the crash left pending).
 */
export async function ensureSchedules({ client, taskQueue, knex, idSuffix = '' }: EnsureSchedulesOptions): Promise<string[]> {
  const dealerTerms = (await templatePolicy(knex)).dealer;
  const settlement = `${SETTLEMENT_SCHEDULE_ID}${idSuffix}`;
  const partsPlans = `${PARTS_PLAN_SCHEDULE_ID}${idSuffix}`;
  await ensureSettlementSchedule(client, taskQueue, dealerTerms, settlement);
  await ensurePartsPlanSchedule(client, taskQueue, dealerTerms, partsPlans);
  const starts = `${PROCESS_START_SCHEDULE_ID}${idSuffix}`;
  await ensureProcessStartSchedule(client, taskQueue, starts);
  await client.schedule.getHandle(starts).trigger(ScheduleOverlapPolicy.SKIP);
  return [settlement, partsPlans, starts];
}

/**
 * The reconciler of pending process starts (platform/temporal/processStarts.ts), every
 * PROCESS_START_RECONCILE_EVERY_MS; a run lasts at most that long (a run with no worker to take it
 * does not linger: the next one comes).
 */
export async function ensureProcessStartSchedule(client: Client, taskQueue: string, scheduleId = PROCESS_START_SCHEDULE_ID): Promise<void> {
  await createOrUpdateSchedule(client, {
    scheduleId,
    spec: { intervals: [{ every: PROCESS_START_RECONCILE_EVERY_MS }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: PROCESS_START_RECONCILE_EVERY_MS },
    action: { type: 'startWorkflow', workflowType: 'processStartReconciler', taskQueue, args: [{ olderThanMs: PROCESS_START_GRACE_MS }], workflowRunTimeout: PROCESS_START_RECONCILE_EVERY_MS },
  });
}
