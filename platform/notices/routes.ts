import crypto from 'node:crypto';
import { listFailedNotices } from '.';
import { testNotice } from '../workflowKit/testNotice';
import type { AuditTarget } from '../http/audit';
import { unavailable } from '../http/errors';
import { apiModule } from '../http/module';
import { EmailSchema, optionalLine } from '../http/fields';
import { LocaleSchema } from '../http/fields';
import { defineRoute } from '../http/route';
import { isUnavailable } from '../http/temporalErrors';
import { z } from '../http/zod';

const TestNoticeBody = z.strictObject({ email: EmailSchema, name: optionalLine().optional(), locale: LocaleSchema.default('zh-CN') }).openapi('TestNoticeBody');
const TestNoticeResult = z
  .object({
    workflowId: z.string(),
    status: z.enum(['sent', 'failed']),
    messageId: z.string().optional().openapi({ description: 'When sent' }),
    reason: z.string().optional().openapi({ description: 'When the notice could not be sent, why' }),
  })
  .openapi('TestNoticeResult');

/** Sends one notice through a workflow, its activity and the outbox: proof that mail reaches people. */
export const testNoticeRoute = defineRoute(
  {
    method: 'post',
    path: '/notices/test',
    roles: ['admin'],
    access: { rule: 'collection', resource: 'notice', action: 'administer' },
    summary: 'Send a test notice through the whole pipeline (workflow → activity → outbox → SMTP or .eml)',
    description: 'Answers 201 once the notice went out (`status: sent`) or was refused for good (`status: failed` with the reason).',
    tags: ['notices'],
    body: TestNoticeBody,
    responses: { 201: { description: 'Sent, or failed for good', body: TestNoticeResult } },
    errors: { 503: 'The process engine is not reachable' },
  },
  async ({ body, user, deps, res }) => {
    if (!deps.temporal) throw unavailable('No process engine configured');
    const workflowId = `test-notice-${crypto.randomUUID()}`;
    res.locals.audit = { entityType: 'notice', entityId: workflowId } satisfies AuditTarget;
    try {
      const outcome = await deps.temporal.client.workflow.execute(testNotice, {
        taskQueue: deps.temporal.taskQueue,
        workflowId,
        args: [{ to: { email: body.email, name: body.name }, locale: body.locale, requestedBy: user.name }],
        workflowExecutionTimeout: '2 minutes',
      });
      return { status: 201, body: { workflowId, ...outcome } };
    } catch (error) {
      if (isUnavailable(error)) throw unavailable('The process engine (Temporal) is not reachable');
      throw error;
    }
  },
);

const FailedNoticesQuery = z
  .object({
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    pageSize: z.coerce.number().int().min(1).max(200).default(50),
  })
  .openapi('FailedNoticesQuery');

const FailedNotice = z
  .object({
    id: z.number().int(),
    idempotencyKey: z.string(),
    template: z.string(),
    locale: z.string(),
    to: z.object({ email: z.string(), name: z.string().optional() }),
    reason: z.string(),
    attempts: z.number().int(),
    createdAt: z.string(),
    failedAt: z.string().nullable(),
    record: z.object({ type: z.literal('project'), id: z.number().int() }).nullable().openapi({ description: 'The record the notice was about; the failure is on its timeline' }),
  })
  .openapi('FailedNotice');

const FailedNoticesPage = z
  .object({ items: z.array(FailedNotice), page: z.number().int(), pageSize: z.number().int(), total: z.number().int() })
  .openapi('FailedNoticesPage');

/** Notices that could not be rendered or were refused for good, for the service managers to follow up. */
export const failedNoticesRoute = defineRoute(
  {
    method: 'get',
    path: '/notices/failed',
    // Every signed-in user may ask; only the roles reaching notices (admin, service manager) see any.
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'notice', action: 'read' },
    summary: 'Notices that will never go out (template error, bad address, permanent SMTP refusal), newest first',
    tags: ['notices'],
    query: FailedNoticesQuery,
    responses: { 200: { description: 'One page of failed notices', body: FailedNoticesPage } },
  },
  async ({ query, deps, scope }) => {
    if (scope.kind === 'none') return { status: 200, body: { items: [], page: query.page, pageSize: query.pageSize, total: 0 } };
    const { items, total } = await listFailedNotices(deps.knex, { limit: query.pageSize, offset: (query.page - 1) * query.pageSize });
    return {
      status: 200,
      body: {
        items: items.map((n) => ({
          id: n.id,
          idempotencyKey: n.idempotencyKey,
          template: n.template,
          locale: n.locale,
          to: n.to,
          reason: n.lastError ?? '',
          attempts: n.attempts,
          createdAt: n.createdAt.toISOString(),
          failedAt: n.failedAt?.toISOString() ?? null,
          record: n.record,
        })),
        page: query.page,
        pageSize: query.pageSize,
        total,
      },
    };
  },
);

export const noticesModule = apiModule(testNoticeRoute, failedNoticesRoute);
