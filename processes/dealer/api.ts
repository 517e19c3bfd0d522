/**
 * Dealer warranty (三包, PRODUCT §P5) through the API: models' reference data, dealer sales and
 * warranty cards, claims with their automatic checks and per-role steps, settlements and the
 * dealer's receivables ledger. Each role acts on its own steps only (`roles` on each route); a
 * dealer's records are out of every other dealer's reach (404, absent from lists).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, type UpdateDefinition } from '@temporalio/common';
import type { Request } from 'express';
import {
  arrangeTaskUpdate,
  cardUpdate,
  checkTaskUpdate,
  claimChangedSignal,
  dealerClaimWorkflowId,
  settlementAnsweredSignal,
  settlementConfirmWorkflowId,
  type SettlementConfirmInput,
  type DealerClaimInput,
  dealerProcessPolicy,
  dealerTaskWorkflowId,
  warrantyCardWorkflowId,
  type DealerTaskInput,
  type WarrantyCardInput,
} from './messages';
import type { StepMeta } from '../../platform/workflowKit/steps';
import type { WriteOffNoticeInput } from './settlement/dealerSettlement.workflow';
import { stringify } from 'csv-stringify/sync';
import { ConflictError, NotFoundError } from '../../platform/db/errors';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { DealerWarrantyRepository, StepRefused, type Claim, type DealerSale, type DealerTask, type Settlement } from './repository';
import type { User } from '../../people/repository';
import { ALL_ROWS, rolesReaching, type Role, type Scope } from '../../domain/access';
import { APPRAISALS, dealerDeadlineAt, endOfLocalDay, HAND_BACK_REFUSAL, type ClaimLineInput, type LineDecision } from './rules';
import type { Duration } from '../../domain/duration';
import type { BusinessCalendar } from '../../domain/calendar';
import { CalendarsRepository } from '../../schedule/calendars/repository';
import { mergePolicy, DEFAULT_POLICY, type PolicyOverride, type ServicePolicy } from '../../domain/policy';
import { renderNotice } from '../../platform/notices';
import type { AuditTarget } from '../../platform/http/audit';
import { conflict, forbidden, notFound, unavailable, validationFailed } from '../../platform/http/errors';
import { DateSchema, EmailSchema, IdSchema, InstantSchema, line, MoneySchema, optionalLine, prose } from '../../platform/http/fields';
import { oncePerKey, updateIdFor } from '../../platform/http/idempotency';
import { updateFailureToApi } from '../../platform/http/temporalErrors';
import { createAndStart, type ProcessStart } from '../../platform/temporal/processStarts';
import { apiModule, type ApiDeps } from '../../platform/http/module';
import { defineRoute } from '../../platform/http/route';
import { z } from '../../platform/http/zod';

/** The dealer terms in force: the default template layer over the built-in defaults. */
export async function dealerPolicy(deps: ApiDeps): Promise<ServicePolicy> {
  const template = await new PolicyLayersRepository(deps.knex).get('template', 'default');
  return mergePolicy(DEFAULT_POLICY, template?.override as PolicyOverride | undefined);
}

/**
 * The business calendar a dealer deadline in working days is counted on, as the store holds it now;
 * null when every duration given is an ISO duration (those need no calendar).
 */
export async function dealerCalendar(deps: ApiDeps, policy: ServicePolicy, ...durations: Duration[]): Promise<BusinessCalendar | null> {
  if (durations.every((d) => typeof d === 'string')) return null;
  const calendar = await new CalendarsRepository(deps.knex).load(policy.calendar);
  if (!calendar) throw new Error(`the policy's calendar '${policy.calendar}' is not in the calendar store: working days cannot be counted`);
  return calendar;
}

/** A write once per Idempotency-Key: a repeat answers the stored reply, which has the same shape. */
export async function once<T extends { status: number; body: unknown }>(deps: ApiDeps, user: User, key: string | undefined, req: Request, create: () => Promise<T>): Promise<T> {
  return (await oncePerKey(deps, user, key, req, create)) as T;
}

/**
 * Each role acts on its own steps only: the route admits every role that acts on the kind (the
 * access rule), and the step names which of them takes it.
 */
function stepBy(user: User, roles: readonly Role[]): void {
  if (!roles.includes(user.role)) throw forbidden(`Role ${user.role} does not take this step; it is the ${roles.join(' or ')}’s`);
}

const repo = (deps: ApiDeps) => new DealerWarrantyRepository(deps.knex);

/** Repository refusals as API answers: a refused step is a 409 naming why, a missing record a 404. */
async function step<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof StepRefused) throw conflict(error.message, error.field ? [{ field: error.field, message: error.message }] : []);
    if (error instanceof NotFoundError) throw notFound(error.message);
    if (error instanceof ConflictError) throw conflict(error.message, error.details.field ? [{ field: error.details.field, message: error.message, ...(error.details.code ? { code: error.details.code } : {}) }] : []);
    throw error;
  }
}

/** Whose dealer a write is for: a dealer user's own; anyone else names one. */
function dealerOfCaller(user: User, named: number | undefined): number {
  if (user.role === 'dealer') {
    if (named !== undefined && named !== user.dealerId) throw notFound(`no dealer ${named}`);
    return user.dealerId!;
  }
  if (named === undefined) throw validationFailed([{ field: 'dealerId', message: 'Required: the dealer the record is for' }]);
  return named;
}

/**
 * A new record and the process that keeps its deadlines: `write` writes the rows (in the one
 * transaction with the process's pending start) and names the process; after the commit it starts
 * (platform/temporal/processStarts.ts). A start that fails now deletes nothing: the reconciler's.
 */
async function createWithProcess<T>(deps: ApiDeps, write: (repo: DealerWarrantyRepository) => Promise<{ record: T; start: ProcessStart | null }>): Promise<T> {
  if (!deps.temporal) throw unavailable('No process engine configured; nothing was recorded');
  return createAndStart(deps.knex, deps.temporal, (trx) => write(new DealerWarrantyRepository(trx)));
}

/** A person's step on a dealer process: a Temporal update the process judges, records, then applies. */
export async function sendStep<R, S extends StepMeta>(deps: ApiDeps, user: User, idempotencyKey: string | undefined, workflowId: string, update: UpdateDefinition<R, [S]>, body: Omit<S, keyof StepMeta>, closedMessage: string): Promise<R> {
  if (!deps.temporal) throw unavailable('No process engine configured');
  const payload = { ...body, actor: { userId: user.id, name: user.name, role: user.role }, occurredAt: new Date().toISOString() } as S;
  const updateId = updateIdFor(user, idempotencyKey);
  try {
    return await deps.temporal.client.workflow.getHandle(workflowId).executeUpdate(update, { args: [payload], ...(updateId ? { updateId } : {}) });
  } catch (error) {
    throw updateFailureToApi(error, closedMessage);
  }
}

/** A body checked by the route's schema, for callers outside the route (the console's forms): a 400 naming the fields. */
function parseBody<B extends z.ZodType>(schema: B, input: unknown): z.infer<B> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationFailed(parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || 'body', message: issue.message })));
  return parsed.data;
}

const today = (policy: ServicePolicy, at: Date): string => at.toLocaleDateString('sv-SE', { timeZone: policy.dealer.settlementTimeZone });

// --- Schemas ------------------------------------------------------------------------------------

const IdParams = z.object({ id: z.coerce.number().int().min(1).max(4_294_967_295) });
const ModelParams = z.object({ model: z.string().min(1).max(191) });
const Hundredths = z.number().int().min(1).max(100_000).openapi({ description: 'Hours in hundredths: 150 is 1.5 h' });

const ClaimLineBody = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('part'), partNo: line(), quantity: z.number().int().min(1).max(10_000), unitPrice: MoneySchema }),
    z.strictObject({ kind: z.literal('labour'), operation: line(), hundredthsOfHour: Hundredths, rate: MoneySchema, partLineNo: z.number().int().min(1).max(500).optional() }),
    z.strictObject({ kind: z.literal('travel'), amount: MoneySchema, distanceKm: z.number().int().min(0).max(100_000).optional() }),
    z.strictObject({ kind: z.literal('other'), amount: MoneySchema, description: line(500) }),
  ])
  .openapi('ClaimLineInput');

const MoneyOut = z.object({ amount: z.number().int(), currency: z.string() });

const ClaimSchema = z
  .object({
    id: z.number().int(),
    dealerId: z.number().int(),
    deviceSerial: z.string(),
    faultCode: z.string(),
    repairDate: z.string(),
    status: z.enum(['in_review', 'sent_back', 'decided', 'rejected']),
    claimCodes: z.array(z.string()).openapi({ description: 'Claim-level reason codes of the automatic checks (any refuses the claim)' }),
    partsDueOn: z.string().nullable().openapi({ description: 'The old parts are due by this date (dealer.oldPartReturnDeadlines)' }),
    auditRequired: z.boolean(),
    audited: z.boolean(),
    resubmissions: z.number().int(),
    lines: z.array(
      z.object({
        lineNo: z.number().int(),
        claimLineId: z.number().int(),
        kind: z.string(),
        detail: z.record(z.string(), z.unknown()),
        claimed: MoneyOut,
        codes: z.array(z.string()),
        status: z.string(),
        approved: MoneyOut.nullable(),
        decisionReason: z.string().nullable(),
        receivedOn: z.string().nullable(),
        appraisal: z.string().nullable(),
      }),
    ),
  })
  .openapi('Claim');

const claimDto = (claim: Claim): z.input<typeof ClaimSchema> => ({
  id: claim.id,
  dealerId: claim.dealerId,
  deviceSerial: claim.deviceSerial,
  faultCode: claim.faultCode,
  repairDate: claim.repairDate,
  status: claim.status,
  claimCodes: claim.claimCodes,
  partsDueOn: claim.partsDueOn,
  auditRequired: claim.auditRequired,
  audited: claim.auditedAt !== null,
  resubmissions: claim.resubmissions,
  lines: claim.lines.map((l) => ({
    lineNo: l.lineNo,
    claimLineId: l.id,
    kind: l.input.kind,
    detail: l.input as unknown as Record<string, unknown>,
    claimed: l.claimed,
    codes: l.codes,
    status: l.status,
    approved: l.approved,
    decisionReason: l.decisionReason,
    receivedOn: l.receivedOn,
    appraisal: l.appraisal,
  })),
});

const SettlementSchema = z
  .object({
    id: z.number().int(),
    dealerId: z.number().int(),
    period: z.string(),
    version: z.number().int(),
    status: z.enum(['review', 'sent', 'confirmed', 'disputed']),
    total: MoneyOut,
    confirmDueAt: z.string().nullable(),
    disputeReason: z.string().nullable(),
    disputeAnswer: z.string().nullable(),
    disputeLineIds: z.array(z.number().int()).openapi({ description: 'The claim lines the dealer disputed' }),
    lines: z.array(z.object({ claimLineId: z.number().int(), claimId: z.number().int(), lineNo: z.number().int(), kind: z.string(), amount: z.number().int() })),
  })
  .openapi('Settlement');

const settlementDto = (s: Settlement): z.input<typeof SettlementSchema> => ({ ...s, confirmDueAt: s.confirmDueAt?.toISOString() ?? null });

const SaleSchema = z
  .object({
    id: z.number().int(),
    dealerId: z.number().int(),
    deviceSerial: z.string(),
    model: z.string(),
    saleDate: z.string(),
    customerName: z.string(),
    cardDueOn: z.string(),
    cardCompletedOn: z.string().nullable(),
    warranty: z.enum(['pending', 'recognised', 'not_recognised']),
    warrantyEndsOn: z.string().nullable(),
    warrantyReason: z.string().nullable().openapi({ description: 'Why the warranty is not recognised' }),
    deviceId: z.number().int().nullable().openapi({ description: 'The device the card registered with its warranty dates' }),
  })
  .openapi('DealerSale');

const STEP_ERRORS = { 404: 'No such record, or another dealer’s', 409: 'Not possible in the record’s current state; the message says why' };

// --- Reference data -------------------------------------------------------------------------------

const putModelReference = defineRoute(
  {
    method: 'put',
    path: '/models/:model/warranty-reference',
    roles: rolesReaching('claim', 'administer'),
    access: { rule: 'collection', resource: 'claim', action: 'administer' },
    summary: 'Set a model’s parts list and labour operations (standard hours) for dealer claims',
    tags: ['dealer warranty'],
    params: ModelParams,
    body: z.strictObject({
      parts: z.array(z.strictObject({ partNo: line(), name: optionalLine().optional() })).max(5000),
      operations: z.array(z.strictObject({ operation: line(), standardHundredths: Hundredths })).max(1000),
    }),
    responses: { 200: { description: 'Stored', body: z.object({ model: z.string(), parts: z.number().int(), operations: z.number().int() }) } },
  },
  async ({ params, body, deps }) => {
    await repo(deps).putModelReference(params.model, body.parts, body.operations);
    return { status: 200, body: { model: params.model, parts: body.parts.length, operations: body.operations.length } };
  },
);

// --- Sales and cards -------------------------------------------------------------------------------

const createSale = defineRoute(
  {
    method: 'post',
    path: '/dealer-sales',
    roles: rolesReaching('dealer_sale', 'act'),
    access: { rule: 'collection', resource: 'dealer_sale', action: 'act' },
    summary: 'Record a dealer sale; its warranty card falls due dealer.warrantyCardWithin after the sale date',
    tags: ['dealer warranty'],
    body: z.strictObject({ dealerId: IdSchema.optional(), deviceSerial: line(), model: line(), saleDate: DateSchema, customerName: line() }),
    idempotent: true,
    responses: { 201: { description: 'Recorded; the warrantyCard process reminds the dealer and ends the card’s time', body: SaleSchema } },
    errors: { 409: 'The device has a sale on record already', 503: 'No process engine configured; nothing was recorded' },
  },
  async ({ body, user, deps, req, res, idempotencyKey }) =>
    once(deps, user, idempotencyKey, req, async () => {
      const dealerId = dealerOfCaller(user, body.dealerId);
      if (!(await deps.knex('dealers').where({ id: dealerId }).first('id'))) throw validationFailed([{ field: 'dealerId', message: `no dealer ${dealerId}` }]);
      const policy = await dealerPolicy(deps);
      const recordedAt = new Date();
      const sale = await step(() =>
        createWithProcess(deps, async (sales) => {
          const sale = await sales.createSale({ ...body, dealerId }, policy.dealer, recordedAt);
          const input: WarrantyCardInput = { saleId: sale.id, dealerId, deviceSerial: sale.deviceSerial, model: sale.model, saleDate: sale.saleDate, customerName: sale.customerName, recordedAt: recordedAt.toISOString(), policy: dealerProcessPolicy(policy) };
          return { record: sale, start: { workflowType: 'warrantyCard', workflowId: warrantyCardWorkflowId(sale.id), input } };
        }),
      );
      res.locals.audit = { entityType: 'dealer_sale', entityId: sale.id } satisfies AuditTarget;
      return { status: 201 as const, body: sale };
    }),
);

const CardBody = z.strictObject({ cardDate: DateSchema, customerPhone: optionalLine(64).optional(), customerAddress: optionalLine(500).optional() });

const completeCard = defineRoute(
  {
    method: 'post',
    path: '/dealer-sales/:id/card',
    roles: rolesReaching('dealer_sale', 'act'),
    access: { rule: 'record', resource: 'dealer_sale', action: 'act' },
    summary: 'Complete the warranty card: in time it registers the device with its warranty from the sale date; after the deadline it is refused (warranty not recognised)',
    tags: ['dealer warranty'],
    params: IdParams,
    body: CardBody,
    idempotent: true,
    responses: { 200: { description: 'The sale with its warranty', body: SaleSchema } },
    errors: { ...STEP_ERRORS, 409: 'Completed already, or the card’s deadline passed: the warranty is not recognised' },
  },
  async ({ params, body, user, deps, req, res, idempotencyKey, scope }) =>
    once(deps, user, idempotencyKey, req, async () => {
      res.locals.audit = { entityType: 'dealer_sale', entityId: params.id } satisfies AuditTarget;
      return { status: 200 as const, body: await completeWarrantyCard(deps, user, params.id, body, scope, idempotencyKey) };
    }),
);

/** The dealer completes a sale's warranty card (the route's and the console's command); the warrantyCard process judges it. */
export async function completeWarrantyCard(deps: ApiDeps, user: User, saleId: number, input: unknown, scope: Scope, idempotencyKey?: string): Promise<DealerSale> {
  const body = parseBody(CardBody, input);
  const sale = await repo(deps).sale(saleId, scope);
  if (!sale) throw notFound(`no dealer sale ${saleId}`);
  if (body.cardDate > today(await dealerPolicy(deps), new Date())) throw validationFailed([{ field: 'cardDate', message: 'must not be in the future' }]);
  const closed = sale.warranty === 'recognised' ? `the card of sale ${sale.id} was completed on ${sale.cardCompletedOn}` : `the card of sale ${sale.id} is past its deadline: the warranty is not recognised`;
  await sendStep(deps, user, idempotencyKey, warrantyCardWorkflowId(sale.id), cardUpdate, body, closed);
  return (await repo(deps).sale(saleId, scope))!;
}

// --- Dealer tasks ------------------------------------------------------------------------------

const TaskSchema = z
  .object({
    id: z.number().int(),
    dealerId: z.number().int(),
    deviceSerial: z.string(),
    customerName: z.string(),
    request: z.string(),
    status: z.enum(['open', 'arranged']),
    checkedAt: z.string().nullable(),
    arrangeDueAt: z.string(),
    clerkCheckAt: z.string(),
    arrangedAt: z.string().nullable(),
    visitAt: z.string().nullable(),
    arrangement: z.string().nullable(),
  })
  .openapi('DealerTask');

const taskDto = ({ customerEmail: _customerEmail, ...t }: DealerTask): z.input<typeof TaskSchema> => ({
  ...t,
  arrangeDueAt: t.arrangeDueAt.toISOString(),
  clerkCheckAt: t.clerkCheckAt.toISOString(),
  arrangedAt: t.arrangedAt?.toISOString() ?? null,
  visitAt: t.visitAt?.toISOString() ?? null,
  checkedAt: t.checkedAt?.toISOString() ?? null,
});

const createTask = defineRoute(
  {
    method: 'post',
    path: '/dealer-tasks',
    roles: rolesReaching('dealer_task', 'act'),
    access: { rule: 'collection', resource: 'dealer_task', action: 'act' },
    summary: 'A 三包 request for a dealer (forwarded by the sales clerk, or taken by the dealer): to be arranged within dealer.taskArrangeWithin',
    tags: ['dealer warranty'],
    body: z.strictObject({
      dealerId: IdSchema.optional(),
      deviceSerial: line(),
      customerName: line(),
      customerPhone: optionalLine(64).optional(),
      customerEmail: EmailSchema.optional().openapi({ description: 'The end user, told when the dealer arranges the service' }),
      customerLocale: z.enum(['zh-CN', 'en']).optional(),
      request: prose(2000),
    }),
    idempotent: true,
    responses: { 201: { description: 'The task with its due times; the dealerTask process chases them', body: TaskSchema } },
    errors: { 503: 'No process engine configured; nothing was recorded' },
  },
  async ({ body, user, deps, req, res, idempotencyKey }) =>
    once(deps, user, idempotencyKey, req, async () => {
      const dealerId = dealerOfCaller(user, body.dealerId);
      if (!(await deps.knex('dealers').where({ id: dealerId }).first('id'))) throw validationFailed([{ field: 'dealerId', message: `no dealer ${dealerId}` }]);
      const task = await openDealerTask(deps, { ...body, dealerId }, user.id);
      res.locals.audit = { entityType: 'dealer_task', entityId: task.id } satisfies AuditTarget;
      return { status: 201 as const, body: taskDto(task) };
    }),
);

export type NewDealerTask = Parameters<DealerWarrantyRepository['createTask']>[0];

/**
 * A 三包 request on record with its dealerTask process chasing its due times (its start written with it).
 * Also how a repair ticket on a dealer-sold device in its recognised warranty is routed at intake.
 */
export async function openDealerTask(deps: ApiDeps, request: NewDealerTask, createdBy: number): Promise<DealerTask> {
  const policy = await dealerPolicy(deps);
  const receivedAt = new Date();
  return createWithProcess(deps, async (tasks) => {
    const task = await tasks.createTask(request, policy.dealer, createdBy, receivedAt);
    return { record: task, start: dealerTaskStart(task, request, policy, receivedAt) };
  });
}

/**
 * The dealerTask process's start for a task (a 三包 intake writes the task and this start in the
 * ticket's own transaction, so a refused intake leaves neither).
 */
export function dealerTaskStart(task: DealerTask, request: NewDealerTask, policy: ServicePolicy, receivedAt: Date): ProcessStart {
  const input: DealerTaskInput = {
    taskId: task.id,
    dealerId: request.dealerId,
    deviceSerial: task.deviceSerial,
    customerName: task.customerName,
    ...(request.customerEmail ? { customer: { name: request.customerName, email: request.customerEmail, ...(request.customerLocale ? { locale: request.customerLocale } : {}) } } : {}),
    receivedAt: receivedAt.toISOString(),
    policy: dealerProcessPolicy(policy),
  };
  return { workflowType: 'dealerTask', workflowId: dealerTaskWorkflowId(task.id), input };
}

const getTask = defineRoute(
  {
    method: 'get',
    path: '/dealer-tasks/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'dealer_task', action: 'read' },
    summary: 'One dealer task',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'The task', body: TaskSchema } },
  },
  async ({ params, scope, deps }) => {
    const task = await repo(deps).task(params.id, scope);
    if (!task) throw notFound(`no dealer task ${params.id}`);
    return { status: 200, body: taskDto(task) };
  },
);

interface DealerStep<Result> {
  path: string;
  roles: readonly Role[];
  body: z.ZodType;
  run(deps: ApiDeps, id: number, body: unknown, user: User, scope: Scope, idempotencyKey: string | undefined): Promise<Result>;
}

const TASK_STEPS: DealerStep<DealerTask>[] = [];

/** A step on a dealer task (the route's and the console's command): the role, the body, the task in the caller's reach, then the step. */
export async function runTaskStep(deps: ApiDeps, user: User, taskId: number, path: string, input: unknown, scope: Scope, idempotencyKey?: string): Promise<DealerTask> {
  const spec = TASK_STEPS.find((s) => s.path === path);
  if (!spec) throw notFound(`no dealer task step ${path}`);
  // Another dealer's task is one that does not exist (404), whoever asks; then the role, then the body.
  if (!(await repo(deps).task(taskId, scope))) throw notFound(`no dealer task ${taskId}`);
  stepBy(user, spec.roles);
  const body = parseBody(spec.body, input);
  return step(() => spec.run(deps, taskId, body, user, scope, idempotencyKey));
}

function taskStep<B extends z.ZodType>(path: string, roles: readonly Role[], summary: string, body: B, run: (deps: ApiDeps, id: number, body: z.infer<B>, user: User, idempotencyKey: string | undefined) => Promise<DealerTask>) {
  TASK_STEPS.push({ path, roles, body, run: (deps, id, input, user, _scope, key) => run(deps, id, input as z.infer<B>, user, key) });
  return defineRoute(
    {
      method: 'post',
      path: `/dealer-tasks/:id/${path}`,
      roles: rolesReaching('dealer_task', 'act'),
      access: { rule: 'record', resource: 'dealer_task', action: 'act' },
      summary,
      tags: ['dealer warranty'],
      params: IdParams,
      body,
      idempotent: true,
      responses: { 200: { description: 'The task after the step', body: TaskSchema } },
      errors: STEP_ERRORS,
    },
    async ({ params, body: input, user, deps, req, res, idempotencyKey, scope }) =>
      once(deps, user, idempotencyKey, req, async () => {
        res.locals.audit = { entityType: 'dealer_task', entityId: params.id } satisfies AuditTarget;
        return { status: 200 as const, body: taskDto(await runTaskStep(deps, user, params.id, path, input, scope, idempotencyKey)) };
      }),
  );
}

const arrangeTask = taskStep(
  'arrange',
  ['dealer'],
  'The dealer arranges the service (when it visits and what it will do); the end user is told',
  z.strictObject({ visitAt: InstantSchema, arrangement: prose(2000) }),
  async (deps, id, body, user, key) => {
    await sendStep(deps, user, key, dealerTaskWorkflowId(id), arrangeTaskUpdate, { visitAt: new Date(body.visitAt).toISOString(), arrangement: body.arrangement }, `dealer task ${id} is closed`);
    return (await repo(deps).task(id, ALL_ROWS))!;
  },
);

const checkTask = taskStep('check', ['sales_clerk'], 'The sales clerk checks the dealer arranged the task (refused, to escalate, when it has not)', z.strictObject({ note: prose(2000) }), async (deps, id, body, user, key) => {
  await sendStep(deps, user, key, dealerTaskWorkflowId(id), checkTaskUpdate, { note: body.note }, `dealer task ${id} is closed`);
  return (await repo(deps).task(id, ALL_ROWS))!;
});

const handBack = taskStep('hand-back', ['dealer'], 'A dealer asks to hand the customer back to the company: always refused for a 三包 customer, with the reason', z.strictObject({ reason: prose(2000) }), async () => {
  throw new StepRefused(HAND_BACK_REFUSAL);
});

// --- Claims ------------------------------------------------------------------------------------------

const ClaimBody = z.strictObject({
  deviceSerial: line(),
  faultCode: line(64),
  repairDate: DateSchema,
  workDone: prose(5000),
  signatureRef: optionalLine(500).optional(),
  attachments: z.array(line(500)).max(50).optional(),
  lines: z.array(ClaimLineBody).min(1).max(200),
});

const submitClaim = defineRoute(
  {
    method: 'post',
    path: '/claims',
    roles: rolesReaching('claim', 'act'),
    access: { rule: 'collection', resource: 'claim', action: 'act' },
    summary: 'Submit a dealer claim: the automatic checks run and put reason codes on the claim and its lines',
    tags: ['dealer warranty'],
    body: ClaimBody,
    idempotent: true,
    responses: { 201: { description: 'Recorded: in review, or rejected with its claim codes', body: ClaimSchema } },
    errors: { 409: 'A claim for the same device, fault and repair date exists (DUPLICATE_CLAIM); nothing was written' },
  },
  async ({ body, user, deps, req, res, idempotencyKey }) =>
    once(deps, user, idempotencyKey, req, async () => {
      const claim = await submitDealerClaim(deps, user, body);
      res.locals.audit = { entityType: 'claim', entityId: claim.id } satisfies AuditTarget;
      return { status: 201 as const, body: claimDto(claim) };
    }),
);

/** The dealer submits a claim (the route's and the console's command): the automatic checks, then its process starts. */
export async function submitDealerClaim(deps: ApiDeps, user: User, input: unknown): Promise<Claim> {
  const body = parseBody(ClaimBody, input);
  stepBy(user, ['dealer']);
  const now = new Date();
  if (body.repairDate > today(await dealerPolicy(deps), now)) throw validationFailed([{ field: 'repairDate', message: 'must not be in the future' }]);
  const bad = body.lines.findIndex((l) => l.kind === 'labour' && l.partLineNo !== undefined && l.partLineNo > body.lines.length);
  if (bad >= 0) throw validationFailed([{ field: `lines.${bad}.partLineNo`, message: 'must name a line of this claim' }]);
  const policy = await dealerPolicy(deps);
  return step(() =>
    createWithProcess(deps, async (claims) => {
      const claim = await claims.submitClaim({ ...body, lines: body.lines as ClaimLineInput[], dealerId: user.dealerId! }, policy.dealer, user.id, now, today(policy, now));
      // A claim the checks refuse is on record, closed: no process.
      if (claim.status === 'rejected') return { record: claim, start: null };
      const processInput: DealerClaimInput = {
        claimId: claim.id,
        dealerId: claim.dealerId,
        deviceSerial: claim.deviceSerial,
        ...(claim.partsDueOn ? { partsDueOn: claim.partsDueOn, partsDueAt: endOfLocalDay(claim.partsDueOn, policy.dealer.settlementTimeZone).toISOString() } : {}),
        policy: dealerProcessPolicy(policy),
      };
      return { record: claim, start: { workflowType: 'dealerClaim', workflowId: dealerClaimWorkflowId(claim.id), input: processInput } };
    }),
  );
}

const listClaims = defineRoute(
  {
    method: 'get',
    path: '/claims',
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'claim', action: 'read' },
    summary: 'Claims the caller may read (a dealer: its own), optionally by status',
    tags: ['dealer warranty'],
    query: z.object({ status: z.enum(['in_review', 'sent_back', 'decided', 'rejected']).optional() }),
    responses: { 200: { description: 'Claims, oldest first', body: z.object({ claims: z.array(ClaimSchema) }) } },
  },
  async ({ query, scope, deps }) => ({ status: 200, body: { claims: (await repo(deps).listClaims(scope, query.status)).map(claimDto) } }),
);

const getClaim = defineRoute(
  {
    method: 'get',
    path: '/claims/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'claim', action: 'read' },
    summary: 'One claim with its lines, codes and decisions',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'The claim', body: ClaimSchema } },
  },
  async ({ params, scope, deps }) => {
    const claim = await repo(deps).claim(params.id, scope);
    if (!claim) throw notFound(`no claim ${params.id}`);
    return { status: 200, body: claimDto(claim) };
  },
);

const CLAIM_STEPS: DealerStep<Claim>[] = [];

/** A step on a claim (the route's and the console's command): the role, the body, the step in one transaction, then the claim's process told. */
export async function runClaimStep(deps: ApiDeps, user: User, claimId: number, path: string, input: unknown, scope: Scope): Promise<Claim> {
  const spec = CLAIM_STEPS.find((s) => s.path === path);
  if (!spec) throw notFound(`no claim step ${path}`);
  if (!(await repo(deps).claim(claimId, scope))) throw notFound(`no claim ${claimId}`);
  stepBy(user, spec.roles);
  const body = parseBody(spec.body, input);
  const claim = await step(() => spec.run(deps, claimId, body, user, scope, undefined));
  await tellClaimProcess(deps, claim.id);
  return claim;
}

function claimStep<B extends z.ZodType>(path: string, roles: ['sales_clerk'] | ['technical_appraiser'] | ['dealer'], summary: string, body: B, run: (deps: ApiDeps, id: number, body: z.infer<B>, user: User, scope: Scope) => Promise<Claim>) {
  CLAIM_STEPS.push({ path, roles, body, run: (deps, id, input, user, scope) => run(deps, id, input as z.infer<B>, user, scope) });
  return defineRoute(
    {
      method: 'post',
      path: `/claims/:id/${path}`,
      roles: rolesReaching('claim', 'act'),
      access: { rule: 'record', resource: 'claim', action: 'act' },
      summary,
      tags: ['dealer warranty'],
      params: IdParams,
      body,
      idempotent: true,
      responses: { 200: { description: 'The claim after the step', body: ClaimSchema } },
      errors: STEP_ERRORS,
    },
    async ({ params, body: input, user, deps, req, res, idempotencyKey, scope }) =>
      once(deps, user, idempotencyKey, req, async () => {
        res.locals.audit = { entityType: 'claim', entityId: params.id } satisfies AuditTarget;
        return { status: 200 as const, body: claimDto(await runClaimStep(deps, user, params.id, path, input, scope)) };
      }),
  );
}

/**
 * Tells the claim's process a step changed the claim (a send-back opens the resubmission window).
 * Best effort: the step is on record; the process reads the claim again at its next timer anyway.
 */
async function tellClaimProcess(deps: ApiDeps, claimId: number): Promise<void> {
  if (!deps.temporal) return;
  try {
    await deps.temporal.client.workflow.getHandle(dealerClaimWorkflowId(claimId)).signal(claimChangedSignal);
  } catch (error) {
    // A process that ended (every line decided, no part awaited) has nothing left to time.
    if (error instanceof WorkflowNotFoundError) return;
    deps.logger?.error(`claim ${claimId}: its process was not told of the step`, error);
  }
}

const partsReceived = claimStep(
  'parts-received',
  ['sales_clerk'],
  'The sales clerk records old parts received (by claim line)',
  z.strictObject({ lineNos: z.array(z.number().int().min(1).max(500)).min(1).max(200), receivedOn: DateSchema }),
  (deps, id, body) => repo(deps).recordPartsReceived(id, body.lineNos, body.receivedOn),
);

const appraisal = claimStep(
  'appraisal',
  ['technical_appraiser'],
  'The technical appraiser appraises each returned part',
  z.strictObject({ appraisals: z.array(z.strictObject({ lineNo: z.number().int().min(1).max(500), appraisal: z.enum(APPRAISALS) })).min(1).max(200) }),
  (deps, id, body) => repo(deps).recordAppraisal(id, body.appraisals),
);

const audit = claimStep('audit', ['sales_clerk'], 'The sales audit of a sampled claim', z.strictObject({ note: prose(2000) }), (deps, id, body) => repo(deps).recordAudit(id, body.note, new Date()));

const DecisionBody = z.discriminatedUnion('kind', [
  z.strictObject({ lineNo: z.number().int().min(1).max(500), kind: z.literal('approve') }),
  z.strictObject({ lineNo: z.number().int().min(1).max(500), kind: z.literal('approve_part'), amount: MoneySchema }),
  z.strictObject({ lineNo: z.number().int().min(1).max(500), kind: z.literal('reject'), reason: prose(2000) }),
  z.strictObject({ lineNo: z.number().int().min(1).max(500), kind: z.literal('send_back'), reason: prose(2000) }),
]);

const decision = claimStep(
  'decision',
  ['sales_clerk'],
  'Decide lines: approve, approve part (amount), reject (reason) or send back (reason)',
  z.strictObject({ decisions: z.array(DecisionBody).min(1).max(200) }),
  async (deps, id, body, user) => {
    const policy = await dealerPolicy(deps);
    const decisions = body.decisions.map(({ lineNo, ...rest }) => ({ lineNo, decision: rest as LineDecision }));
    return repo(deps).decide(id, decisions, policy.dealer, user.id, new Date());
  },
);

const resubmit = claimStep(
  'resubmit',
  ['dealer'],
  'The dealer amends the lines sent back and resubmits, once, within dealer.resubmitWithin',
  z.strictObject({ lines: z.array(z.strictObject({ lineNo: z.number().int().min(1).max(500), line: ClaimLineBody })).min(1).max(200) }),
  async (deps, id, body, _user, scope) => {
    const policy = await dealerPolicy(deps);
    const calendar = await dealerCalendar(deps, policy, policy.dealer.resubmitWithin);
    return repo(deps).resubmit(id, body.lines as Array<{ lineNo: number; line: ClaimLineInput }>, policy.dealer, new Date(), scope, calendar);
  },
);

// --- Settlements ----------------------------------------------------------------------------------

const RunBody = z.strictObject({
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM').openapi({ description: 'The calendar month YYYY-MM, in dealer.settlementTimeZone' }),
  dealerId: IdSchema.optional(),
});

/** Finance runs a period's settlement on demand (the route's and the console's command): the period's statements. */
export async function runSettlementPeriod(deps: ApiDeps, user: User, input: unknown): Promise<Settlement[]> {
  stepBy(user, ['finance']);
  const body = parseBody(RunBody, input);
  const policy = await dealerPolicy(deps);
  const ids = await repo(deps).runSettlement(body.period, policy.dealer, new Date(), body.dealerId, user.id);
  return Promise.all(ids.map(async (id) => (await repo(deps).settlement(id, ALL_ROWS))!));
}

const runSettlement = defineRoute(
  {
    method: 'post',
    path: '/settlements/run',
    roles: rolesReaching('settlement', 'act'),
    access: { rule: 'collection', resource: 'settlement', action: 'act' },
    summary: 'Freeze approved, unsettled lines into one statement per dealer for the period (safe to run again: a line is settled once)',
    tags: ['dealer warranty'],
    body: RunBody,
    idempotent: true,
    responses: { 200: { description: 'The period’s statements', body: z.object({ period: z.string(), settlements: z.array(SettlementSchema) }) } },
  },
  async ({ body, user, deps, req, idempotencyKey }) =>
    once(deps, user, idempotencyKey, req, async () => {
      const settlements = await runSettlementPeriod(deps, user, body);
      return { status: 200 as const, body: { period: body.period, settlements: settlements.map(settlementDto) } };
    }),
);

const listSettlements = defineRoute(
  {
    method: 'get',
    path: '/settlements',
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'settlement', action: 'read' },
    summary: 'Statements the caller may read (a dealer: its own), optionally of one period: finance’s period view',
    tags: ['dealer warranty'],
    query: z.object({ period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM').optional() }),
    responses: { 200: { description: 'Statements, oldest first', body: z.object({ settlements: z.array(SettlementSchema) }) } },
  },
  async ({ query, scope, deps }) => ({ status: 200, body: { settlements: (await repo(deps).listSettlements(scope, query.period)).map(settlementDto) } }),
);

const getSettlement = defineRoute(
  {
    method: 'get',
    path: '/settlements/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'settlement', action: 'read' },
    summary: 'A statement with its lines and total',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'The statement', body: SettlementSchema } },
  },
  async ({ params, scope, deps }) => {
    const settlement = await repo(deps).settlement(params.id, scope);
    if (!settlement) throw notFound(`no settlement ${params.id}`);
    return { status: 200, body: settlementDto(settlement) };
  },
);

const SETTLEMENT_STEPS: DealerStep<Settlement>[] = [];

/** A step on a statement (the route's and the console's command): finance's review, the dealer's confirmation or dispute. */
export async function runSettlementStep(deps: ApiDeps, user: User, settlementId: number, path: string, input: unknown, scope: Scope): Promise<Settlement> {
  const spec = SETTLEMENT_STEPS.find((s) => s.path === path);
  if (!spec) throw notFound(`no settlement step ${path}`);
  if (!(await repo(deps).settlement(settlementId, scope))) throw notFound(`no settlement ${settlementId}`);
  stepBy(user, spec.roles);
  const body = parseBody(spec.body, input);
  return step(() => spec.run(deps, settlementId, body, user, scope, undefined));
}

function settlementStep<B extends z.ZodType>(path: string, roles: ['finance'] | ['dealer'], summary: string, body: B, run: (deps: ApiDeps, id: number, body: z.infer<B>, scope: Scope) => Promise<Settlement>) {
  SETTLEMENT_STEPS.push({ path, roles, body, run: (deps, id, input, _user, scope) => run(deps, id, input as z.infer<B>, scope) });
  return defineRoute(
    {
      method: 'post',
      path: `/settlements/:id/${path}`,
      roles: rolesReaching('settlement', 'act'),
      access: { rule: 'record', resource: 'settlement', action: 'act' },
      summary,
      tags: ['dealer warranty'],
      params: IdParams,
      body,
      idempotent: true,
      responses: { 200: { description: 'The statement after the step', body: SettlementSchema } },
      errors: STEP_ERRORS,
    },
    async ({ params, body: input, user, deps, req, res, idempotencyKey, scope }) =>
      once(deps, user, idempotencyKey, req, async () => {
        res.locals.audit = { entityType: 'settlement', entityId: params.id } satisfies AuditTarget;
        return { status: 200 as const, body: settlementDto(await runSettlementStep(deps, user, params.id, path, input, scope)) };
      }),
  );
}

const review = settlementStep(
  'review',
  ['finance'],
  'Finance reviews the statement (holding lines back to the next period, correcting amounts) and sends it to the dealer, whose answer is chased (reminder, then escalation); on a disputed statement, the answer: corrected or held lines make a new version, none stands firm',
  z.strictObject({
    holdLineIds: z.array(IdSchema).max(10_000).openapi({ description: 'Claim line ids (claimLineId) to hold back' }),
    corrections: z
      .array(z.strictObject({ claimLineId: IdSchema, amount: MoneySchema }))
      .max(10_000)
      .optional()
      .openapi({ description: 'Lines whose amount finance corrects (at most what was claimed), in the statement’s currency' }),
    answer: prose(2000).optional().openapi({ description: 'Required on a disputed statement: why lines were corrected, or why finance stands firm' }),
  }),
  async (deps, id, body) => {
    const policy = await dealerPolicy(deps);
    const within = policy.dealer.settlementConfirmWithin;
    const now = new Date();
    const confirmDueAt = dealerDeadlineAt(now, within, await dealerCalendar(deps, policy, within), 'dealer.settlementConfirmWithin');
    const current = (await repo(deps).settlement(id, ALL_ROWS))!;
    const corrections = body.corrections ?? [];
    const wrongCurrency = corrections.findIndex((c) => c.amount.currency !== current.total.currency);
    if (wrongCurrency >= 0) throw validationFailed([{ field: `corrections.${wrongCurrency}.amount.currency`, message: `must be ${current.total.currency}, the statement’s currency` }]);
    const settlement = await repo(deps).review(id, body.holdLineIds, policy.dealer, now, confirmDueAt, body.answer, corrections.map((c) => ({ claimLineId: c.claimLineId, amount: c.amount.amount })));
    await sendWriteOffNotice(deps, settlement);
    await startConfirmationWait(deps, settlement, policy);
    return settlement;
  },
);

/**
 * Starts chasing the dealer's answer to the statement just sent (settlementConfirm), replacing the
 * wait of an earlier review. Best effort: the review and its deadline row are on record either way.
 */
async function startConfirmationWait(deps: ApiDeps, settlement: Settlement, policy: ServicePolicy): Promise<void> {
  if (!deps.temporal || !settlement.confirmDueAt) return;
  const input: SettlementConfirmInput = { settlementId: settlement.id, dealerId: settlement.dealerId, period: settlement.period, version: settlement.version, dueAt: settlement.confirmDueAt.toISOString(), policy: dealerProcessPolicy(policy) };
  try {
    await deps.temporal.client.workflow.start('settlementConfirm', { taskQueue: deps.temporal.taskQueue, workflowId: settlementConfirmWorkflowId(settlement.id), args: [input], workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING });
  } catch (error) {
    deps.logger?.error(`statement ${settlement.id}: the wait for the dealer's answer did not start`, error);
  }
}

/** Tells the statement's confirmation wait that the dealer answered (best effort: it checks the statement at each rung). */
async function tellConfirmationWait(deps: ApiDeps, settlementId: number): Promise<void> {
  if (!deps.temporal) return;
  try {
    await deps.temporal.client.workflow.getHandle(settlementConfirmWorkflowId(settlementId)).signal(settlementAnsweredSignal);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return;
    deps.logger?.error(`statement ${settlementId}: its confirmation wait was not told of the answer`, error);
  }
}

const confirm = settlementStep(
  'confirm',
  ['dealer'],
  'The dealer confirms the version of the statement it read; its total is posted once to the dealer’s receivables ledger',
  z.strictObject({ version: z.number().int().min(1).max(10_000).openapi({ description: 'The statement version confirmed; another version is refused (409)' }) }),
  async (deps, id, body, scope) => {
    const settlement = await repo(deps).confirm(id, body.version, scope, new Date());
    await tellConfirmationWait(deps, id);
    return settlement;
  },
);

const dispute = settlementStep(
  'dispute',
  ['dealer'],
  'The dealer disputes the statement naming a reason and the lines; finance answers in its next review',
  z.strictObject({ reason: prose(2000), claimLineIds: z.array(IdSchema).max(10_000).optional().openapi({ description: 'The claim lines disputed (claimLineId), each on this statement' }) }),
  async (deps, id, body, scope) => {
  const settlement = await repo(deps).dispute(id, body.reason, scope, new Date(), body.claimLineIds ?? []);
  await tellConfirmationWait(deps, id);
  return settlement;
  },
);

const notice = defineRoute(
  {
    method: 'get',
    path: '/settlements/:id/notice',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'settlement', action: 'read' },
    summary: 'The write-off notice (三包费用核销通知) as printable HTML, in the dealer’s language unless ?lang= says otherwise',
    tags: ['dealer warranty'],
    params: IdParams,
    query: z.object({ lang: z.enum(['zh-CN', 'en']).optional() }),
    responses: { 200: { description: 'text/html' } },
  },
  async ({ params, query, scope, deps, res }) => {
    const settlement = await repo(deps).settlement(params.id, scope);
    if (!settlement) throw notFound(`no settlement ${params.id}`);
    const dealer = (await deps.knex('dealers').where({ id: settlement.dealerId }).first('name', 'locale')) as { name: string; locale: string };
    const rendered = renderNotice('dealer-writeoff', query.lang ?? dealer.locale, writeOffContext(settlement, dealer.name));
    res.status(200).type('text/html; charset=utf-8').send(rendered.html);
  },
);

/** Money as a decimal string in major units from minor units (2 decimals), exact: 12345 → "123.45". */
const decimal = (minor: number): string => `${minor < 0 ? '-' : ''}${Math.floor(Math.abs(minor) / 100)}.${String(Math.abs(minor) % 100).padStart(2, '0')}`;

/** A CSV answer (csv-stringify: quoting, a header row), named for download; UTF-8 with a BOM so spreadsheet programs read Chinese right. */
function sendCsv(res: import('express').Response, filename: string, columns: string[], rows: Array<Array<string | number | null>>): void {
  const text = stringify(rows, { header: true, columns, bom: true });
  res.status(200).type('text/csv; charset=utf-8').attachment(filename).send(text);
}

const settlementCsv = defineRoute(
  {
    method: 'get',
    path: '/settlements/:id/lines.csv',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'settlement', action: 'read' },
    summary: 'The statement’s lines as CSV (one row per claim line; amounts in major units with the currency)',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'text/csv' } },
  },
  async ({ params, scope, deps, res }) => {
    const settlement = await repo(deps).settlement(params.id, scope);
    if (!settlement) throw notFound(`no settlement ${params.id}`);
    const currency = settlement.total.currency;
    sendCsv(
      res,
      `settlement-${settlement.id}-v${settlement.version}.csv`,
      ['settlement_id', 'period', 'version', 'status', 'claim_id', 'line_no', 'claim_line_id', 'kind', 'amount', 'currency'],
      settlement.lines.map((l) => [settlement.id, settlement.period, settlement.version, settlement.status, l.claimId, l.lineNo, l.claimLineId, l.kind, decimal(l.amount), currency]),
    );
  },
);

const claimCsv = defineRoute(
  {
    method: 'get',
    path: '/claims/:id/lines.csv',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'claim', action: 'read' },
    summary: 'The claim’s lines as CSV: claimed and approved amounts, reason codes, status and decision',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'text/csv' } },
  },
  async ({ params, scope, deps, res }) => {
    const claim = await repo(deps).claim(params.id, scope);
    if (!claim) throw notFound(`no claim ${params.id}`);
    sendCsv(
      res,
      `claim-${claim.id}-lines.csv`,
      ['claim_id', 'device_serial', 'repair_date', 'line_no', 'claim_line_id', 'kind', 'claimed', 'approved', 'currency', 'codes', 'status', 'decision_reason', 'received_on', 'appraisal'],
      claim.lines.map((l) => [claim.id, claim.deviceSerial, claim.repairDate, l.lineNo, l.id, l.input.kind, decimal(l.claimed.amount), l.approved ? decimal(l.approved.amount) : null, l.claimed.currency, l.codes.join(' '), l.status, l.decisionReason, l.receivedOn, l.appraisal]),
    );
  },
);

/**
 * Sends the statement's write-off notice to the dealer's contact, through a workflow on the notices
 * queue (the outbox makes it once per statement version). Without a process engine or a contact
 * e-mail there is nobody to send it to: the notice stays readable at GET …/notice.
 */
async function sendWriteOffNotice(deps: ApiDeps, settlement: Settlement): Promise<void> {
  const dealer = (await deps.knex('dealers').where({ id: settlement.dealerId }).first('name', 'locale', 'contact_email')) as { name: string; locale: string; contact_email: string | null };
  if (!deps.temporal || !dealer.contact_email) return;
  const input: WriteOffNoticeInput = {
    settlementId: settlement.id,
    version: settlement.version,
    to: { email: dealer.contact_email, name: dealer.name },
    locale: dealer.locale === 'en' ? 'en' : 'zh-CN',
    context: writeOffContext(settlement, dealer.name),
  };
  try {
    await deps.temporal.client.workflow.start('dealerWriteOffNotice', { taskQueue: deps.temporal.taskQueue, workflowId: `settlement-${settlement.id}-v${settlement.version}-write-off`, args: [input] });
  } catch (error) {
    // The same version's notice is on its way already (a stand-firm answer resends nothing new).
    if (error instanceof WorkflowExecutionAlreadyStartedError) return;
    // The review is on record; the notice can be read and printed from GET …/notice meanwhile.
    deps.logger?.error(`write-off notice of statement ${settlement.id} v${settlement.version} not started`, error);
  }
}

/** A claim line's kind as the write-off notice names it, in each of its languages. */
const LINE_KIND_NAMES: Record<string, { en: string; zh: string }> = {
  part: { en: 'part', zh: '配件' },
  labour: { en: 'labour', zh: '工时' },
  travel: { en: 'travel', zh: '差旅' },
  other: { en: 'other', zh: '其他' },
};

/** What the write-off notice shows: the statement's lines and total as of its current version. */
export function writeOffContext(settlement: Settlement, dealerName: string): Record<string, unknown> {
  const currency = settlement.total.currency;
  return {
    dealer: dealerName,
    period: settlement.period,
    version: settlement.version,
    total: settlement.total,
    lines: settlement.lines.map((l) => ({ claimId: l.claimId, lineNo: l.lineNo, kind: l.kind, kindName: LINE_KIND_NAMES[l.kind] ?? { en: l.kind, zh: l.kind }, amount: { amount: l.amount, currency } })),
    confirmDueAt: settlement.confirmDueAt?.toISOString(),
  };
}

const LedgerSchema = z
  .object({
    dealerId: z.number().int(),
    entries: z.array(z.object({ id: z.number().int(), settlementId: z.number().int(), kind: z.string(), amount: MoneyOut, memo: z.string(), postedAt: z.string() })),
  })
  .openapi('DealerLedger');

const ledger = defineRoute(
  {
    method: 'get',
    path: '/dealers/:id/ledger',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'ledger', action: 'read' },
    summary: 'The dealer’s receivables ledger: warranty write-offs posted on confirmed statements (negative: deductions)',
    tags: ['dealer warranty'],
    params: IdParams,
    responses: { 200: { description: 'Entries, oldest first', body: LedgerSchema } },
  },
  async ({ params, deps }) => {
    const entries = await repo(deps).ledger(params.id);
    return { status: 200, body: { dealerId: params.id, entries: entries.map((e) => ({ ...e, postedAt: e.postedAt.toISOString() })) } };
  },
);

export const dealerWarrantyModule = apiModule(
  putModelReference,
  createSale,
  completeCard,
  createTask,
  getTask,
  arrangeTask,
  checkTask,
  handBack,
  submitClaim,
  listClaims,
  getClaim,
  partsReceived,
  appraisal,
  audit,
  decision,
  resubmit,
  runSettlement,
  listSettlements,
  getSettlement,
  notice,
  settlementCsv,
  claimCsv,
  review,
  confirm,
  dispute,
  ledger,
);
