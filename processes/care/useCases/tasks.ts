/**
 * P4 visits and calls through the API: the work queues (an engineer's visits, the service desk's calls)
 * and each step, an update of the plan's workflow addressed by the task's key. The console calls
 * `runVisitStep` / `runCallStep` with the same bodies the routes take.
 */
import { CareRepository } from '../repository';
import type { User } from '../../../people/repository';
import type { Scope } from '../../../domain/access';
import {
  assignVisitUpdate,
  cancelVisitUpdate,
  completeCallUpdate,
  completeVisitUpdate,
  noAnswerCallUpdate,
  rescheduleCallUpdate,
  rescheduleVisitUpdate,
  skipVisitUpdate,
  wrongNumberCallUpdate,
  type CareStepResult,
} from '../messages';
import { validationFailed } from '../../../platform/http/errors';
import { NotFoundError } from '../../../platform/db/errors';
import { DomainError } from '../../../domain/errors';
import { words } from '../../../domain/words';
import type { ApiDeps } from '../../../platform/http/module';
import { parseOrRefuse } from '../../../platform/http/problemMessages';
import type { z } from '../../../platform/http/zod';
import { engineerFor, updatePlan } from './plans';
import { callDto, contactsOf, visitDto, type ContactRow } from './taskViews';
import { CallStepBodies, VisitStepBodies, type CallSchema, type CallStepName, type TaskListQuery, type VisitSchema, type VisitStepName } from './schemas';

type TaskQuery = z.output<typeof TaskListQuery>;

function filterOf(query: TaskQuery, user: User, scope: Scope, now: Date) {
  return {
    scope,
    now,
    assigneeUserId: query.assignee === 'me' ? user.id : query.assignee,
    dueBefore: query.dueBefore ? new Date(query.dueBefore) : undefined,
    status: query.status,
    customerId: query.customerId,
    projectId: query.projectId,
    planId: query.planId,
    limit: query.limit,
  };
}

/** Visits the scope admits, soonest first (an engineer's "my visits": `assignee=me`). */
export async function listVisits(deps: ApiDeps, user: User, scope: Scope, query: TaskQuery, now = new Date()): Promise<z.input<typeof VisitSchema>[]> {
  return (await new CareRepository(deps.knex).listVisits(filterOf(query, user, scope, now))).map((v) => visitDto(v, now));
}

/** Calls the scope admits, soonest first, each with its contacts (the service desk's "calls today": `dueBefore`). */
export async function listCalls(deps: ApiDeps, user: User, scope: Scope, query: TaskQuery, now = new Date()): Promise<z.input<typeof CallSchema>[]> {
  const calls = await new CareRepository(deps.knex).listCalls(filterOf(query, user, scope, now));
  const contacts = new Map<number, ContactRow[]>();
  for (const customerId of new Set(calls.map((c) => c.customerId))) contacts.set(customerId, await contactsOf(deps.knex, customerId));
  return calls.map((c) => callDto(c, contacts.get(c.customerId) ?? [], now));
}

export async function readVisit(deps: ApiDeps, id: number, now = new Date()): Promise<z.input<typeof VisitSchema>> {
  const visit = await new CareRepository(deps.knex).getVisit(id);
  if (!visit) throw new NotFoundError(words('refusal.care.noVisit', { visitId: id }));
  return visitDto(visit, now);
}

export async function readCall(deps: ApiDeps, id: number, now = new Date()): Promise<z.input<typeof CallSchema>> {
  const call = await new CareRepository(deps.knex).getCall(id);
  if (!call) throw new NotFoundError(words('refusal.care.noCall', { callId: id }));
  return callDto(call, await contactsOf(deps.knex, call.customerId), now);
}

// ---------------------------------------------------------------------------------------------
// Steps

const VISIT_UPDATES = { assign: assignVisitUpdate, reschedule: rescheduleVisitUpdate, complete: completeVisitUpdate, skip: skipVisitUpdate, cancel: cancelVisitUpdate } as const;
const CALL_UPDATES = { complete: completeCallUpdate, 'no-answer': noAnswerCallUpdate, 'wrong-number': wrongNumberCallUpdate, reschedule: rescheduleCallUpdate } as const;

export const VISIT_STEPS = Object.keys(VISIT_UPDATES) as VisitStepName[];
export const CALL_STEPS = Object.keys(CALL_UPDATES) as CallStepName[];

/** The access action a step is (domain/access.ts): naming a visit's engineer is assigning, every other step acting. The routes and the console's forms both ask this. */
export const visitStepAction = (step: VisitStepName): 'act' | 'assign' => (step === 'assign' ? 'assign' : 'act');
export const CALL_STEP_ACTION = 'act' as const;


async function planOf(deps: ApiDeps, planId: number) {
  return (await new CareRepository(deps.knex).getPlan(planId))!;
}

/**
 * One step on a visit (`assign`, `reschedule`, `complete`, `skip`, `cancel`): the body checked by the
 * route's own schema, then sent to the plan's workflow for the visit's task. The caller has checked
 * that the user may take it (the routes do; the console asks domain/access.ts).
 */
export async function runVisitStep(deps: ApiDeps, user: User, visitId: number, step: VisitStepName, body: unknown, updateId?: string): Promise<CareStepResult> {
  const schema = VisitStepBodies[step];
  if (!schema) throw validationFailed([{ field: 'step', message: `no visit step ${String(step)}` }]);
  const checked = parseOrRefuse(schema, body, user.locale) as Record<string, unknown>;
  const visit = await new CareRepository(deps.knex).getVisit(visitId);
  if (!visit) throw new NotFoundError(words('refusal.care.noVisit', { visitId: visitId }));
  let payload: Record<string, unknown> = { ...checked, taskKey: visit.taskKey };
  if (step === 'assign') {
    const { engineerUserId, ...rest } = payload as { engineerUserId: number };
    payload = { ...rest, engineer: await engineerFor(deps, engineerUserId, 'engineerUserId') };
  }
  if (typeof payload.dueAt === 'string') payload.dueAt = new Date(payload.dueAt).toISOString();
  return updatePlan(deps, await planOf(deps, visit.planId), VISIT_UPDATES[step], payload, user, updateId);
}

/** One step on a call (`complete`, `no-answer`, `wrong-number`, `reschedule`); a contact named must be the customer's. */
export async function runCallStep(deps: ApiDeps, user: User, callId: number, step: CallStepName, body: unknown, updateId?: string): Promise<CareStepResult> {
  const schema = CallStepBodies[step];
  if (!schema) throw validationFailed([{ field: 'step', message: `no call step ${String(step)}` }]);
  const checked = parseOrRefuse(schema, body, user.locale) as Record<string, unknown>;
  const call = await new CareRepository(deps.knex).getCall(callId);
  if (!call) throw new NotFoundError(words('refusal.care.noCall', { callId: callId }));
  if (typeof checked.contactId === 'number') {
    const contact = (await deps.knex('customer_contacts').where({ id: checked.contactId, customer_id: call.customerId }).first('id')) as unknown;
    if (!contact) throw new DomainError(words('refusal.care.noContact', { contactId: checked.contactId, customerId: call.customerId }), 'contactId');
  }
  const payload: Record<string, unknown> = { ...checked, taskKey: call.taskKey };
  if (typeof payload.dueAt === 'string') payload.dueAt = new Date(payload.dueAt).toISOString();
  return updatePlan(deps, await planOf(deps, call.planId), CALL_UPDATES[step], payload, user, updateId);
}
