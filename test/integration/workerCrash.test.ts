/**
 * Crashes and outages in the middle of a project (PRODUCT §P1, §4): the worker is killed during a
 * trial run, the SMTP server refuses mail across a worker restart, and the worker dies while a notice
 * is in flight. Each time the project still completes, every notice reaches its recipient exactly
 * once (counted at the SMTP server by idempotency key) and every timeline event is recorded once.
 *
 * Everything runs for real: the API over HTTP, the test Temporal server, the database, an SMTP sink.
 * A killed worker is restarted on the same task queue with an empty workflow cache, so every open
 * workflow is replayed from its history by the new worker.
 */
import { Context } from '@temporalio/activity';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { createActivities } from '../../activities';
import { createMailTransport, NoticeOutbox, type MailTransport } from '../../platform/notices';
import type { PolicyOverride } from '../../domain/policy';
import type { ProjectState } from '../../processes/delivery/messages';
import { BOTH_SIGN, CUSTOMER_CONTACT, PM, SECONDS_POLICY, SERVICE_MANAGER, startProjectHarness, type Json, type ProjectHarness } from '../support/projectHarness';

type Activities = ReturnType<typeof createActivities>;

interface OutboxRow {
  key: string;
  status: string;
  attempts: number;
  lastError: string | null;
  messageId: string | null;
}

/** Keys of one project's notices: its own workflow and its children (trial rounds, DOA cases). */
const belongsTo = (projectId: number) => (key: string | undefined): key is string =>
  key !== undefined && [`project-${projectId}:`, `trial-run-${projectId}:`, `trial-run-${projectId}-round-`, `doa-${projectId}-`].some((prefix) => key.startsWith(prefix));

function policyWith(delivery: NonNullable<PolicyOverride['delivery']>): PolicyOverride {
  return { ...SECONDS_POLICY, delivery: { ...SECONDS_POLICY.delivery, ...delivery } };
}

async function pollUntil<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Stops the first call whose key matches, standing for a worker process that dies at that point of
 * the call; the attempt ends when the worker is shut down (`kill()` cancels running activities).
 */
function crashPoint(matches: (key: string) => boolean) {
  let armed = true;
  let reached = false;
  return {
    /** True once the matching call got here. */
    get reached() {
      return reached;
    },
    /** Resolves at once for other keys; for the matching one waits for the cancellation and throws it. */
    async pass(key: string): Promise<void> {
      if (!armed || !matches(key)) return;
      armed = false;
      reached = true;
      await Context.current().cancelled;
    },
    /** Never returns for the matching key: the call hangs like one in a dead process. */
    async hang(key: string): Promise<void> {
      if (!armed || !matches(key)) return;
      armed = false;
      reached = true;
      await new Promise<never>(() => undefined);
    },
  };
}

describe('worker crashes and SMTP outages: every notice exactly once, the project still completes', () => {
  let h: ProjectHarness;

  beforeAll(async () => {
    h = await startProjectHarness('crash');
  });

  afterEach(async () => {
    // A failed case must not leave the next one without a worker or with a refusing SMTP server.
    h.system.smtp.rejectMessages(false);
    if (h.system.temporal.worker.getState() !== 'RUNNING') await h.system.temporal.restart(h.system.activities);
  });

  afterAll(async () => {
    await h?.stop();
  });

  const knex = () => h.system.db.knex;
  const projectHandle = (id: number) => h.system.temporal.client.workflow.getHandle(`project-${id}`);

  async function outbox(projectId: number): Promise<OutboxRow[]> {
    const rows = (await knex()('notice_outbox').select('idempotency_key', 'status', 'attempts', 'last_error', 'message_id').orderBy('id')) as Json[];
    return rows
      .filter((r) => belongsTo(projectId)(r.idempotency_key))
      .map((r) => ({ key: r.idempotency_key, status: r.status, attempts: Number(r.attempts), lastError: r.last_error, messageId: r.message_id }));
  }

  async function outboxRow(projectId: number, key: string): Promise<OutboxRow | undefined> {
    return (await outbox(projectId)).find((r) => r.key === key);
  }

  const mailsFor = (projectId: number) => h.system.smtp.messages.filter((m) => belongsTo(projectId)(m.idempotencyKey));
  const mailsWithKey = (key: string) => h.system.smtp.messages.filter((m) => m.idempotencyKey === key);

  async function throughUnboxing(id: number): Promise<void> {
    expect((await h.step(id, 'kickoff', { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality'], completionCriteria: 'all tests signed' })).status).toBe(200);
    const serials: string[] = (await h.project(id)).devices.map((d: Json) => d.serial);
    const unboxing = await h.step(id, 'unboxing', { items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: BOTH_SIGN });
    expect(unboxing.status).toBe(200);
    expect(unboxing.body.stage).toBe('installing');
  }

  async function initialAcceptance(id: number, leftoverIssues: { title: string }[] = []): Promise<Json> {
    const answer = await h.step(id, 'initial-acceptance', { items: [{ name: 'image quality', passed: true, signedBy: 'Wang Fang' }], leftoverIssues, signatures: BOTH_SIGN });
    expect(answer.status).toBe(200);
    expect(answer.body.stage).toBe('trial_run');
    return answer.body;
  }

  /** From the end of the trial run: final acceptance passed, documents handed over, workflow closed. */
  async function finish(id: number): Promise<ProjectState> {
    await h.waitForStage(id, 'final_acceptance', 90_000);
    const passed = await h.step(id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN, scores: { hardware: 28, software: 45, documents: 9, satisfaction: 10 } });
    expect(passed.status).toBe(200);
    const handover = await h.step(id, 'handover', { documents: [{ name: '工程竣工资料移交清单', delivered: true }], signatures: [{ name: 'Wang Fang', party: 'customer' }] });
    expect(handover.status).toBe(200);
    expect(handover.body.stage).toBe('completed');
    const handle = projectHandle(id);
    const result = await handle.result();
    expect(result.stage).toBe('completed');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect((await h.project(id)).stage).toBe('completed');
    return result;
  }

  /**
   * Called once the project's workflow has closed (so no activity of it can still run): exactly the
   * expected notices arrived over SMTP, once each, and the outbox has one `sent` row for each.
   */
  async function expectEveryNoticeExactlyOnce(id: number, expectedKeys: string[]): Promise<OutboxRow[]> {
    const mails = mailsFor(id);
    const perKey = new Map<string, number>();
    for (const mail of mails) perKey.set(mail.idempotencyKey!, (perKey.get(mail.idempotencyKey!) ?? 0) + 1);
    expect([...perKey].filter(([, count]) => count !== 1)).toEqual([]);
    expect([...perKey.keys()].sort()).toEqual([...expectedKeys].sort());
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(mails.length);

    const rows = await outbox(id);
    expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
    expect(rows.map((r) => r.key).sort()).toEqual([...expectedKeys].sort());
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    // The Message-ID the outbox stored is the one the recipient got.
    for (const row of rows) expect(mailsWithKey(row.key).map((m) => m.messageId)).toEqual([row.messageId]);
    return rows;
  }

  /** Each timeline event is stored once, with exactly the expected kinds, and the workflow's own timeline agrees. */
  async function expectEveryEventOnce(id: number, expectedKinds: string[], result: ProjectState): Promise<void> {
    const events = (await knex()('project_events').where({ project_id: id }).select('event_key', 'kind')) as { event_key: string; kind: string }[];
    expect(new Set(events.map((e) => e.event_key)).size).toBe(events.length);
    expect(events.map((e) => e.kind).sort()).toEqual([...expectedKinds].sort());
    // Replays after the restart rebuilt the workflow's state without recording anything twice.
    expect(result.stage).toBe('completed');
  }

  it('killing the worker in the middle of a trial run and starting it again finishes the project with every notice delivered exactly once', async () => {
    // Report due 10 s into a 16 s trial (time to kill the worker before); one open issue extends it
    // by 24 s, and the new report is due 18 s after the extension (time to submit it).
    const created = await h.createProject({ policy: policyWith({ trialRun: 'PT16S', trialReportLead: 'PT6S', trialExtendBy: 'PT24S', trialMaxExtensions: 2 }) });
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    await throughUnboxing(id);
    const accepted = await initialAcceptance(id, [{ title: 'PACS link drops at night' }]);
    const issueId: string = accepted.issueIds[0];

    const running = await h.waitFor(id, 'the trial running with its report deadline', (p) => p.trial?.status === 'running' && p.deadlines.some((d: Json) => d.kind === 'trial_report'), 30_000);
    const reportDueAt = new Date(running.deadlines.find((d: Json) => d.kind === 'trial_report').dueAt).getTime();
    const reminderKey = `trial-run-${id}:period-0:report-reminder:${PM.email}`;

    await h.system.temporal.kill();
    expect(await outboxRow(id, reminderKey)).toBeUndefined(); // not sent before the crash: the margin held
    // The reminder comes due while no worker runs: nothing can send it.
    await pollUntil('the trial-report deadline to pass with the worker down', () => (Date.now() > reportDueAt + 1000 ? true : undefined), 300_000);
    expect(await outboxRow(id, reminderKey)).toBeUndefined();
    expect(mailsWithKey(reminderKey)).toHaveLength(0);

    await h.system.temporal.restart(h.system.activities);
    // The new worker replays both workflows, sends the overdue reminder, then escalates and extends at the end.
    await h.waitForMails((m) => m.idempotencyKey === reminderKey, 1, 90_000);
    await h.waitFor(id, 'the trial extended once', (p) => p.trial?.extensions === 1 && p.deadlines.some((d: Json) => d.kind === 'trial_report'), 90_000);
    expect((await h.step(id, 'trial-report', { summary: 'ran 24 h without faults' })).status).toBe(200);
    expect((await h.step(id, `trial-issues/${issueId}/resolve`, { resolution: 'switch replaced' })).status).toBe(200);
    const result = await finish(id);
    expect(result.trial).toMatchObject({ round: 1, extensions: 1, status: 'ended' });

    await expectEveryNoticeExactlyOnce(id, [
      `project-${id}:started:${PM.email}`,
      `project-${id}:started:${CUSTOMER_CONTACT.email}`,
      reminderKey,
      `trial-run-${id}:period-0:report-escalation:${SERVICE_MANAGER.email}`,
      `trial-run-${id}:period-0:extended:${PM.email}`,
      `project-${id}:completed:${PM.email}`,
      `project-${id}:completed:${CUSTOMER_CONTACT.email}`,
    ]);
    await expectEveryEventOnce(id, [
      'project_started',
      'kickoff_recorded',
      'unboxing_checked',
      'initial_acceptance_passed',
      'trial_issue_logged',
      'trial_run_started',
      'trial_report_reminder',
      'trial_report_escalation',
      'trial_run_extended',
      'trial_report_submitted',
      'trial_issue_resolved',
      'trial_run_ended',
      'final_acceptance_passed',
      'handover_completed',
    ], result);
  });

  it('the SMTP server refusing mail across a worker kill and restart, then recovering, still delivers every notice exactly once', async () => {
    h.system.smtp.rejectMessages(true);
    const created = await h.createProject({ policy: policyWith({ trialRun: 'PT6S', trialReportLead: 'PT3S' }) });
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    const startedKeys = [PM, CUSTOMER_CONTACT].map((p) => `project-${id}:started:${p.email}`);
    const startedRows = async () => (await outbox(id)).filter((r) => startedKeys.includes(r.key));

    const refused = await pollUntil('both start notices refused twice', async () => {
      const rows = await startedRows();
      return rows.length === 2 && rows.every((r) => r.attempts >= 2) ? rows : undefined;
    });
    expect(refused.every((r) => r.status === 'pending' && /Temporary failure/.test(r.lastError ?? ''))).toBe(true);

    await h.system.temporal.kill();
    const atKill = new Map((await startedRows()).map((r) => [r.key, r.attempts]));
    // The server keeps the retry schedule: wait until the next attempts are due with no worker to run them.
    await pollUntil('the next sendNotice attempts to come due with the worker down', async () => {
      const pending = ((await projectHandle(id).describe()).raw.pendingActivities ?? []).filter((a) => a.activityType?.name === 'sendNotice');
      return pending.length === 2 && pending.every((a) => (optionalTsToMs(a.scheduledTime) ?? Infinity) < Date.now() - 500) ? pending : undefined;
    }, 300_000);
    expect(new Map((await startedRows()).map((r) => [r.key, r.attempts]))).toEqual(atKill);

    await h.system.temporal.restart(h.system.activities);
    // The new worker picks the retries up; the server still refuses them.
    await pollUntil('the restarted worker to retry both notices', async () => {
      const rows = await startedRows();
      return rows.every((r) => r.attempts > atKill.get(r.key)!) ? rows : undefined;
    });
    expect(mailsFor(id)).toHaveLength(0);

    h.system.smtp.rejectMessages(false);
    await h.waitForMails((m) => startedKeys.includes(m.idempotencyKey ?? ''), 2, 90_000);
    await throughUnboxing(id);
    await initialAcceptance(id);
    await h.waitFor(id, 'the trial running', (p) => p.trial?.status === 'running', 30_000);
    expect((await h.step(id, 'trial-report', { summary: 'ran without faults' })).status).toBe(200);
    const result = await finish(id);

    const rows = await expectEveryNoticeExactlyOnce(id, [...startedKeys, ...[PM, CUSTOMER_CONTACT].map((p) => `project-${id}:completed:${p.email}`)]);
    for (const row of rows.filter((r) => startedKeys.includes(r.key))) {
      expect(row.attempts).toBeGreaterThanOrEqual(4); // ≥ 3 refused (before and after the restart) + the one that went through
      expect(row.lastError).toMatch(/Temporary failure/);
    }
    await expectEveryEventOnce(id, [
      'project_started',
      'kickoff_recorded',
      'unboxing_checked',
      'initial_acceptance_passed',
      'trial_run_started',
      'trial_report_submitted',
      'trial_run_ended',
      'final_acceptance_passed',
      'handover_completed',
    ], result);
  });

  it('a worker dying while sendNotice is in flight, before or after the SMTP server took the message, never sends twice', async () => {
    const pmKey = (id: number) => `project-${id}:started:${PM.email}`;
    const contactKey = (id: number) => `project-${id}:started:${CUSTOMER_CONTACT.email}`;
    // The PM's notice: the worker dies while talking to the SMTP server (row claimed, nothing sent).
    const duringSmtp = crashPoint((key) => key.endsWith(`:started:${PM.email}`));
    // The contact's notice: the worker dies after SMTP accepted it and the row was marked sent, before Temporal heard back.
    const afterSend = crashPoint((key) => key.endsWith(`:started:${CUSTOMER_CONTACT.email}`));

    const smtp = createMailTransport({ smtpUrl: h.system.smtp.url, dataDir: h.system.db.dataDir, from: 'Aftercare <aftercare@test.local>' });
    const crashingTransport: MailTransport = {
      async send(message) {
        await duringSmtp.hang(message.idempotencyKey);
        return smtp.send(message);
      },
      close: () => smtp.close(),
    };
    // A short lease, so the dead sender's claim on the row runs out within the test.
    const crashingOutbox = new NoticeOutbox(h.system.db.knex, crashingTransport, undefined, { leaseMs: 4000 });
    const crashing = createActivities({ knex: h.system.db.knex, outbox: crashingOutbox, now: () => new Date(), publicUrl: 'http://console.test' });
    const crashingActivities: Activities = {
      ...crashing,
      async sendNotice(request) {
        // A hung call ends with the worker's shutdown, as the attempt of a dead worker would.
        const result = await Promise.race([crashing.sendNotice(request), Context.current().cancelled]);
        await afterSend.pass(request.idempotencyKey);
        return result;
      },
    };
    const seenAfterRestart: { key: string; alreadySent: boolean }[] = [];
    const recordingActivities: Activities = {
      ...h.system.activities,
      async sendNotice(request) {
        const result = await h.system.activities.sendNotice(request);
        seenAfterRestart.push({ key: request.idempotencyKey, alreadySent: result.status === 'sent' && result.alreadySent });
        return result;
      },
    };

    try {
      await h.system.temporal.restart(crashingActivities);
      const created = await h.createProject({ policy: policyWith({ trialRun: 'PT6S', trialReportLead: 'PT3S' }) });
      expect(created.status).toBe(201);
      const id: number = created.body.id;
      await pollUntil('both notices to reach their crash points', () => (duringSmtp.reached && afterSend.reached ? true : undefined), 300_000);

      // The state the crash leaves behind.
      expect(await outboxRow(id, pmKey(id))).toMatchObject({ status: 'pending', attempts: 0 });
      expect(await outboxRow(id, contactKey(id))).toMatchObject({ status: 'sent', attempts: 1 });
      expect(mailsWithKey(pmKey(id))).toHaveLength(0);
      expect(mailsWithKey(contactKey(id))).toHaveLength(1);

      await h.system.temporal.kill();
      await h.system.temporal.restart(recordingActivities);

      // Both activities are retried by the new worker: one sends once the dead sender's lease is over,
      // the other finds its notice already sent and sends nothing.
      await h.waitForMails((m) => m.idempotencyKey === pmKey(id), 1, 90_000);
      // The mail reaches the sink a moment before the activity that sent it returns: wait for both activities.
      await pollUntil('the retries of both notices to return', () =>
        [contactKey(id), pmKey(id)].every((key) => seenAfterRestart.some((s) => s.key === key)) ? true : undefined,
      );
      expect(seenAfterRestart.filter((s) => s.key === contactKey(id))).toEqual([{ key: contactKey(id), alreadySent: true }]);
      expect(seenAfterRestart.filter((s) => s.key === pmKey(id))).toEqual([{ key: pmKey(id), alreadySent: false }]);

      await throughUnboxing(id);
      await initialAcceptance(id);
      await h.waitFor(id, 'the trial running', (p) => p.trial?.status === 'running', 30_000);
      expect((await h.step(id, 'trial-report', { summary: 'ran without faults' })).status).toBe(200);
      const result = await finish(id);

      const rows = await expectEveryNoticeExactlyOnce(id, [pmKey(id), contactKey(id), ...[PM, CUSTOMER_CONTACT].map((p) => `project-${id}:completed:${p.email}`)]);
      // One SMTP transaction each: the dead attempt never reached the server, the retry of the other never talked to it.
      expect(rows.find((r) => r.key === pmKey(id))).toMatchObject({ attempts: 1, lastError: null });
      expect(rows.find((r) => r.key === contactKey(id))).toMatchObject({ attempts: 1, lastError: null });
      await expectEveryEventOnce(id, [
        'project_started',
        'kickoff_recorded',
        'unboxing_checked',
        'initial_acceptance_passed',
        'trial_run_started',
        'trial_report_submitted',
        'trial_run_ended',
        'final_acceptance_passed',
        'handover_completed',
      ], result);
    } finally {
      await smtp.close();
    }
  });
});
