import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { sendNotice } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface TestNoticeInput {
  to: { email: string; name?: string };
  locale: 'zh-CN' | 'en';
  requestedBy: string;
}

/** The smallest real workflow: one notice through an activity and the outbox, proving the wiring end to end. */
export async function testNotice(input: TestNoticeInput): Promise<{ messageId: string }> {
  const { workflowId } = workflowInfo();
  const { messageId } = await sendNotice({
    idempotencyKey: `${workflowId}:test-notice`,
    template: 'test-notice',
    locale: input.locale,
    to: input.to,
    context: { recipientName: input.to.name ?? input.to.email, sentAt: new Date().toISOString(), requestedBy: input.requestedBy },
  });
  return { messageId };
}
