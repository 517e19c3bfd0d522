import type { TimelineEntry } from '../../platform/workflowKit/steps';
import { ApplicationFailure } from '@temporalio/common';
import { CalendarsRepository } from '../../schedule/calendars/repository';
import { CareRepository, type CallStatus, type VisitStatus } from './repository';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import type { BusinessCalendar } from '../../domain/calendar';
import { careNotices, isVisitKind, nextCallAttempt, nextTaskDue, taskAt, tasksDueBy, type CareCursors, type CareNoticeKind, type CarePolicy, type CareTask, type CareTaskKind } from './rules';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { resolvePolicy, type CustomerClass, type PolicyOverride, type ServicePolicy } from '../../domain/policy';
import type { Assignee, CareContractRecord, CarePlanBasisActivities, OpenCareTask } from './messages';
import type { Person } from '../delivery/messages';
import type { ActivityDeps } from '../../platform/temporal/activityDeps';
import type { Words } from '../../domain/words';
import { say } from '../../platform/i18n/catalogue';

export interface CareBasisRecord {
  anchorAt: string;
  warrantyEndsAt?: string | null;
  customerClass: CustomerClass;
  contracts: CareContractRecord[];
}

/** What a plan starts from, besides its dates and policy. */
interface CarePlanInputBasis {
  customerId: number;
  customerName: string;
  customerClass: CustomerClass;
  timeZone: string;
  siteId: number | null;
  projectId: number | null;
  deviceIds: number[];
  engineer: Assignee | null;
  customerContacts: Person[];
}

export interface TaskTimes {
  key: string;
  kind: CareTaskKind;
  dueAt: string;
  windowStart: string;
  windowEnd: string;
  remindAt: string;
}

export type CareComputation =
  | { what: 'tasks'; basis: CareBasisRecord; cursors: CareCursors; until: string; customerId: number }
  | { what: 'task'; key: string; kind: CareTaskKind; dueAt: string }
  | { what: 'retry'; at: string }
  | { what: 'notices'; basis: CareBasisRecord };

/**
 * One step of a plan. The workflow says what happened as `words`; `summary` (an English sentence) is
 * what activities scheduled before words existed still carry, and histories replay them.
 */
export interface RecordCareStepInput extends Omit<TimelineEntry, 'summary'> {
  planId: number;
  words?: Words;
  summary?: string;
  visit?: { taskKey: string; patch: Partial<{ status: VisitStatus; assigneeUserId: number | null; dueAt: string; windowStart: string; windowEnd: string; remindAt: string; outcome: unknown; doneAt: string; reportDueAt: string }> };
  call?: { taskKey: string; patch: Partial<{ status: CallStatus; dueAt: string; windowEnd: string; remindAt: string; outcome: unknown; doneAt: string; attempts: number }> };
  attempt?: { taskKey: string; attempt: number; outcome: 'reached' | 'no_answer' | 'wrong_number'; contactId?: number; note?: string };
  followUp?: { key: string; customerId: number; reason: string; words?: Words; summary?: string; dueAt: string; callTaskKey?: string; visitTaskKey?: string };
  wrongNumberContactId?: number;
  plan?: { status?: 'active' | 'ended'; contracts?: CareContractRecord[]; policy?: unknown; endReason?: string };
  /** A maintenance contract also goes on the customer's file, so tickets see the entitlement. */
  maintenanceContract?: { contractNo: string; customerId: number; signedAt: string };
  cancelOpenTasks?: boolean;
  /** A visit added by hand: its row is written with the event. */
  newVisit?: TaskTimes & { assigneeUserId: number | null; customerId: number; projectId: number | null };
  /** A follow-up closed with its outcome. */
  closeFollowUp?: { key: string; outcome: string };
}

/** ISO instants of a patch (every `…At` and `window…` field) as dates. */
type Dated<T> = { [K in keyof T]: T[K] extends string | undefined ? (K extends `${string}At` | `window${string}` ? Date : T[K]) : T[K] };
const dates = <T extends Record<string, unknown>>(patch: T): Dated<T> =>
  Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, typeof v === 'string' && /At$|^window/.test(k) ? new Date(v) : v])) as Dated<T>;

const iso = (task: CareTask): TaskTimes => ({ key: task.key, kind: task.kind, dueAt: task.dueAt.toISOString(), windowStart: task.windowStart.toISOString(), windowEnd: task.windowEnd.toISOString(), remindAt: task.remindAt.toISOString() });

const basisOf = (basis: CareBasisRecord) => ({
  anchor: new Date(basis.anchorAt),
  warrantyEndsAt: basis.warrantyEndsAt ? new Date(basis.warrantyEndsAt) : undefined,
  customerClass: basis.customerClass,
  contracts: basis.contracts.map((c) => ({ id: c.id, startsAt: new Date(c.startsAt), endsAt: new Date(c.endsAt), visitsPerYear: c.visitsPerYear })),
});

/** P4 care plans: the schedule on the calendar store, and the plan's records. */
export function createCareActivities(deps: ActivityDeps) {
  const calendars = new CalendarsRepository(deps.knex);

  async function calendarOf(key: string): Promise<BusinessCalendar> {
    const stored = await calendars.load(key);
    if (!stored) throw ApplicationFailure.nonRetryable(`Unknown calendar '${key}'`, 'UnknownCalendar');
    return stored;
  }

  async function engineerOf(customerId: number): Promise<Assignee | null> {
    const id = await new CustomersRepository(deps.knex).engineerOf(customerId);
    const user = id === null ? null : await new UsersRepository(deps.knex).get(id);
    return user ? { userId: user.id, name: user.name, email: user.email, locale: user.locale } : null;
  }

  return {
    /**
     * The plan's times on the calendar as the store holds it now (a local activity: holidays are
     * reference data). Tasks to materialize, one task's times after a move, a retry, the dated notices.
     */
    async computeCare(input: { calendar: string; care: CarePolicy; computation: CareComputation }): Promise<{ tasks?: TaskTimes[]; cursors?: CareCursors; nextAt?: string | null; engineer?: Assignee | null; at?: string; notices?: { key: string; kind: CareNoticeKind; at: string }[] }> {
      const calendar = await calendarOf(input.calendar);
      const { care, computation } = input;
      switch (computation.what) {
        case 'tasks': {
          const basis = basisOf(computation.basis);
          const due = tasksDueBy(basis, computation.cursors, new Date(computation.until), care, calendar);
          // The next task not materialized yet: materialization wakes up a horizon before it.
          const next = nextTaskDue(basis, due.cursors, care, calendar);
          // New visits go to the customer's one-to-one engineer as the service manager last named them.
          const engineer = due.tasks.some((t) => isVisitKind(t.kind)) ? await engineerOf(computation.customerId) : null;
          return { tasks: due.tasks.map(iso), cursors: due.cursors, nextAt: next?.toISOString() ?? null, engineer };
        }
        case 'task':
          return { tasks: [iso(taskAt(computation.key, computation.kind, new Date(computation.dueAt), care, calendar))] };
        case 'retry':
          return { at: nextCallAttempt(new Date(computation.at), care, calendar).toISOString() };
        case 'notices':
          return { notices: careNotices(basisOf(computation.basis), care, calendar).map((n) => ({ ...n, at: n.at.toISOString() })) };
      }
    },

    /** The plan's record, once per workflow id (a plan started at handover opens its own). */
    async openCarePlan(input: { workflowId: string; customerId: number; siteId?: number | null; projectId?: number | null; deviceIds: number[]; customerClass: CustomerClass; anchorAt: string; warrantyEndsAt?: string | null; policy: unknown }): Promise<number> {
      const plan = await new CareRepository(deps.knex).createPlan(
        { workflowId: input.workflowId, customerId: input.customerId, siteId: input.siteId ?? null, projectId: input.projectId ?? null, deviceIds: input.deviceIds, customerClass: input.customerClass, anchorAt: new Date(input.anchorAt), warrantyEndsAt: input.warrantyEndsAt ? new Date(input.warrantyEndsAt) : null, policy: input.policy },
        deps.now(),
      );
      return plan.id;
    },

    /**
     * What a project's care plan starts from at handover: its customer and devices that carry a
     * warranty (replacement units included, the damaged units that went back excluded), the site,
     * the customer's class, contacts and one-to-one engineer.
     */
    async projectCarePlanBasis(input: { projectId: number }): Promise<{ customerId: number; customerName: string; customerClass: CustomerClass; timeZone: string; siteId: number | null; deviceIds: number[]; engineer: Assignee | null; customerContacts: Person[] }> {
      const project = (await deps.knex('projects').where({ id: input.projectId }).first('customer_id')) as { customer_id: number } | undefined;
      if (!project) throw ApplicationFailure.nonRetryable(`Unknown project ${input.projectId}`, 'UnknownProject');
      const customers = new CustomersRepository(deps.knex);
      const customer = (await customers.get(Number(project.customer_id)))!;
      const devices = (await deps.knex('devices').where({ project_id: input.projectId }).whereNotNull('warranty_ends_at').whereNot({ status: 'replaced' }).orderBy('id').select('id', 'site_id')) as { id: number; site_id: number | null }[];
      const engineer = await engineerOf(customer.id);
      return {
        customerId: customer.id,
        customerName: customer.name,
        customerClass: customer.class,
        timeZone: customer.timeZone,
        siteId: devices.find((d) => d.site_id !== null)?.site_id ?? null,
        deviceIds: devices.map((d) => Number(d.id)),
        engineer,
        customerContacts: customer.contacts.map((c) => ({ name: c.name, email: c.email, locale: c.locale })),
      };
    },

    /**
     * What a dealer-sold device's care plan starts from once its warranty card is in: the device's
     * customer, site and warranty (from the sale), the customer's class, contacts and one-to-one
     * engineer, and the policy of the stored layers (template → model → class). Null when the device is
     * already on an active plan (imported before its card came in): nothing to start.
     */
    async dealerDeviceCarePlanBasis(input: { deviceId: number }): Promise<(Omit<CarePlanInputBasis, 'projectId'> & { anchorAt: string; warrantyEndsAt: string | null; policy: ServicePolicy }) | null> {
      const device = (await deps.knex('devices').where({ id: input.deviceId }).first('id', 'customer_id', 'site_id', 'model', 'warranty_starts_at', 'warranty_ends_at')) as Record<string, unknown> | undefined;
      if (!device) throw ApplicationFailure.nonRetryable(`Unknown device ${input.deviceId}`, 'UnknownDevice');
      if ((await new CareRepository(deps.knex).activeCoverage([input.deviceId])).length > 0) return null;
      const customer = (await new CustomersRepository(deps.knex).get(Number(device.customer_id)))!;
      const layers = new PolicyLayersRepository(deps.knex);
      const [template, byModel, klass] = await Promise.all([layers.get('template', 'default'), layers.get('model', String(device.model)), layers.get('customer_class', customer.class)]);
      const policy = resolvePolicy({ template: template?.override as PolicyOverride | undefined, model: byModel?.override as PolicyOverride | undefined, customerClass: klass?.override as PolicyOverride | undefined });
      const at = (value: unknown) => (value === null || value === undefined ? null : new Date(value as string).toISOString());
      return {
        customerId: customer.id,
        customerName: customer.name,
        customerClass: customer.class,
        timeZone: customer.timeZone,
        siteId: device.site_id === null ? null : Number(device.site_id),
        deviceIds: [input.deviceId],
        engineer: await engineerOf(customer.id),
        customerContacts: customer.contacts.map((c) => ({ name: c.name, email: c.email, locale: c.locale })),
        anchorAt: at(device.warranty_starts_at) ?? new Date().toISOString(),
        warrantyEndsAt: at(device.warranty_ends_at),
        policy,
      };
    },

    /** Rows for tasks the workflow already holds in its state; idempotent by (plan, task key). */
    async materializeCareTasks(input: { planId: number; customerId: number; projectId?: number | null; tasks: OpenCareTask[] }): Promise<void> {
      await deps.knex.transaction(async (trx) => {
        const care = new CareRepository(trx);
        const plan = { id: input.planId, customerId: input.customerId, projectId: input.projectId ?? null };
        for (const task of input.tasks) {
          const row = { taskKey: task.key, kind: task.kind, dueAt: new Date(task.dueAt), windowStart: new Date(task.windowStart), windowEnd: new Date(task.windowEnd), remindAt: new Date(task.remindAt), assigneeUserId: task.assignee?.userId ?? null, ticketId: task.ticketId ?? null };
          if (isVisitKind(task.kind)) await care.insertVisit(plan, row, deps.now());
          else await care.insertCall(plan, row, deps.now());
        }
      });
    },

    /** One step of a plan whole, in one transaction; idempotent by event key. */
    async recordCareStep(input: RecordCareStepInput): Promise<void> {
      await deps.knex.transaction(async (trx) => {
        const care = new CareRepository(trx);
        const now = deps.now();
        // The English sentence stays for exports and logs; each reader is told the words in their language.
        const summary = input.summary ?? say('en', input.words, input.kind);
        const inserted = await care.addEvent(input.planId, { eventKey: input.eventKey, kind: input.kind, at: new Date(input.at), actor: input.actor, summary, words: input.words, data: input.data });
        if (!inserted) return;
        if (input.visit) await care.patchVisit(input.planId, input.visit.taskKey, dates(input.visit.patch), now);
        if (input.call) await care.patchCall(input.planId, input.call.taskKey, dates(input.call.patch), now);
        if (input.attempt) await care.addCallAttempt(input.planId, input.attempt.taskKey, { ...input.attempt, actorUserId: input.actor?.userId, at: new Date(input.at) });
        if (input.followUp) await care.addFollowUp(input.planId, { ...input.followUp, summary: input.followUp.summary ?? say('en', input.followUp.words, input.followUp.reason), dueAt: new Date(input.followUp.dueAt) }, now);
        if (input.wrongNumberContactId !== undefined) await care.flagWrongNumber(input.wrongNumberContactId, now);
        if (input.cancelOpenTasks) await care.cancelOpenTasks(input.planId, now);
        if (input.newVisit) {
          const v = input.newVisit;
          await care.insertVisit({ id: input.planId, customerId: v.customerId, projectId: v.projectId }, { taskKey: v.key, kind: v.kind, dueAt: new Date(v.dueAt), windowStart: new Date(v.windowStart), windowEnd: new Date(v.windowEnd), remindAt: new Date(v.remindAt), assigneeUserId: v.assigneeUserId }, now);
        }
        if (input.closeFollowUp) await care.closeFollowUp(input.planId, input.closeFollowUp.key, { outcome: input.closeFollowUp.outcome, closedByUserId: input.actor?.userId ?? null, at: new Date(input.at) });
        if (input.plan) await care.patchPlan(input.planId, { ...input.plan, ...(input.plan.status === 'ended' ? { endedAt: new Date(input.at) } : {}) }, now);
        if (input.maintenanceContract) {
          const c = input.maintenanceContract;
          await trx('contracts')
            .insert({ customer_id: c.customerId, contract_no: c.contractNo, kind: 'maintenance', policy_overrides: '{}', resolved_policy: '{}', signed_at: new Date(c.signedAt), created_at: now })
            .onConflict(['contract_no'])
            .ignore();
        }
      });
    },
  };
}

// What care offers other processes through messages.ts is what it runs.
const offered: (deps: ActivityDeps) => CarePlanBasisActivities = createCareActivities;
void offered;
