/**
 * People before bulk work, and notices that never fail a process: notices run on their own task
 * queue with their own bounded worker slots, and a notice that can never go out is recorded as
 * failed (listed for service managers, on its project's timeline) while the workflow goes on.
 */
import { BOOTSTRAP_ADMIN_EMAIL, UsersRepository } from '../../people/repository';
import { workerOptions } from '../../platform/temporal/createWorker';
import { testNotice } from '../../platform/workflowKit/testNotice';
import type { ReceivedMail } from '../support/smtpSink';
import { BOTH_SIGN, forProject, SECONDS_POLICY, startProjectHarness, type Json, type ProjectHarness } from '../support/projectHarness';

jest.setTimeout(120_000);

describe('notices on their own queue, and failed notices', () => {
  let h: ProjectHarness;
  let serviceManagerToken: string;
  let projectId: number;

  beforeAll(async () => {
    h = await startProjectHarness('notice-queues');
    const users = new UsersRepository(h.system.db.knex);
    const sm = await users.getByEmail('service-manager@maker.test');
    serviceManagerToken = await users.issueToken(sm!.id, 'test');
    const created = await h.createProject();
    expect(created.status).toBe(201);
    projectId = created.body.id;
  });
  afterAll(async () => {
    await h.stop();
  });

  const runTestNotice = (workflowId: string, input: Partial<Parameters<typeof testNotice>[0]> = {}) =>
    h.system.temporal.client.workflow.execute(testNotice, {
      taskQueue: h.system.temporal.taskQueue,
      workflowId,
      args: [{ to: { email: 'someone@customer.test', name: 'Someone' }, locale: 'en', requestedBy: 'test', ...input }],
      workflowExecutionTimeout: '1 minute',
    });

  it('runs the notice activities (sendNotice, sendTicketSurveyLink) only on the notices worker, with its own bounded slots; the interactive worker has none of it', () => {
    const { temporal } = h.system;
    const options = workerOptions({ connection: undefined as never, namespace: 'default', taskQueue: 'q', activities: h.system.activities, noticeConcurrency: 3 });
    expect(options.notices.taskQueue).toBe('q-notices');
    expect(options.notices.maxConcurrentActivityTaskExecutions).toBe(3);
    expect(Object.keys(options.notices.activities!).sort()).toEqual(['sendNotice', 'sendTicketSurveyLink']);
    expect(Object.keys(options.interactive.activities!)).not.toContain('sendNotice');
    expect(Object.keys(options.interactive.activities!)).toContain('recordProjectEvent');
    expect(options.notices).not.toHaveProperty('workflowsPath');
    expect(options.notices).not.toHaveProperty('workflowBundle');

    // The workers the harness runs, as Temporal compiled them.
    expect(temporal.noticeTaskQueue).toBe(`${temporal.taskQueue}-notices`);
    expect(temporal.noticeWorker.options.taskQueue).toBe(temporal.noticeTaskQueue);
    expect([...temporal.noticeWorker.options.activities.keys()].sort()).toEqual(['sendNotice', 'sendTicketSurveyLink']);
    expect(temporal.noticeWorker.options.tuner.activityTaskSlotSupplier).toEqual({ type: 'fixed-size', numSlots: 4 });
    expect(temporal.worker.options.taskQueue).toBe(temporal.taskQueue);
    expect([...temporal.worker.options.activities.keys()]).not.toContain('sendNotice');
  });

  it('schedules a workflow\'s notices on the notices queue, its record activities on its own', async () => {
    await h.waitForMails(forProject(projectId), 1);
    const history = await h.system.temporal.client.workflow.getHandle(`project-${projectId}`).fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes] : []));
    const queueOf = (type: string) => new Set(scheduled.filter((a) => a.activityType?.name === type).map((a) => a.taskQueue?.name));
    expect(queueOf('sendNotice')).toEqual(new Set([h.system.temporal.noticeTaskQueue]));
    expect(queueOf('recordProjectStep')).toEqual(new Set([h.system.temporal.taskQueue]));
  });

  it('records a notice that cannot render as failed, on the project timeline and for the service managers, and the workflow goes on', async () => {
    const workflowId = `notice-render-fails-${Date.now()}`;
    const outcome = await runTestNotice(workflowId, { template: 'no-such-template', record: { type: 'project', id: projectId } });
    expect(outcome).toEqual({ status: 'failed', reason: expect.stringMatching(/Unknown notice template "no-such-template"/) });

    const row = await h.system.db.knex('notice_outbox').where({ idempotency_key: `${workflowId}:test-notice` }).first();
    expect(row).toMatchObject({ status: 'failed', record_type: 'project', record_id: projectId });
    const [event] = await h.waitForEvent(projectId, 'notice_failed');
    expect(event.summary).toMatch(/no-such-template.*someone@customer\.test/);

    const listed = await h.call('GET', '/api/notices/failed?pageSize=10', undefined, serviceManagerToken);
    expect(listed.status).toBe(200);
    expect(listed.body.items[0]).toMatchObject({
      idempotencyKey: `${workflowId}:test-notice`,
      template: 'no-such-template',
      to: { email: 'someone@customer.test', name: 'Someone' },
      reason: expect.stringMatching(/Unknown notice template/),
      record: { type: 'project', id: projectId },
    });

    // The same notice failing again (a retried activity) adds no second event.
    await h.system.activities.sendNotice({ idempotencyKey: `${workflowId}:test-notice`, template: 'no-such-template', locale: 'en', to: { email: 'someone@customer.test' }, context: {}, record: { type: 'project', id: projectId } });
    expect((await h.project(projectId)).timeline.filter((e: Json) => e.kind === 'notice_failed')).toHaveLength(1);
  });

  it('does not retry a notice the SMTP server refuses for good (550)', async () => {
    h.system.smtp.refuseRecipient('gone@customer.test');
    const outcome = await runTestNotice(`notice-refused-${Date.now()}`, { to: { email: 'gone@customer.test' } });
    expect(outcome).toEqual({ status: 'failed', reason: expect.stringMatching(/550/) });
    // A retry would come after a second; give it the chance to show.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(h.system.smtp.recipientAttempts('gone@customer.test')).toBe(1);
  });

  it('lists failed notices to service managers and admins only, paged, and names a bad page', async () => {
    // Anyone else may ask and sees none (domain/access.ts: notices are the admin's and the service manager's).
    expect(await h.call('GET', '/api/notices/failed')).toMatchObject({ status: 200, body: { items: [], total: 0 } });
    const bad = await h.call('GET', '/api/notices/failed?pageSize=1000', undefined, serviceManagerToken);
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('pageSize');
    const first = await h.call('GET', '/api/notices/failed?pageSize=1&page=1', undefined, serviceManagerToken);
    const second = await h.call('GET', '/api/notices/failed?pageSize=1&page=2', undefined, serviceManagerToken);
    expect(first.body).toMatchObject({ page: 1, pageSize: 1, total: 2 });
    expect(first.body.items[0].to.email).toBe('gone@customer.test');
    expect(second.body.items[0].template).toBe('no-such-template');
  });

  // Last: it retires the one service manager.
  it('escalates to the admins when no service manager is on record, and the escalation says so', async () => {
    const created = await h.createProject({
      serviceManager: undefined,
      policy: { ...SECONDS_POLICY, delivery: { ...SECONDS_POLICY.delivery, weeklyReportEvery: 'PT2S', weeklyReportGrace: 'PT1S' } },
    });
    expect(created.status).toBe(201);
    // The service manager who started it leaves; escalations are addressed when they fire.
    await h.system.db.knex('users').where({ role: 'service_manager' }).update({ active: false });
    const id = created.body.id as number;
    const serials: string[] = (await h.project(id)).devices.map((d: Json) => d.serial as string);
    expect((await h.step(id, 'kickoff', { meetingDate: '2026-11-23', plan: 'p', acceptanceItems: ['image quality'], completionCriteria: 'c' })).status).toBe(200);
    expect((await h.step(id, 'unboxing', { items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: BOTH_SIGN })).status).toBe(200);

    const toAdmin = (mail: ReceivedMail) => forProject(id)(mail) && Boolean(mail.idempotencyKey?.includes('escalation')) && mail.envelope.to.includes(BOOTSTRAP_ADMIN_EMAIL);
    const [escalation] = await h.waitForMails(toAdmin, 1, 60_000);
    expect(escalation!.text).toContain('No service manager is on record; this went to the administrators');
    expect(h.mails((mail) => forProject(id)(mail) && Boolean(mail.idempotencyKey?.includes('escalation')))).toHaveLength(1);
  });
});
