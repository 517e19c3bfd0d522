/**
 * P4 asset care routes: care plans (start, list, read, end, maintenance contracts, extra visits,
 * follow-ups, CSV import), the visit and call queues, and every step on a visit or a call. The work is
 * done by the functions of plans.ts, tasks.ts and import.ts, which the console calls too.
 */
import { rolesReaching } from '../../../domain/access';
import type { AuditTarget } from '../../../platform/http/audit';
import { updateIdFor, oncePerKey } from '../../../platform/http/idempotency';
import { apiModule } from '../../../platform/http/module';
import { defineRoute } from '../../../platform/http/route';
import { z } from '../../../platform/http/zod';
import { importCarePlansRoute } from './import';
import { readerLocale } from '../../../platform/http/problemMessages';
import { addExtraVisit, addMaintenanceContract, carePlanDetail, closeFollowUp, createCarePlan, endCarePlan, listCarePlans } from '../useCases/plans';
import {
  CallSchema,
  CallStepBodies,
  CarePlanDetailSchema,
  CarePlanSchema,
  CareStepResultSchema,
  CloseFollowUpBody,
  CreateCarePlanBody,
  EndCarePlanBody,
  ExtraVisitBody,
  FollowUpParams,
  IdParams,
  MaintenanceContractBody,
  PlanListQuery,
  TaskListQuery,
  VisitSchema,
  VisitStepBodies,
} from '../useCases/schemas';
import { CALL_STEP_ACTION, CALL_STEPS, listCalls, listVisits, readCall, readVisit, runCallStep, runVisitStep, visitStepAction, VISIT_STEPS } from '../useCases/tasks';

const TAGS = ['asset care'];
const STEP_ERRORS = { 409: 'Not possible now: the task is done, skipped, cancelled or unknown, or the plan has ended', 503: 'The step could not be recorded; nothing changed, try again' };
const planAudit = (id: number): AuditTarget => ({ entityType: 'care_plan', entityId: id });

const create = defineRoute(
  {
    method: 'post',
    path: '/care-plans',
    roles: rolesReaching('care_plan', 'act'),
    access: { rule: 'collection', resource: 'care_plan', action: 'act' },
    summary: 'Start a care plan for equipment outside projects (sold by a dealer, or already in the field)',
    description: 'Unregistered devices (with their model) are registered with the plan. A device already on an active plan is a 409 naming it.',
    tags: TAGS,
    body: CreateCarePlanBody,
    idempotent: true,
    responses: { 201: { description: 'Started; its tasks are scheduled', body: CarePlanDetailSchema } },
    errors: { 409: 'A device is already on an active care plan', 503: 'No process engine configured; nothing was recorded' },
  },
  async ({ body, deps, res, user, req, idempotencyKey }) =>
    (await oncePerKey(deps, user, idempotencyKey, req, async () => {
      const plan = await createCarePlan(deps, body, readerLocale(req, user));
      res.locals.audit = planAudit(plan.id);
      return { status: 201 as const, body: await carePlanDetail(deps, plan.id, new Date(), undefined, readerLocale(req, user)) };
    })) as { status: 201; body: z.input<typeof CarePlanDetailSchema> },
);

const list = defineRoute(
  {
    method: 'get',
    path: '/care-plans',
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'care_plan', action: 'read' },
    summary: 'Care plans the caller may read',
    tags: TAGS,
    query: PlanListQuery,
    responses: { 200: { description: 'Plans, oldest first', body: z.object({ carePlans: z.array(CarePlanSchema) }) } },
  },
  async ({ query, deps, scope }) => ({ status: 200, body: { carePlans: await listCarePlans(deps, scope, query) } }),
);

const read = defineRoute(
  {
    method: 'get',
    path: '/care-plans/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'care_plan', action: 'read' },
    summary: 'A care plan: devices, warranty dates, contracts, next and past tasks, follow-ups, timeline',
    tags: TAGS,
    params: IdParams,
    responses: { 200: { description: 'The plan', body: CarePlanDetailSchema } },
  },
  async ({ params, deps, user, req }) => ({ status: 200, body: await carePlanDetail(deps, params.id, new Date(), user, readerLocale(req, user)) }),
);

/** A step on the plan itself: the service manager's. */
function planStep<B extends z.ZodType>(path: string, summary: string, body: B, run: (context: { deps: Parameters<typeof endCarePlan>[0]; user: Parameters<typeof endCarePlan>[1]; id: number; body: z.output<B>; params: Record<string, number>; updateId?: string }) => Promise<z.input<typeof CareStepResultSchema>>, params: typeof IdParams | typeof FollowUpParams = IdParams) {
  return defineRoute(
    {
      method: 'post',
      path: `/care-plans/:id/${path}`,
      roles: rolesReaching('care_plan', 'act'),
      access: { rule: 'record', resource: 'care_plan', action: 'act' },
      summary,
      tags: TAGS,
      params,
      body,
      idempotent: true,
      responses: { 200: { description: 'The plan after the step', body: CareStepResultSchema } },
      errors: STEP_ERRORS,
    },
    async ({ params, body, deps, user, res, idempotencyKey }) => {
      const p = params as Record<string, number>;
      res.locals.audit = planAudit(p.id!);
      return { status: 200, body: await run({ deps, user, id: p.id!, body: body as z.output<B>, params: p, updateId: updateIdFor(user, idempotencyKey) }) };
    },
  );
}

const end = planStep('end', 'End the plan (equipment retired, the customer ends the service): open tasks are cancelled', EndCarePlanBody, ({ deps, user, id, body, updateId }) => endCarePlan(deps, user, id, body, updateId));
const contract = planStep(
  'maintenance-contracts',
  'Add a maintenance contract: at least care.postWarrantyVisitsPerYear visits a year until it ends, and a renewal reminder before',
  MaintenanceContractBody,
  ({ deps, user, id, body, updateId }) => addMaintenanceContract(deps, user, id, body, updateId),
);
const extraVisit = planStep('visits', 'Add an extra visit (e.g. an escort inspection before the customer’s major event)', ExtraVisitBody, ({ deps, user, id, body, updateId }) => addExtraVisit(deps, user, id, body, updateId));
const closeFollow = planStep(
  'follow-ups/:followUpId/close',
  'Close a follow-up (a low score, an unsolved problem, an unreached customer) with its outcome; its deadline is met',
  CloseFollowUpBody,
  ({ deps, user, id, body, params, updateId }) => closeFollowUp(deps, user, id, params.followUpId!, body, updateId),
  FollowUpParams,
);

// ---------------------------------------------------------------------------------------------
// Visits and calls

const listVisitsRoute = defineRoute(
  {
    method: 'get',
    path: '/visits',
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'care_visit', action: 'read' },
    summary: 'Visits the caller may read, soonest first (an engineer’s own: assignee=me)',
    tags: TAGS,
    query: TaskListQuery,
    responses: { 200: { description: 'Visits', body: z.object({ visits: z.array(VisitSchema) }) } },
  },
  async ({ query, deps, user, scope }) => ({ status: 200, body: { visits: await listVisits(deps, user, scope, query) } }),
);

const listCallsRoute = defineRoute(
  {
    method: 'get',
    path: '/calls',
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'care_call', action: 'read' },
    summary: 'Return calls the caller may read, soonest first, with whom to call',
    tags: TAGS,
    query: TaskListQuery,
    responses: { 200: { description: 'Calls', body: z.object({ calls: z.array(CallSchema) }) } },
  },
  async ({ query, deps, user, scope }) => ({ status: 200, body: { calls: await listCalls(deps, user, scope, query) } }),
);

const readVisitRoute = defineRoute(
  {
    method: 'get',
    path: '/visits/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'care_visit', action: 'read' },
    summary: 'A visit',
    tags: TAGS,
    params: IdParams,
    responses: { 200: { description: 'The visit', body: VisitSchema } },
  },
  async ({ params, deps }) => ({ status: 200, body: await readVisit(deps, params.id) }),
);

const readCallRoute = defineRoute(
  {
    method: 'get',
    path: '/calls/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'care_call', action: 'read' },
    summary: 'A return call, with whom to call',
    tags: TAGS,
    params: IdParams,
    responses: { 200: { description: 'The call', body: CallSchema } },
  },
  async ({ params, deps }) => ({ status: 200, body: await readCall(deps, params.id) }),
);

const VISIT_SUMMARIES: Record<(typeof VISIT_STEPS)[number], string> = {
  assign: 'Assign the visit to another engineer than the customer’s one-to-one engineer',
  reschedule: 'Move this visit only (with a reason); the rest of the plan keeps its rhythm',
  complete: 'Record the visit: checklist, findings, open items for the next visit, the customer’s signature; the report falls due',
  skip: 'Skip the visit, with a reason',
  cancel: 'Cancel the visit, with a reason',
};

const visitSteps = VISIT_STEPS.map((step) =>
  defineRoute(
    {
      method: 'post',
      path: `/visits/:id/${step}`,
      roles: rolesReaching('care_visit', visitStepAction(step)),
      access: { rule: 'record', resource: 'care_visit', action: visitStepAction(step) },
      summary: VISIT_SUMMARIES[step],
      tags: TAGS,
      params: IdParams,
      body: VisitStepBodies[step],
      idempotent: true,
      responses: { 200: { description: 'The visit after the step', body: CareStepResultSchema } },
      errors: STEP_ERRORS,
    },
    async ({ params, body, deps, user, res, idempotencyKey }) => {
      res.locals.audit = { entityType: 'care_visit', entityId: params.id } satisfies AuditTarget;
      return { status: 200, body: await runVisitStep(deps, user, params.id, step, body, updateIdFor(user, idempotencyKey)) };
    },
  ),
);

const CALL_SUMMARIES: Record<(typeof CALL_STEPS)[number], string> = {
  complete: 'Record the call: answers to the script, satisfaction 1–5; a low score or an unsolved problem opens a follow-up',
  'no-answer': 'Nobody answered: tried again the next working day, up to care.callAttempts, then escalated',
  'wrong-number': 'The contact’s number is wrong: flagged for correction (PATCH /api/customers/:id/contacts/:contactId); the call stays open',
  reschedule: 'Move this call only (with a reason)',
};

const callSteps = CALL_STEPS.map((step) =>
  defineRoute(
    {
      method: 'post',
      path: `/calls/:id/${step}`,
      roles: rolesReaching('care_call', CALL_STEP_ACTION),
      access: { rule: 'record', resource: 'care_call', action: CALL_STEP_ACTION },
      summary: CALL_SUMMARIES[step],
      tags: TAGS,
      params: IdParams,
      body: CallStepBodies[step],
      idempotent: true,
      responses: { 200: { description: 'The call after the step', body: CareStepResultSchema } },
      errors: STEP_ERRORS,
    },
    async ({ params, body, deps, user, res, idempotencyKey }) => {
      res.locals.audit = { entityType: 'care_call', entityId: params.id } satisfies AuditTarget;
      return { status: 200, body: await runCallStep(deps, user, params.id, step, body, updateIdFor(user, idempotencyKey)) };
    },
  ),
);

export const careModule = apiModule(create, importCarePlansRoute, list, read, end, contract, extraVisit, closeFollow, listVisitsRoute, listCallsRoute, readVisitRoute, readCallRoute, ...visitSteps, ...callSteps);

export { addExtraVisit, addMaintenanceContract, carePlanDetail, closeFollowUp, createCarePlan, endCarePlan, listCarePlans } from '../useCases/plans';
export { CALL_STEP_ACTION, CALL_STEPS, listCalls, listVisits, readCall, readVisit, runCallStep, runVisitStep, visitStepAction, VISIT_STEPS } from '../useCases/tasks';
