import { workflowInfo } from '@temporalio/workflow';
import { noticeActivities } from './notify';

export interface TestNoticeInput {
  to: { email: string; name?: string };
  locale: 'zh-CN' | 'en';
  requestedBy: string;
  /** Another template than test-notice: lets tests see a notice fail without failing its workflow. */
  template?: string;
  /** The record whose timeline shows the notice if it fails. */
  record?: { type: 'project'; id: number };
}

export type TestNoticeResult = { status: 'sent'; messageId: string } | { status: 'failed'; reason: string };

/** The smallest real workflow: one notice through an activity and the outbox, proving the wiring end to end. */
export async function testNotice(input: TestNoticeInput): Promise<TestNoticeResult> {
  const { workflowId } = workflowInfo();
  const outcome = await noticeActivities().sendNotice({
    idempotencyKey: `${workflowId}:test-notice`,
    template: input.template ?? 'test-notice',
    locale: input.locale,
    to: input.to,
    context: { recipientName: input.to.name ?? input.to.email, sentAt: new Date().toISOString(), requestedBy: input.requestedBy },
    ...(input.record ? { record: input.record } : {}),
  });
  return outcome.status === 'sent' ? { status: 'sent', messageId: outcome.messageId } : { status: 'failed', reason: outcome.reason };
}
