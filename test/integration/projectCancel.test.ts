/**
 * P1 "cancel at any step with a reason" on the real server: the project ends in stage cancelled, its trial-run
 * and DOA children end CANCELLED, every timer stops (no reminder or escalation afterwards), the PM and the
 * customer's contact are told once, and no further step is accepted.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { PolicyOverride } from '../../domain/policy';
import { projectStateQuery } from '../../processes/delivery/messages';
import type { ReceivedMail } from '../support/smtpSink';
import { BOTH_SIGN, CUSTOMER_CONTACT, PM, SECONDS_POLICY, startProjectHarness, withKey, type Json, type ProjectHarness } from '../support/projectHarness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every notice of one project's workflows (`project-7:…`, `trial-run-7:…`, `trial-run-7-round-2:…`, `doa-7-<serial>:…`). */
const ofProject = (id: number) => (mail: ReceivedMail) => {
  const key = mail.idempotencyKey ?? '';
  return key.startsWith(`project-${id}:`) || key.startsWith(`trial-run-${id}:`) || key.startsWith(`trial-run-${id}-round-`) || key.startsWith(`doa-${id}-`);
};
const isReminderOrEscalation = (mail: ReceivedMail) => /reminder|escalation|extended/.test(mail.idempotencyKey ?? '');


function withDelivery(delivery: NonNullable<PolicyOverride['delivery']>): PolicyOverride {
  return { ...SECONDS_POLICY, delivery: { ...SECONDS_POLICY.delivery, ...delivery } };
}

describe('project delivery: cancellation on the real server', () => {
  let h: ProjectHarness;

  beforeAll(async () => {
    h = await startProjectHarness('cancel');
  });
  afterAll(async () => {
    await h.stop();
  });

  const handle = (workflowId: string): WorkflowHandle => h.system.temporal.client.workflow.getHandle(workflowId);

  /** Polls describe() until the workflow is closed; answers its final status name. */
  async function closedStatus(workflowId: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = (await handle(workflowId).describe()).status.name;
      if (status !== 'RUNNING') return status;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${workflowId} to close`);
      await sleep(200);
    }
  }

  async function create(policy: PolicyOverride = SECONDS_POLICY): Promise<{ id: number; serials: string[] }> {
    const created = await h.createProject({ policy });
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    const serials: string[] = (await h.project(id)).devices.map((d: Json) => d.serial);
    return { id, serials };
  }

  async function kickoff(id: number): Promise<void> {
    const answer = await h.step(id, 'kickoff', { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality'], completionCriteria: 'all tests signed' });
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status: 200, error: undefined });
  }

  /** Unboxing with the first serial damaged in transport (when `damaged`): answers the DOA case's workflow id. */
  async function unbox(id: number, serials: string[], damaged: boolean): Promise<string | undefined> {
    const [first, ...rest] = serials;
    const answer = await h.step(id, 'unboxing', {
      items: [
        damaged ? { serial: first, condition: 'damaged', damage: { description: 'crushed corner', cause: 'transport' } } : { serial: first, condition: 'ok' },
        ...rest.map((serial) => ({ serial, condition: 'ok' })),
      ],
      signatures: BOTH_SIGN,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.stage).toBe('installing');
    if (!damaged) return undefined;
    const doaId = `doa-${id}-${first}`;
    await h.waitFor(id, 'DOA case open', (p) => p.doaCases.some((c: Json) => c.serial === first && c.status === 'awaiting_shipment'));
    return doaId;
  }

  /** The project row, the API and the e-mails of a cancelled project. */
  async function expectCancelled(id: number, reason: string, actor: string | null): Promise<Json> {
    const project = await h.waitForStage(id, 'cancelled');
    const row = await h.system.db.knex('projects').where({ id }).first();
    expect(row.stage).toBe('cancelled');
    expect(row.cancel_reason).toBe(reason);
    expect(project.cancelReason).toBe(reason);
    expect(project.deadlines).toEqual([]);
    const events = project.timeline.filter((e: Json) => e.kind === 'project_cancelled');
    expect(events).toHaveLength(1);
    expect(events[0].actor).toBe(actor);
    expect(events[0].summary).toBe(`cancelled: ${reason}`);

    const mails = await h.waitForMails(withKey(`project-${id}:cancelled:`), 2);
    expect(mails.flatMap((m) => m.envelope.to).sort()).toEqual([CUSTOMER_CONTACT.email, PM.email].sort());
    for (const mail of mails) expect(mail.text).toContain(reason);
    return project;
  }

  /** A closed project refuses every step with 409. */
  async function expectNoFurtherSteps(id: number, doaSerial?: string): Promise<void> {
    const steps: [string, unknown][] = [
      ['kickoff', { meetingDate: '2026-11-24', plan: 'again', acceptanceItems: ['x'], completionCriteria: 'y' }],
      ['weekly-reports', { summary: 'late report' }],
      ['trial-issues', { title: 'noise' }],
      ['trial-report', { summary: 'ran fine' }],
      ['cancel', { reason: 'cancel twice' }],
    ];
    if (doaSerial) steps.push([`doa/${doaSerial}/shipped`, { replacementSerial: 'R-late' }]);
    for (const [step, body] of steps) {
      const answer = await h.step(id, step, body);
      expect({ step, status: answer.status, code: answer.body?.error?.code }).toEqual({ step, status: 409, code: 'conflict' });
    }
  }

  it('cancel mid-trial: the trial run and an open DOA case end CANCELLED, no reminder or escalation follows', async () => {
    // The report reminder would come 10 s into the trial, the end and its escalation at 20 s.
    const { id, serials } = await create(withDelivery({ trialRun: 'PT20S', trialReportLead: 'PT10S' }));
    await kickoff(id);
    const doaId = (await unbox(id, serials, true))!;
    const initial = await h.step(id, 'initial-acceptance', { items: [{ name: 'image quality', passed: true, signedBy: 'Wang Fang' }], signatures: BOTH_SIGN });
    expect(initial.status).toBe(200);
    expect(initial.body.stage).toBe('trial_run');
    const running = await h.waitFor(id, 'trial running with its deadlines', (p) => p.trial?.status === 'running' && p.deadlines.some((d: Json) => d.kind === 'trial_report'));
    const trialId = `trial-run-${id}`;
    expect((await handle(trialId).describe()).status.name).toBe('RUNNING');
    expect((await handle(doaId).describe()).status.name).toBe('RUNNING');
    const shipBy: string = running.doaCases[0].shipBy;

    const reason = 'the hospital withdrew the order';
    const cancelled = await h.step(id, 'cancel', { reason });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ stage: 'cancelled' });
    const page = await h.waitFor(id, 'trial ended and no deadline left', (p) => p.trial?.status === 'ended' && p.deadlines.length === 0);
    expect(page).toMatchObject({ stage: 'cancelled', cancelReason: reason, deadlines: [] });

    expect(await closedStatus(trialId)).toBe('CANCELLED');
    expect(await closedStatus(doaId)).toBe('CANCELLED');
    const result = await handle(`project-${id}`).result();
    expect(result).toMatchObject({ stage: 'cancelled', cancelReason: reason });
    expect((await handle(`project-${id}`).describe()).status.name).toBe('COMPLETED');
    await expectCancelled(id, reason, PM.name);

    // Past the report deadline, the trial's end and the replacement's ship-by: no timer is left to fire.
    const quietUntil = Math.max(Date.parse(running.trial.endsAt), Date.parse(shipBy)) + 5_000;
    await sleep(Math.max(0, quietUntil - Date.now()));
    const mails = h.mails(ofProject(id));
    expect(mails.filter(isReminderOrEscalation).map((m) => m.idempotencyKey)).toEqual([]);
    expect(mails.map((m) => m.idempotencyKey).sort()).toEqual(
      ['started', 'cancelled'].flatMap((key) => [PM.email, CUSTOMER_CONTACT.email].map((email) => `project-${id}:${key}:${email}`)).sort(),
    );
    const kinds: string[] = (await h.project(id)).timeline.map((e: Json) => e.kind);
    for (const kind of ['trial_report_reminder', 'trial_report_escalation', 'trial_run_ended', 'doa_ship_overdue']) expect(kinds).not.toContain(kind);

    await expectNoFurtherSteps(id, serials[0]);
  });

  it('cancel at awaiting_kickoff: a reason is required, then the project ends cancelled', async () => {
    const { id } = await create();
    await h.waitForMails(withKey(`project-${id}:started:`), 2);
    const blank = await h.step(id, 'cancel', { reason: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error.code).toBe('validation_failed');

    const reason = 'contract rescinded before kickoff';
    const cancelled = await h.step(id, 'cancel', { reason });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ stage: 'cancelled' });
    expect(await h.project(id)).toMatchObject({ stage: 'cancelled', cancelReason: reason });
    expect((await handle(`project-${id}`).result()).stage).toBe('cancelled');
    expect(await closedStatus(`project-${id}`)).toBe('COMPLETED');
    await expectCancelled(id, reason, PM.name);
    await expectNoFurtherSteps(id);
  });

  it('cancel during installation stops the weekly-report timers', async () => {
    // Reminder 10 s after unboxing, second reminder at 13 s, escalation at 16 s.
    const { id, serials } = await create(withDelivery({ weeklyReportEvery: 'PT10S', weeklyReportGrace: 'PT3S' }));
    await kickoff(id);
    await unbox(id, serials, false);
    const installing = await h.waitFor(id, 'weekly report due', (p) => p.deadlines.some((d: Json) => d.kind === 'weekly_report'));
    const dueAt = Date.parse(installing.deadlines.find((d: Json) => d.kind === 'weekly_report').dueAt);

    const reason = 'site not ready: building works stopped';
    const cancelled = await h.step(id, 'cancel', { reason });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ stage: 'cancelled' });
    await h.waitFor(id, 'no deadline left', (p) => p.deadlines.length === 0);
    expect((await handle(`project-${id}`).result()).stage).toBe('cancelled');
    await expectCancelled(id, reason, PM.name);

    // Past the reminder, the second reminder and the escalation.
    await sleep(Math.max(0, dueAt + 2 * 3_000 + 5_000 - Date.now()));
    expect(h.mails(withKey(`project-${id}:weekly-report:`))).toHaveLength(0);
    expect(h.mails(ofProject(id)).filter(isReminderOrEscalation)).toHaveLength(0);
    const kinds: string[] = (await h.project(id)).timeline.map((e: Json) => e.kind);
    expect(kinds.filter((k) => k.startsWith('weekly_report_'))).toEqual([]);
    await expectNoFurtherSteps(id);
  });

  it('an operator cancelling the workflow through Temporal ends the project cancelled, "cancelled by an operator"', async () => {
    const { id, serials } = await create();
    await kickoff(id);
    const doaId = (await unbox(id, serials, true))!;

    await handle(`project-${id}`).cancel();
    const project = await expectCancelled(id, 'cancelled by an operator', null);
    expect(project.stage).toBe('cancelled');
    expect(await closedStatus(doaId)).toBe('CANCELLED');
    // Unlike a cancel step (the workflow completes with its state), Temporal's cancel ends the run CANCELLED;
    // the cleanup still ran and the closed run still answers with its state.
    expect(await closedStatus(`project-${id}`)).toBe('CANCELLED');
    expect(await handle(`project-${id}`).query(projectStateQuery)).toMatchObject({ stage: 'cancelled', cancelReason: 'cancelled by an operator' });
    expect(await h.project(id)).toMatchObject({ stage: 'cancelled', cancelReason: 'cancelled by an operator', deadlines: [] });
    const mails = h.mails(withKey(`project-${id}:cancelled:`));
    for (const mail of mails) expect(mail.text).toContain('operator');
    await expectNoFurtherSteps(id, serials[0]);
  });
});
