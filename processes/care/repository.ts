import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { ResourceFacts, Scope } from '../../domain/access';
import type { CustomerClass } from '../../domain/policy';
import { fromJson, insertedId, toDate, toJson, toRequiredDate } from '../../platform/db/mapping';
import { CARE_REACH, carePlanFacts, careTaskFacts, reachable } from '../../platform/db/reach/care';
import { storedWords, type Words } from '../../domain/words';

/** P4 care plans (migration 0015): plans and their devices, visits, calls, follow-ups, timeline. */

export type CarePlanStatus = 'active' | 'ended';
export type VisitStatus = 'due' | 'done' | 'skipped' | 'cancelled';
export type CallStatus = 'due' | 'done' | 'unreached' | 'cancelled';
/** Work-queue filter: due (window not closed yet), overdue (window closed, still open), done. */
export type TaskQueueStatus = 'due' | 'overdue' | 'done';

export interface CarePlan {
  id: number;
  customerId: number;
  siteId: number | null;
  projectId: number | null;
  status: CarePlanStatus;
  customerClass: CustomerClass;
  anchorAt: Date;
  warrantyEndsAt: Date | null;
  policy: unknown;
  contracts: unknown[];
  endReason: string | null;
  endedAt: Date | null;
  workflowId: string;
  createdAt: Date;
  deviceIds: number[];
}

export interface NewCarePlan {
  customerId: number;
  siteId: number | null;
  projectId: number | null;
  customerClass: CustomerClass;
  anchorAt: Date;
  warrantyEndsAt: Date | null;
  policy: unknown;
  /** Left empty to name the plan by its id (`care-plan-<id>`). */
  workflowId?: string;
  deviceIds: number[];
}

export interface CareTaskRow {
  taskKey: string;
  kind: string;
  dueAt: Date;
  windowStart: Date;
  windowEnd: Date;
  remindAt: Date;
  assigneeUserId: number | null;
}

export interface CareVisit extends CareTaskRow {
  id: number;
  planId: number;
  customerId: number;
  projectId: number | null;
  status: VisitStatus;
  outcome: unknown;
  doneAt: Date | null;
  reportDueAt: Date | null;
}

export interface CareCall {
  id: number;
  planId: number;
  customerId: number;
  projectId: number | null;
  taskKey: string;
  status: CallStatus;
  assigneeUserId: number | null;
  dueAt: Date;
  windowEnd: Date;
  remindAt: Date;
  attempts: number;
  outcome: unknown;
  doneAt: Date | null;
  contactIds: number[];
  /** A return call after a closed repair: its ticket. */
  ticketId: number | null;
}

export interface CareFollowUp {
  id: number;
  planId: number;
  key: string;
  reason: string;
  status: string;
  /** The English line, kept for exports and for rows written before words. */
  summary: string;
  /** What it is about as words (said in the reader's language); null on rows written before words. */
  words: Words | null;
  dueAt: Date;
  callId: number | null;
  visitId: number | null;
  /** The ticket or complaint opened to answer it. */
  ticketId: number | null;
  /** A visit finding's follow-up: which finding of the visit (0-based). */
  finding: number | null;
  outcome: string | null;
  closedAt: Date | null;
}

export interface TaskFilter {
  planId?: number;
  assigneeUserId?: number;
  customerId?: number;
  projectId?: number;
  dueBefore?: Date;
  status?: TaskQueueStatus;
  /** Restricts to these customers; undefined: no restriction. */
  customerIds?: number[];
  /** Only the tasks this scope admits (domain/access.ts); `ALL_ROWS` for every task. */
  scope: Scope;
  now: Date;
  limit?: number;
}

type Row = Record<string, unknown>;

const toPlan = (row: Row, deviceIds: number[]): CarePlan => ({
  id: Number(row.id),
  customerId: Number(row.customer_id),
  siteId: row.site_id === null ? null : Number(row.site_id),
  projectId: row.project_id === null ? null : Number(row.project_id),
  status: row.status as CarePlanStatus,
  customerClass: row.customer_class as CustomerClass,
  anchorAt: toRequiredDate(row.anchor_at),
  warrantyEndsAt: toDate(row.warranty_ends_at),
  policy: fromJson(row.policy),
  contracts: fromJson<unknown[]>(row.contracts) ?? [],
  endReason: (row.end_reason as string | null) ?? null,
  endedAt: toDate(row.ended_at),
  workflowId: String(row.workflow_id),
  createdAt: toRequiredDate(row.created_at),
  deviceIds,
});

const toVisit = (row: Row): CareVisit => ({
  id: Number(row.id),
  planId: Number(row.plan_id),
  customerId: Number(row.customer_id),
  projectId: row.project_id === null ? null : Number(row.project_id),
  taskKey: String(row.task_key),
  kind: String(row.kind),
  status: row.status as VisitStatus,
  assigneeUserId: row.assignee_user_id === null ? null : Number(row.assignee_user_id),
  dueAt: toRequiredDate(row.due_at),
  windowStart: toRequiredDate(row.window_start),
  windowEnd: toRequiredDate(row.window_end),
  remindAt: toRequiredDate(row.remind_at),
  outcome: fromJson(row.outcome),
  doneAt: toDate(row.done_at),
  reportDueAt: toDate(row.report_due_at),
});

const toCall = (row: Row, contactIds: number[]): CareCall => ({
  id: Number(row.id),
  planId: Number(row.plan_id),
  customerId: Number(row.customer_id),
  projectId: row.project_id === null ? null : Number(row.project_id),
  taskKey: String(row.task_key),
  status: row.status as CallStatus,
  assigneeUserId: row.assignee_user_id === null ? null : Number(row.assignee_user_id),
  dueAt: toRequiredDate(row.due_at),
  windowEnd: toRequiredDate(row.window_end),
  remindAt: toRequiredDate(row.remind_at),
  attempts: Number(row.attempts),
  outcome: fromJson(row.outcome),
  doneAt: toDate(row.done_at),
  contactIds,
  ticketId: row.ticket_id === null || row.ticket_id === undefined ? null : Number(row.ticket_id),
});

export class CareRepository {
  constructor(private readonly db: Knex | Knex.Transaction) {}

  /** Opens a plan with its devices; a second call with the same workflow id answers the first plan. */
  async createPlan(input: NewCarePlan, now: Date): Promise<CarePlan> {
    if (input.workflowId) {
      const existing = await this.getByWorkflowId(input.workflowId);
      if (existing) return existing;
    }
    const run = async (trx: Knex.Transaction) => {
      // The id names the workflow; until it is known the row holds a unique placeholder.
      const provisional = input.workflowId ?? `care-plan-pending-${randomUUID()}`;
      const id = insertedId(
        await trx('care_plans').insert({
          customer_id: input.customerId,
          site_id: input.siteId,
          project_id: input.projectId,
          status: 'active',
          customer_class: input.customerClass,
          anchor_at: input.anchorAt,
          warranty_ends_at: input.warrantyEndsAt,
          policy: toJson(input.policy),
          contracts: toJson([]),
          workflow_id: provisional,
          created_at: now,
          updated_at: now,
        }),
      );
      if (!input.workflowId) await trx('care_plans').where({ id }).update({ workflow_id: `care-plan-${id}` });
      if (input.deviceIds.length > 0) await trx('care_plan_devices').insert(input.deviceIds.map((deviceId) => ({ plan_id: id, device_id: deviceId })));
      return id;
    };
    // A transaction of its own (a savepoint inside a caller's).
    const id = await (this.db as Knex).transaction(run);
    return (await this.getPlan(id))!;
  }

  async getPlan(id: number): Promise<CarePlan | null> {
    const row = (await this.db('care_plans').where({ id }).first()) as Row | undefined;
    if (!row) return null;
    const devices = (await this.db('care_plan_devices').where({ plan_id: id }).orderBy('device_id').pluck('device_id')) as number[];
    return toPlan(row, devices.map(Number));
  }

  async getByWorkflowId(workflowId: string): Promise<CarePlan | null> {
    const row = (await this.db('care_plans').where({ workflow_id: workflowId }).first('id')) as Row | undefined;
    return row ? this.getPlan(Number(row.id)) : null;
  }

  async listPlans(filter: { customerIds?: number[]; customerId?: number; status?: CarePlanStatus; projectId?: number; scope: Scope; deviceSerial?: string; limit?: number; offset?: number }): Promise<CarePlan[]> {
    const query = this.db('care_plans').orderBy('id').limit(filter.limit ?? 500).offset(filter.offset ?? 0);
    if (filter.scope && filter.scope.kind !== 'all') query.whereIn('id', reachable(this.db, CARE_REACH.plan, filter.scope));
    if (filter.deviceSerial) query.whereIn('id', this.db('care_plan_devices as d').join('devices as dv', 'dv.id', 'd.device_id').where('dv.serial', filter.deviceSerial).select('d.plan_id'));
    if (filter.customerIds) query.whereIn('customer_id', filter.customerIds);
    if (filter.customerId !== undefined) query.where({ customer_id: filter.customerId });
    if (filter.status) query.where({ status: filter.status });
    if (filter.projectId !== undefined) query.where({ project_id: filter.projectId });
    const rows = (await query) as Row[];
    return rows.map((row) => toPlan(row, []));
  }

  async patchPlan(id: number, patch: { status?: CarePlanStatus; contracts?: unknown[]; policy?: unknown; endReason?: string; endedAt?: Date }, now: Date): Promise<void> {
    const values: Row = { updated_at: now };
    if (patch.status) values.status = patch.status;
    if (patch.contracts) values.contracts = toJson(patch.contracts);
    if (patch.policy) values.policy = toJson(patch.policy);
    if (patch.endReason !== undefined) values.end_reason = patch.endReason.slice(0, 500);
    if (patch.endedAt) values.ended_at = patch.endedAt;
    await this.db('care_plans').where({ id }).update(values);
  }

  /** A timeline event; false when its key is already on record (the step was recorded before). */
  async addEvent(planId: number, event: { eventKey: string; kind: string; at: Date; actor?: { userId: number; name: string; role: string }; summary: string; words?: Words | null; data?: unknown }): Promise<boolean> {
    // Inside the step's transaction: a key on record means this step was recorded before.
    const exists = await this.db('care_plan_events').where({ plan_id: planId, event_key: event.eventKey }).first('id');
    if (exists) return false;
    await this.db('care_plan_events').insert({
      plan_id: planId,
      event_key: event.eventKey,
      kind: event.kind,
      at: event.at,
      actor_user_id: event.actor?.userId ?? null,
      actor_name: event.actor?.name ?? null,
      actor_role: event.actor?.role ?? null,
      summary: event.summary,
      words: event.words ? JSON.stringify(event.words) : null,
      data: event.data === undefined ? null : toJson(event.data),
    });
    return true;
  }

  /** The plan's events; `words` is null on rows written before words (their `summary` is what they say). */
  async timeline(planId: number): Promise<{ key: string; kind: string; at: Date; summary: string; words: Words | null; data: unknown }[]> {
    const rows = (await this.db('care_plan_events').where({ plan_id: planId }).orderBy([{ column: 'at' }, { column: 'id' }])) as Row[];
    return rows.map((row) => ({ key: String(row.event_key), kind: String(row.kind), at: toRequiredDate(row.at), summary: String(row.summary), words: storedWords(row.words), data: fromJson(row.data) }));
  }

  async insertVisit(plan: { id: number; customerId: number; projectId: number | null }, task: CareTaskRow, now: Date): Promise<void> {
    await this.db('care_visits')
      .insert({
        plan_id: plan.id,
        customer_id: plan.customerId,
        project_id: plan.projectId,
        task_key: task.taskKey,
        kind: task.kind,
        status: 'due',
        assignee_user_id: task.assigneeUserId,
        due_at: task.dueAt,
        window_start: task.windowStart,
        window_end: task.windowEnd,
        remind_at: task.remindAt,
        created_at: now,
        updated_at: now,
      })
      .onConflict(['plan_id', 'task_key'])
      .ignore();
  }

  /** A call with the customer's contacts to try (all but those flagged as a wrong number); a repair's return call names its ticket. */
  async insertCall(plan: { id: number; customerId: number; projectId: number | null }, task: CareTaskRow & { ticketId?: number | null }, now: Date): Promise<void> {
    await this.db('care_calls')
      .insert({
        plan_id: plan.id,
        customer_id: plan.customerId,
        project_id: plan.projectId,
        task_key: task.taskKey,
        status: 'due',
        assignee_user_id: task.assigneeUserId,
        due_at: task.dueAt,
        window_end: task.windowEnd,
        remind_at: task.remindAt,
        attempts: 0,
        ...(task.ticketId ? { ticket_id: task.ticketId } : {}),
        created_at: now,
        updated_at: now,
      })
      .onConflict(['plan_id', 'task_key'])
      .ignore();
    const call = (await this.db('care_calls').where({ plan_id: plan.id, task_key: task.taskKey }).first('id')) as Row;
    const contactIds = (await this.db('customer_contacts').where({ customer_id: plan.customerId }).whereNull('wrong_number_at').orderBy('id').pluck('id')) as number[];
    if (contactIds.length > 0) {
      await this.db('care_call_contacts')
        .insert(contactIds.map((contactId) => ({ call_id: call.id, contact_id: contactId })))
        .onConflict(['call_id', 'contact_id'])
        .ignore();
    }
  }

  async patchVisit(planId: number, taskKey: string, patch: Partial<{ status: VisitStatus; assigneeUserId: number | null; dueAt: Date; windowStart: Date; windowEnd: Date; remindAt: Date; outcome: unknown; doneAt: Date; reportDueAt: Date }>, now: Date): Promise<void> {
    await this.db('care_visits').where({ plan_id: planId, task_key: taskKey }).update(columnsOf(patch, now));
  }

  async patchCall(planId: number, taskKey: string, patch: Partial<{ status: CallStatus; dueAt: Date; windowEnd: Date; remindAt: Date; outcome: unknown; doneAt: Date; attempts: number }>, now: Date): Promise<void> {
    await this.db('care_calls').where({ plan_id: planId, task_key: taskKey }).update(columnsOf(patch, now));
  }

  async addCallAttempt(planId: number, taskKey: string, attempt: { attempt: number; outcome: 'reached' | 'no_answer' | 'wrong_number'; contactId?: number; actorUserId?: number; note?: string; at: Date }): Promise<void> {
    const call = (await this.db('care_calls').where({ plan_id: planId, task_key: taskKey }).first('id')) as Row | undefined;
    if (!call) return;
    await this.db('care_call_attempts')
      .insert({ call_id: call.id, attempt: attempt.attempt, outcome: attempt.outcome, contact_id: attempt.contactId ?? null, actor_user_id: attempt.actorUserId ?? null, note: attempt.note?.slice(0, 1000) ?? null, at: attempt.at })
      .onConflict(['call_id', 'attempt'])
      .ignore();
  }

  async cancelOpenTasks(planId: number, now: Date): Promise<void> {
    await this.db('care_visits').where({ plan_id: planId, status: 'due' }).update({ status: 'cancelled', updated_at: now });
    await this.db('care_calls').where({ plan_id: planId, status: 'due' }).update({ status: 'cancelled', updated_at: now });
  }

  async addFollowUp(planId: number, input: { key: string; customerId: number; reason: string; summary: string; words?: Words | null; dueAt: Date; callTaskKey?: string; visitTaskKey?: string }, now: Date): Promise<void> {
    const callId = input.callTaskKey ? ((await this.db('care_calls').where({ plan_id: planId, task_key: input.callTaskKey }).first('id')) as Row | undefined)?.id : undefined;
    const visitId = input.visitTaskKey ? ((await this.db('care_visits').where({ plan_id: planId, task_key: input.visitTaskKey }).first('id')) as Row | undefined)?.id : undefined;
    await this.db('care_follow_ups')
      .insert({ plan_id: planId, customer_id: input.customerId, call_id: callId ?? null, visit_id: visitId ?? null, follow_up_key: input.key, reason: input.reason, status: 'open', summary: input.summary, words: input.words ? JSON.stringify(input.words) : null, due_at: input.dueAt, created_at: now })
      .onConflict(['plan_id', 'follow_up_key'])
      .ignore();
  }

  async followUps(planId: number): Promise<CareFollowUp[]> {
    const rows = (await this.db('care_follow_ups').where({ plan_id: planId }).orderBy('id')) as Row[];
    return rows.map(toFollowUp);
  }

  async getFollowUp(planId: number, id: number): Promise<CareFollowUp | null> {
    const row = (await this.db('care_follow_ups').where({ plan_id: planId, id }).first()) as Row | undefined;
    return row ? toFollowUp(row) : null;
  }

  /** Closes an open follow-up with its outcome; a closed one stays as it was closed. */
  async closeFollowUp(planId: number, key: string, close: { outcome: string; closedByUserId: number | null; at: Date }): Promise<void> {
    await this.db('care_follow_ups').where({ plan_id: planId, follow_up_key: key, status: 'open' }).update({ status: 'closed', outcome: close.outcome.slice(0, 2000), closed_at: close.at, closed_by_user_id: close.closedByUserId });
  }

  /** Who a plan belongs to (domain/access.ts facts), as CARE_REACH says; null when there is no such plan. */
  planFacts(id: number): Promise<ResourceFacts | null> {
    return carePlanFacts(this.db, id);
  }

  taskFacts(kind: 'visit' | 'call', id: number): Promise<ResourceFacts | null> {
    return careTaskFacts(this.db, kind, id);
  }

  /** Of these devices, those already on an active plan, with the plan. */
  async activeCoverage(deviceIds: number[]): Promise<{ deviceId: number; planId: number }[]> {
    if (deviceIds.length === 0) return [];
    const rows = (await this.db('care_plan_devices as d').join('care_plans as p', 'p.id', 'd.plan_id').where('p.status', 'active').whereIn('d.device_id', deviceIds).select('d.device_id', 'd.plan_id')) as Row[];
    return rows.map((r) => ({ deviceId: Number(r.device_id), planId: Number(r.plan_id) }));
  }

  /** A plan's rows are removed again when its workflow could not be started (nothing stands without its process). */
  async deletePlan(id: number): Promise<void> {
    await this.db('care_plan_devices').where({ plan_id: id }).delete();
    await this.db('care_plans').where({ id }).delete();
  }

  /**
   * The ticket opened to answer a follow-up, on the follow-up's row. Only while it has none: false
   * when another ticket got there first (two people at once), so the caller undoes its own.
   */
  async linkTicket(followUpId: number, ticketId: number): Promise<boolean> {
    return (await this.db('care_follow_ups').where({ id: followUpId }).whereNull('ticket_id').update({ ticket_id: ticketId })) === 1;
  }

  /**
   * The follow-up of one finding of a visit, which a ticket answers as it is written (so it is closed
   * from the start: the ticket carries the deadlines). The same row ever after (unique by visit and finding).
   */
  async findingFollowUp(plan: { id: number; customerId: number }, visit: { id: number; taskKey: string }, finding: number, summary: string, dueAt: Date, now: Date, said?: Words): Promise<CareFollowUp> {
    await this.db('care_follow_ups')
      .insert({ plan_id: plan.id, customer_id: plan.customerId, visit_id: visit.id, finding, follow_up_key: `${visit.taskKey}:finding:${finding}`, reason: 'finding', status: 'closed', summary, words: said ? JSON.stringify(said) : null, due_at: dueAt, created_at: now })
      .onConflict(['plan_id', 'follow_up_key'])
      .ignore();
    return toFollowUp((await this.db('care_follow_ups').where({ plan_id: plan.id, follow_up_key: `${visit.taskKey}:finding:${finding}` }).first()) as Row);
  }

  async flagWrongNumber(contactId: number, now: Date): Promise<void> {
    await this.db('customer_contacts').where({ id: contactId }).update({ wrong_number_at: now });
  }

  async getVisit(id: number): Promise<CareVisit | null> {
    const row = (await this.db('care_visits').where({ id }).first()) as Row | undefined;
    return row ? toVisit(row) : null;
  }

  async getCall(id: number): Promise<CareCall | null> {
    const row = (await this.db('care_calls').where({ id }).first()) as Row | undefined;
    if (!row) return null;
    const contacts = (await this.db('care_call_contacts').where({ call_id: id }).orderBy('contact_id').pluck('contact_id')) as number[];
    return toCall(row, contacts.map(Number));
  }

  async listVisits(filter: TaskFilter): Promise<CareVisit[]> {
    const query = this.db('care_visits');
    if (filter.scope && filter.scope.kind !== 'all') query.whereIn('id', reachable(this.db, CARE_REACH.visit, filter.scope));
    const rows = (await filtered(query, filter)) as Row[];
    return rows.map(toVisit);
  }

  async listCalls(filter: TaskFilter): Promise<CareCall[]> {
    const query = this.db('care_calls');
    if (filter.scope && filter.scope.kind !== 'all') query.whereIn('id', reachable(this.db, CARE_REACH.call, filter.scope));
    const rows = (await filtered(query, filter)) as Row[];
    const ids = rows.map((r) => Number(r.id));
    const contacts = ids.length === 0 ? [] : ((await this.db('care_call_contacts').whereIn('call_id', ids).orderBy('contact_id')) as Row[]);
    return rows.map((row) => toCall(row, contacts.filter((c) => Number(c.call_id) === Number(row.id)).map((c) => Number(c.contact_id))));
  }
}

const toFollowUp = (row: Row): CareFollowUp => ({
  id: Number(row.id),
  planId: Number(row.plan_id),
  reason: String(row.reason),
  status: String(row.status),
  summary: String(row.summary),
  words: storedWords(row.words),
  dueAt: toRequiredDate(row.due_at),
  callId: row.call_id === null ? null : Number(row.call_id),
  visitId: row.visit_id === null ? null : Number(row.visit_id),
  ticketId: row.ticket_id === null || row.ticket_id === undefined ? null : Number(row.ticket_id),
  finding: row.finding === null || row.finding === undefined ? null : Number(row.finding),
  key: String(row.follow_up_key),
  outcome: (row.outcome as string | null | undefined) ?? null,
  closedAt: toDate(row.closed_at),
});

function columnsOf(patch: Record<string, unknown>, now: Date): Row {
  const names: Record<string, string> = { status: 'status', assigneeUserId: 'assignee_user_id', dueAt: 'due_at', windowStart: 'window_start', windowEnd: 'window_end', remindAt: 'remind_at', doneAt: 'done_at', reportDueAt: 'report_due_at', attempts: 'attempts' };
  const values: Row = { updated_at: now };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (key === 'outcome') values.outcome = toJson(value);
    else if (names[key]) values[names[key]] = value;
  }
  return values;
}

function filtered(query: Knex.QueryBuilder, filter: TaskFilter): Knex.QueryBuilder {
  if (filter.planId !== undefined) query.where({ plan_id: filter.planId });
  if (filter.assigneeUserId !== undefined) query.where({ assignee_user_id: filter.assigneeUserId });
  if (filter.customerId !== undefined) query.where({ customer_id: filter.customerId });
  if (filter.projectId !== undefined) query.where({ project_id: filter.projectId });
  if (filter.customerIds) query.whereIn('customer_id', filter.customerIds);
  if (filter.dueBefore) query.where('due_at', '<', filter.dueBefore);
  if (filter.status === 'due') query.where({ status: 'due' }).where('window_end', '>=', filter.now);
  if (filter.status === 'overdue') query.where({ status: 'due' }).where('window_end', '<', filter.now);
  if (filter.status === 'done') query.whereNot({ status: 'due' });
  return query.orderBy([{ column: 'due_at' }, { column: 'id' }]).limit(filter.limit ?? 500);
}
