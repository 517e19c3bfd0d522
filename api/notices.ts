import crypto from 'node:crypto';
import { testNotice } from '../workflows/testNotice';
import type { AuditTarget } from './audit';
import { unavailable } from './errors';
import { EmailSchema, optionalLine } from './fields';
import { LocaleSchema } from './roles';
import { defineRoute } from './route';
import { isUnavailable } from './temporalErrors';
import { z } from './zod';

const TestNoticeBody = z.strictObject({ email: EmailSchema, name: optionalLine().optional(), locale: LocaleSchema.default('zh-CN') }).openapi('TestNoticeBody');
const TestNoticeResult = z.object({ workflowId: z.string(), messageId: z.string() }).openapi('TestNoticeResult');

/** Sends one notice through a workflow, its activity and the outbox: proof that mail reaches people. */
export const testNoticeRoute = defineRoute(
  {
    method: 'post',
    path: '/notices/test',
    roles: ['admin'],
    summary: 'Send a test notice through the whole pipeline (workflow → activity → outbox → SMTP or .eml)',
    tags: ['notices'],
    body: TestNoticeBody,
    responses: { 201: { description: 'Sent', body: TestNoticeResult } },
    errors: { 503: 'The process engine is not reachable' },
  },
  async ({ body, user, deps, res }) => {
    if (!deps.temporal) throw unavailable('No process engine configured');
    const workflowId = `test-notice-${crypto.randomUUID()}`;
    res.locals.audit = { entityType: 'notice', entityId: workflowId } satisfies AuditTarget;
    try {
      const { messageId } = await deps.temporal.client.workflow.execute(testNotice, {
        taskQueue: deps.temporal.taskQueue,
        workflowId,
        args: [{ to: { email: body.email, name: body.name }, locale: body.locale, requestedBy: user.name }],
        workflowExecutionTimeout: '2 minutes',
      });
      return { status: 201, body: { workflowId, messageId } };
    } catch (error) {
      if (isUnavailable(error)) throw unavailable('The process engine (Temporal) is not reachable');
      throw error;
    }
  },
);
