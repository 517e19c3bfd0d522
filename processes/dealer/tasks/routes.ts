/** Dealer tasks through the API: the routes parse, call the use case, render. */
import { readerLocale } from '../../../platform/http/problemMessages';
import { rolesReaching } from '../../../domain/access';
import type { AuditTarget } from '../../../platform/http/audit';
import { defineRoute } from '../../../platform/http/route';
import { z } from '../../../platform/http/zod';
import { IdParams, once, stepRoute } from '../http';
import { createDealerTask, readTask, runTaskStep, TASK_STEPS, TaskBody, type DealerTask } from './useCases';

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

export const createTask = defineRoute(
  {
    method: 'post',
    path: '/dealer-tasks',
    roles: rolesReaching('dealer_task', 'act'),
    access: { rule: 'collection', resource: 'dealer_task', action: 'act' },
    summary: 'A 三包 request for a dealer (forwarded by the sales clerk, or taken by the dealer): to be arranged within dealer.taskArrangeWithin',
    tags: ['dealer warranty'],
    body: TaskBody,
    idempotent: true,
    responses: { 201: { description: 'The task with its due times; the dealerTask process chases them', body: TaskSchema } },
    errors: { 503: 'No process engine configured; nothing was recorded' },
  },
  async ({ body, user, deps, req, res, idempotencyKey }) =>
    once(deps, user, idempotencyKey, req, async () => {
      const task = await createDealerTask(deps, user, body, readerLocale(req, user));
      res.locals.audit = { entityType: 'dealer_task', entityId: task.id } satisfies AuditTarget;
      return { status: 201 as const, body: taskDto(task) };
    }),
);

export const getTask = defineRoute(
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
  async ({ params, scope, deps }) => ({ status: 200, body: taskDto(await readTask(deps, params.id, scope)) }),
);

const taskStep = (path: keyof typeof TASK_STEPS, summary: string) =>
  stepRoute({ base: '/dealer-tasks', path, resource: 'dealer_task', summary, body: TASK_STEPS[path].body, schema: TaskSchema, description: 'The task after the step', dto: taskDto, run: (deps, user, id, input, scope, key, locale) => runTaskStep(deps, user, id, path, input, scope, key, locale) });

export const arrangeTask = taskStep('arrange', 'The dealer arranges the service (when it visits and what it will do); the end user is told');
export const checkTask = taskStep('check', 'The sales clerk checks the dealer arranged the task (refused, to escalate, when it has not)');
export const handBack = taskStep('hand-back', 'A dealer asks to hand the customer back to the company: always refused for a 三包 customer, with the reason');
