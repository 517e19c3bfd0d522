import { testNotice } from '../../workflows';
import { startTestSystem, type TestSystem } from '../support/services';

describe('testNotice workflow: API-free wiring of Temporal, activity, outbox and SMTP', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem('test-notice');
  });
  afterAll(async () => {
    await system.stop();
  });

  it('sends one e-mail through a workflow and its activity', async () => {
    const { client, taskQueue } = system.temporal;
    const result = await client.workflow.execute(testNotice, {
      taskQueue,
      workflowId: `test-notice-${Date.now()}`,
      args: [{ to: { email: 'pm@customer.test', name: 'Li Lei' }, locale: 'zh-CN', requestedBy: 'admin' }],
    });
    const [mail] = await system.smtp.waitFor(1);
    expect(mail!.envelope.to).toEqual(['pm@customer.test']);
    expect(result.status).toBe('sent');
    expect(mail!.messageId).toBe(result.status === 'sent' ? result.messageId : undefined);
    expect(mail!.text).toContain('Li Lei');
    const row = await system.db.knex('notice_outbox').first();
    expect(row.status).toBe('sent');
  });

  it('waits out an SMTP outage and still delivers exactly once', async () => {
    const { client, taskQueue } = system.temporal;
    const before = system.smtp.messages.length;
    system.smtp.rejectMessages(true);
    const workflowId = `test-notice-outage-${Date.now()}`;
    const handle = await client.workflow.start(testNotice, {
      taskQueue,
      workflowId,
      args: [{ to: { email: 'ops@customer.test' }, locale: 'en', requestedBy: 'admin' }],
    });
    // Let at least two attempts fail against the real server before it comes back.
    await waitUntil(async () => {
      const row = await system.db.knex('notice_outbox').where({ idempotency_key: `${workflowId}:test-notice` }).first();
      return Boolean(row && row.attempts >= 2);
    }, 30_000);
    expect(system.smtp.messages.length).toBe(before);
    system.smtp.rejectMessages(false);
    await handle.result();
    await system.smtp.waitFor(before + 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(system.smtp.messages.filter((m) => m.idempotencyKey === `${workflowId}:test-notice`)).toHaveLength(1);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
