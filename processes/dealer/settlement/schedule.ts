import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import { Duration as LuxonDuration } from 'luxon';
import type { Knex } from 'knex';
import { PolicyLayersRepository } from '../../../schedule/policies/repository';
import { DEFAULT_POLICY, mergePolicy, type PolicyOverride, type ServicePolicy } from '../../../domain/policy';

/** The default template's policy: the dealer terms no contract narrows. */
export async function templatePolicy(knex: Knex): Promise<ServicePolicy> {
  return mergePolicy(DEFAULT_POLICY, (await new PolicyLayersRepository(knex).get('template', 'default'))?.override as PolicyOverride | undefined);
}

export const SETTLEMENT_SCHEDULE_ID = 'dealer-settlement';

/**
 * When settlement runs: a month-long period runs at 00:30 on the 1st of each month in the
 * settlement time zone (settling the month before); any other period runs every that long.
 */
export function settlementScheduleSpec(policy: ServicePolicy['dealer']): ScheduleSpec {
  const period = typeof policy.settlementPeriod === 'string' ? LuxonDuration.fromISO(policy.settlementPeriod) : null;
  if (!period || !period.isValid) throw new RangeError('dealer.settlementPeriod must be an ISO-8601 duration');
  if (policy.settlementPeriod === 'P1M') return { calendars: [{ dayOfMonth: 1, hour: 0, minute: 30 }], timezone: policy.settlementTimeZone };
  return { intervals: [{ every: period.toMillis() }] };
}

/**
 * Creates the settlement Schedule, or brings an existing one to the current terms: never a second
 * one. Overlapping runs are skipped, and a run that does overlap (a manual trigger) is still
 * harmless: statements are frozen once.
 */
export async function ensureSettlementSchedule(client: Client, taskQueue: string, policy: ServicePolicy['dealer'], scheduleId = SETTLEMENT_SCHEDULE_ID): Promise<void> {
  await createOrUpdateSchedule(client, {
    scheduleId,
    spec: settlementScheduleSpec(policy),
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    action: { type: 'startWorkflow', workflowType: 'dealerSettlementRun', taskQueue, args: [{ timeZone: policy.settlementTimeZone }] },
  });
}

type StartWorkflowSchedule = ScheduleOptions & Required<Pick<ScheduleOptions, 'policies'>>;

/**
 * A Schedule by its id, as `wanted` says: created when there is none; an existing one (a restart,
 * another process starting at the same moment) gets `wanted`'s spec, action and policies and keeps
 * its state (an operator's pause stays). The id is the Schedule's identity, so there is never a second.
 */
export async function createOrUpdateSchedule(client: Client, wanted: StartWorkflowSchedule): Promise<'created' | 'updated'> {
  try {
    await client.schedule.create(wanted);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await client.schedule.getHandle(wanted.scheduleId).update((current) => ({ spec: wanted.spec, action: wanted.action, policies: wanted.policies, state: current.state }));
  return 'updated';
}

export const PARTS_PLAN_SCHEDULE_ID = 'dealer-parts-plans';

/**
 * When dealers' parts plans are opened: daily at 01:00 in the settlement zone (a plan opens as soon
 * as its season is the next one; its process then waits for the due date). A lead in hours or
 * seconds (tests, pilots) opens plans every that long.
 */
export function partsPlanScheduleSpec(policy: ServicePolicy['dealer']): ScheduleSpec {
  if (typeof policy.partsPlanLead === 'string' && /T/.test(policy.partsPlanLead)) return { intervals: [{ every: LuxonDuration.fromISO(policy.partsPlanLead).toMillis() }] };
  return { calendars: [{ hour: 1, minute: 0 }], timezone: policy.settlementTimeZone };
}

/** Creates the parts-plan Schedule, or brings an existing one to the current terms. A run twice opens nothing twice. */
export async function ensurePartsPlanSchedule(client: Client, taskQueue: string, policy: ServicePolicy['dealer'], scheduleId = PARTS_PLAN_SCHEDULE_ID): Promise<void> {
  await createOrUpdateSchedule(client, {
    scheduleId,
    spec: partsPlanScheduleSpec(policy),
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    action: { type: 'startWorkflow', workflowType: 'partsPlanOpening', taskQueue, args: [] },
  });
}
