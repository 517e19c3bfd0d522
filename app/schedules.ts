/**
 * Every Temporal Schedule Aftercare runs on, ensured in one place: each process that starts the
 * system (`npm start`, the production worker `node dist/worker/main.js`, and so each worker of
 * `npm run cluster`) calls `ensureSchedules` as it starts. Safe to call from any number of processes
 * at once and on every restart: a Schedule is found by its fixed id and kept (brought to the current
 * terms), never created twice.
 */
import type { Client } from '@temporalio/client';
import type { Knex } from 'knex';
import { ensurePartsPlanSchedule, ensureSettlementSchedule, PARTS_PLAN_SCHEDULE_ID, SETTLEMENT_SCHEDULE_ID, templatePolicy } from '../processes/dealer/settlement/schedule';

export interface EnsureSchedulesOptions {
  client: Client;
  /** The task queue the Schedules' workflows run on (the workers' TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
  /** Where the default template's dealer terms are read (dealer.settlementPeriod, partsPlanLead…). */
  knex: Knex;
  /** Appended to each Schedule id: tests share one Temporal namespace. Production leaves it empty. */
  idSuffix?: string;
}

/** The Schedules, by id: dealer settlement per dealer.settlementPeriod; dealers' parts plans opened daily. */
export async function ensureSchedules({ client, taskQueue, knex, idSuffix = '' }: EnsureSchedulesOptions): Promise<string[]> {
  const dealerTerms = (await templatePolicy(knex)).dealer;
  const settlement = `${SETTLEMENT_SCHEDULE_ID}${idSuffix}`;
  const partsPlans = `${PARTS_PLAN_SCHEDULE_ID}${idSuffix}`;
  await ensureSettlementSchedule(client, taskQueue, dealerTerms, settlement);
  await ensurePartsPlanSchedule(client, taskQueue, dealerTerms, partsPlans);
  return [settlement, partsPlans];
}
