/**
 * Dealer tasks (PRODUCT §P5): a 三包 request the dealer arranges and the sales clerk checks, chased
 * by its dealerTask process. Used by the routes, the console's forms and the ticket intake.
 */
import { NotFoundError } from '../../../platform/db/errors';
import { words } from '../../../domain/words';
import type { Locale } from '../../../domain/locale';
import type { User } from '../../../people/repository';
import { ALL_ROWS, type Scope } from '../../../domain/access';
import type { ServicePolicy } from '../../../domain/policy';
import { EmailSchema, IdSchema, InstantSchema, line, optionalLine, prose } from '../../../platform/http/fields';
import type { ApiDeps } from '../../../platform/http/module';
import { z } from '../../../platform/http/zod';
import { arrangeTaskUpdate, checkTaskUpdate, dealerProcessPolicy, dealerTaskWorkflowId, type DealerTaskInput } from '../messages';
import { StepRefused } from '../records';
import { createWithProcess, dealerPolicy, existingDealerOfCaller, parseBody, runStep, sendStep, type DealerStep } from '../useCases';
import { TasksRepository, type DealerTask } from './repository';
import type { ProcessStart } from '../../../platform/temporal/processStarts';

export type { DealerTask } from './repository';
import { HAND_BACK_REFUSAL } from './rules';

export const TaskBody = z.strictObject({
  dealerId: IdSchema.optional(),
  deviceSerial: line(),
  customerName: line(),
  customerPhone: optionalLine(64).optional(),
  customerEmail: EmailSchema.optional().openapi({ description: 'The end user, told when the dealer arranges the service' }),
  customerLocale: z.enum(['zh-CN', 'en']).optional(),
  request: prose(2000),
});

const tasks = (deps: ApiDeps) => new TasksRepository(deps.knex);

export type NewDealerTask = Parameters<TasksRepository['createTask']>[0];

/** A 三包 request for a dealer, forwarded by the sales clerk or taken by the dealer. */
export async function createDealerTask(deps: ApiDeps, user: User, input: unknown, locale: Locale = user.locale): Promise<DealerTask> {
  const body = parseBody(TaskBody, input, locale);
  const dealerId = await existingDealerOfCaller(deps, user, body.dealerId);
  return openDealerTask(deps, { ...body, dealerId }, user.id);
}

/**
 * A 三包 request on record with its dealerTask process chasing its due times (its start written with it).
 * Also how a repair ticket on a dealer-sold device in its recognised warranty is routed at intake.
 */
export async function openDealerTask(deps: ApiDeps, request: NewDealerTask, createdBy: number): Promise<DealerTask> {
  const policy = await dealerPolicy(deps);
  const receivedAt = new Date();
  return createWithProcess(deps, async (trx) => {
    const task = await new TasksRepository(trx).createTask(request, policy.dealer, createdBy, receivedAt);
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

/** A task in the caller's reach, or null. */
export const findTask = (deps: ApiDeps, id: number, scope: Scope): Promise<DealerTask | null> => tasks(deps).task(id, scope);

/** A task in the caller's reach (404 otherwise). */
export async function readTask(deps: ApiDeps, id: number, scope: Scope): Promise<DealerTask> {
  const task = await tasks(deps).task(id, scope);
  if (!task) throw new NotFoundError(words('refusal.dealer.noTask', { taskId: id }));
  return task;
}

/** Tasks not yet checked by the sales clerk, in the caller's reach, the soonest arrangement deadline first. */
export const listOpenDealerTasks = (deps: ApiDeps, scope: Scope): Promise<DealerTask[]> => tasks(deps).listOpenTasks(scope);

function taskStep<B extends z.ZodType>(roles: DealerStep<DealerTask>['roles'], body: B, run: (deps: ApiDeps, id: number, body: z.infer<B>, user: User, idempotencyKey: string | undefined) => Promise<DealerTask>): DealerStep<DealerTask> & { body: B } {
  return { roles, body, run: (deps, id, input, user, _scope, key) => run(deps, id, input as z.infer<B>, user, key) };
}

/** The steps on a task, by the path the route and the console's form name them. */
export const TASK_STEPS = {
  arrange: taskStep(['dealer'], z.strictObject({ visitAt: InstantSchema, arrangement: prose(2000) }), async (deps, id, body, user, key) => {
    await sendStep(deps, user, key, dealerTaskWorkflowId(id), arrangeTaskUpdate, { visitAt: new Date(body.visitAt).toISOString(), arrangement: body.arrangement }, words('refusal.dealer.taskClosed', { taskId: id }));
    return (await tasks(deps).task(id, ALL_ROWS))!;
  }),
  check: taskStep(['sales_clerk'], z.strictObject({ note: prose(2000) }), async (deps, id, body, user, key) => {
    await sendStep(deps, user, key, dealerTaskWorkflowId(id), checkTaskUpdate, { note: body.note }, words('refusal.dealer.taskClosed', { taskId: id }));
    return (await tasks(deps).task(id, ALL_ROWS))!;
  }),
  'hand-back': taskStep(['dealer'], z.strictObject({ reason: prose(2000) }), async () => {
    throw new StepRefused(HAND_BACK_REFUSAL);
  }),
};

/** A step on a dealer task (the route's and the console's command): the task in the caller's reach, the role, the body, then the step. */
export async function runTaskStep(deps: ApiDeps, user: User, taskId: number, path: string, input: unknown, scope: Scope, idempotencyKey?: string, locale: Locale = user.locale): Promise<DealerTask> {
  return runStep<DealerTask>(TASK_STEPS, 'dealer_task', path, async () => (await tasks(deps).task(taskId, scope)) !== null, deps, user, taskId, input, scope, idempotencyKey, locale);
}
