/**
 * P1 deadlines on the real server: the weekly-report ladder, the trial-run report, trial extensions
 * for open issues, a failed final acceptance going back to a trial run, and warranty dates. Every
 * case checks the stored timeline (GET and `project_events` rows), the live workflow state and the
 * e-mails that reached the SMTP sink. Policies are in seconds; waits poll, and times are only ever
 * compared with the deadlines the workflow itself recorded (a timer never fires early), never with
 * the wall clock.
 */
import { DateTime } from 'luxon';
import { fromJson, toDate } from '../../platform/db/mapping';
import type { PolicyOverride } from '../../domain/policy';
import { trialStateQuery } from '../../processes/delivery/messages';
import type { ReceivedMail } from '../support/smtpSink';
import {
  BOTH_SIGN,
  CUSTOMER_CONTACT,
  PM,
  SECONDS_POLICY,
  SERVICE_MANAGER,
  forProject,
  startProjectHarness,
  withKey,
  type Json,
  type ProjectHarness,
} from '../support/projectHarness';

/** The policy's calendar zone (the default 'cn' calendar): calendar durations are added there. */
const POLICY_ZONE = 'Asia/Shanghai';
const CJK = /[\u3400-\u9fff\uff00-\uffef]/;
const SCORES = { hardware: 27, software: 46, documents: 9, satisfaction: 9 };
const HANDOVER = { documents: [{ name: '工程竣工资料移交清单', delivered: true }], signatures: [{ name: 'Wang Fang', party: 'customer' }] };

interface EventRow {
  key: string;
  kind: string;
  at: number;
  summary: string;
  data: Json;
}

type Recipient = { email: string; locale: 'zh-CN' | 'en' };

const ms = (iso: string): number => new Date(iso).getTime();
const iso = (time: number): string => new Date(time).toISOString();
const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const plusMonths = (start: string, months: number): string => iso(DateTime.fromISO(start, { zone: POLICY_ZONE }).plus({ months }).toMillis());

describe('project delivery: deadlines, reminders, escalations, trial extensions and warranty', () => {
  let h: ProjectHarness;
  beforeAll(async () => {
    h = await startProjectHarness('deadlines');
  });
  afterAll(async () => {
    await h.stop();
  });

  /** SECONDS_POLICY with some delivery (and warranty) fields replaced. */
  function policy(delivery: Record<string, unknown>, warranty?: PolicyOverride['warranty']): PolicyOverride {
    return { ...SECONDS_POLICY, delivery: { ...SECONDS_POLICY.delivery, ...delivery }, ...(warranty ? { warranty } : {}) };
  }

  async function start(overrides: Record<string, unknown>): Promise<{ id: number; serials: string[]; contractNo: string }> {
    const created = await h.createProject(overrides);
    expect(created.status).toBe(201);
    const id: number = created.body.id;
    const project = await h.project(id);
    return { id, serials: project.devices.map((d: Json) => d.serial), contractNo: project.contractNo };
  }

  async function kickoffAndUnbox(id: number, serials: string[]): Promise<void> {
    expect((await h.step(id, 'kickoff', { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality'], completionCriteria: 'all tests signed' })).status).toBe(200);
    const unboxing = await h.step(id, 'unboxing', { items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: BOTH_SIGN });
    expect(unboxing.status).toBe(200);
    expect(unboxing.body.stage).toBe('installing');
  }

  /** Kickoff, unboxing and a passed initial acceptance: the trial run starts. */
  async function toTrial(id: number, serials: string[], leftoverIssues?: { title: string }[]): Promise<Json> {
    await kickoffAndUnbox(id, serials);
    const initial = await h.step(id, 'initial-acceptance', { items: [{ name: 'image quality', passed: true, signedBy: 'Wang Fang' }], leftoverIssues, signatures: BOTH_SIGN });
    expect(initial.status).toBe(200);
    expect(initial.body.stage).toBe('trial_run');
    return h.project(id);
  }

  /** Waits until trial `round` runs and the child has told the project its end and report deadline. */
  function trialRunning(id: number, round = 1): Promise<Json> {
    return h.waitFor(id, `trial run ${round} running with its deadlines`, (p) => p.trial?.round === round && p.trial.status === 'running' && ['trial_end', 'trial_report'].every((kind) => p.deadlines.some((d: Json) => d.kind === kind)), 30_000);
  }

  async function eventRows(id: number): Promise<EventRow[]> {
    const rows: Json[] = await h.system.db.knex('project_events').where({ project_id: id }).orderBy([{ column: 'at' }, { column: 'id' }]);
    return rows.map((row) => ({ key: row.event_key, kind: row.kind, at: toDate(row.at)!.getTime(), summary: row.summary, data: fromJson(row.data) }));
  }

  const deadline = (project: Json, kind: string): Json => project.deadlines.find((d: Json) => d.kind === kind);
  const timelineAt = (project: Json, kind: string, index = 0): number => ms(project.timeline.filter((e: Json) => e.kind === kind)[index].at);

  /** Exactly one mail under this idempotency key, to `to`, subject in the recipient's language. */
  async function theMail(key: string, to: Recipient, subject: RegExp): Promise<ReceivedMail> {
    await h.waitForMails(withKey(key), 1, 30_000);
    const found = h.mails(withKey(key));
    expect(found).toHaveLength(1);
    const mail = found[0]!;
    expect(mail.envelope.to).toEqual([to.email]);
    expect(mail.subject).toMatch(subject);
    if (to.locale === 'zh-CN') expect(mail.subject).toMatch(CJK);
    else expect(mail.subject).not.toMatch(CJK);
    return mail;
  }

  async function cancel(id: number): Promise<void> {
    const cancelled = await h.step(id, 'cancel', { reason: 'test finished' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.stage).toBe('cancelled');
    await h.waitFor(id, 'no deadline left', (p) => p.deadlines.length === 0);
  }

  // --- 1. Weekly reports -----------------------------------------------------------------------

  const WEEKLY = { weeklyReportEvery: 'PT4S', weeklyReportGrace: 'PT3S' };
  const LADDER = ['weekly_report_reminder', 'weekly_report_second_reminder', 'weekly_report_escalation'];

  it('a missed weekly report: reminder and second reminder to the PM, escalation to the named service manager; a report restarts the clock; reports in time raise nothing', async () => {
    const { id, serials, contractNo } = await start({ policy: policy(WEEKLY) });
    await kickoffAndUnbox(id, serials);

    // The first report is due 4 s after unboxing (the start of installation).
    const waiting = await h.waitFor(id, 'weekly report 1 due', (p) => deadline(p, 'weekly_report') !== undefined, 30_000);
    const installingSince = timelineAt(waiting, 'unboxing_checked');
    expect(deadline(waiting, 'weekly_report')).toMatchObject({ kind: 'weekly_report', dueAt: iso(installingSince + 4000), description: 'weekly report 1' });
    // The deadline is recorded as words: a Chinese reader is told it in Chinese.
    const inChinese = (await h.call('GET', `/api/projects/${id}`, undefined, h.readerToken, { 'accept-language': 'zh-CN' })).body;
    expect(deadline(inChinese, 'weekly_report')?.description).toBe('第 1 期周报');

    await h.waitForEvent(id, 'weekly_report_escalation', 1, 60_000);
    const ladder = (await eventRows(id)).filter((e) => e.kind.startsWith('weekly_report_'));
    expect(ladder.map((e) => [e.key, e.kind])).toEqual([
      ['weekly-report:1:reminder', 'weekly_report_reminder'],
      ['weekly-report:1:second_reminder', 'weekly_report_second_reminder'],
      ['weekly-report:1:escalation', 'weekly_report_escalation'],
    ]);
    // due, due + grace, due + 2 × grace: never earlier.
    expect(ladder[0]!.at).toBeGreaterThanOrEqual(installingSince + 4000);
    expect(ladder[1]!.at).toBeGreaterThanOrEqual(installingSince + 7000);
    expect(ladder[2]!.at).toBeGreaterThanOrEqual(installingSince + 10_000);
    const escalated = await h.project(id);
    expect(escalated.timeline.map((e: Json) => e.kind).filter((k: string) => k.startsWith('weekly_report'))).toEqual(LADDER);
    expect(escalated.stage).toBe('installing');
    // Still overdue: the deadline stands until a report comes.
    expect(deadline(escalated, 'weekly_report')).toMatchObject({ kind: 'weekly_report', dueAt: iso(installingSince + 4000), description: 'weekly report 1' });

    const first = await theMail(`project-${id}:weekly-report:1:reminder:${PM.email}`, PM, /^提醒：工程周报将于.+到期/);
    expect(first.subject).toContain(contractNo);
    await theMail(`project-${id}:weekly-report:1:second_reminder:${PM.email}`, PM, /^提醒：工程周报将于.+到期/);
    const escalation = await theMail(`project-${id}:weekly-report:1:escalation:${SERVICE_MANAGER.email}`, SERVICE_MANAGER, /^Escalation: the weekly installation report overdue since /);
    expect(escalation.subject).toContain(contractNo);
    expect(escalation.text).toContain(PM.name);
    expect(h.mails(withKey(`project-${id}:weekly-report:1:`))).toHaveLength(3);

    // A report restarts the clock: the next one is due 4 s after it (the step answers with the new deadline).
    // Then three more reports, each well inside 4 s of the one before, spanning more than 4 s in all.
    const summaries = ['cabling done', 'rack mounted', 'detector calibrated', 'network tested'];
    for (const [i, summary] of summaries.entries()) {
      if (i > 0) await sleep(1500);
      const report = await h.step(id, 'weekly-reports', { summary });
      expect(report.status).toBe(201);
      const page = await h.waitFor(id, `weekly report ${i + 2} due`, (p) => deadline(p, 'weekly_report')?.key === `weekly-report:${i + 2}`);
      expect(page.timeline.filter((e: Json) => e.kind === 'weekly_report')).toHaveLength(i + 1);
      expect(deadline(page, 'weekly_report')).toMatchObject({ kind: 'weekly_report', dueAt: iso(timelineAt(page, 'weekly_report', i) + 4000), description: `weekly report ${i + 2}` });
    }
    // With no more reports, the next cycle's reminder comes again, under its own key.
    const again = await theMail(`project-${id}:weekly-report:5:reminder:${PM.email}`, PM, /^提醒：工程周报将于.+到期/);
    expect(again.idempotencyKey).not.toBe(first.idempotencyKey);
    await h.waitForEvent(id, 'weekly_report_reminder', 2, 30_000);

    const rows = await eventRows(id);
    const reports = rows.filter((e) => e.kind === 'weekly_report');
    expect(reports.map((e) => e.key)).toEqual(['weekly-report:1', 'weekly-report:2', 'weekly-report:3', 'weekly-report:4']);
    // In time: each gap is shorter than the 4 s period, the whole run longer.
    for (let i = 1; i < reports.length; i++) expect(reports[i]!.at - reports[i - 1]!.at).toBeLessThan(4000);
    expect(reports[3]!.at - reports[0]!.at).toBeGreaterThan(4000);
    const reminders = rows.filter((e) => e.kind.startsWith('weekly_report_'));
    expect(reminders.map((e) => e.key).slice(0, 4)).toEqual(['weekly-report:1:reminder', 'weekly-report:1:second_reminder', 'weekly-report:1:escalation', 'weekly-report:5:reminder']);
    expect(reminders.find((e) => e.key === 'weekly-report:5:reminder')!.at).toBeGreaterThanOrEqual(reports[3]!.at + 4000);
    // Nothing at all for the cycles answered in time.
    for (const cycle of [2, 3, 4]) {
      expect(rows.filter((e) => e.key.startsWith(`weekly-report:${cycle}:`))).toEqual([]);
      expect(h.mails(withKey(`project-${id}:weekly-report:${cycle}:`))).toHaveLength(0);
    }
    expect(h.mails(withKey(`project-${id}:weekly-report:5:reminder:`))).toHaveLength(1);
    const now = await h.project(id);
    expect(deadline(now, 'weekly_report')).toMatchObject({ kind: 'weekly_report', dueAt: iso(reports[3]!.at + 4000), description: 'weekly report 5' });
    expect(now.timeline.filter((e: Json) => e.kind === 'weekly_report')).toHaveLength(4);

    await cancel(id);
  });

  it('a project without a named service manager escalates a missed weekly report to the active service managers', async () => {
    const { id, serials, contractNo } = await start({ policy: policy(WEEKLY), serviceManager: undefined });
    const before = await h.project(id);
    expect(before.serviceManager).toBeNull();
    await kickoffAndUnbox(id, serials);

    await h.waitForEvent(id, 'weekly_report_escalation', 1, 60_000);
    const rows = await eventRows(id);
    expect(rows.filter((e) => e.kind.startsWith('weekly_report_')).map((e) => e.kind)).toEqual(LADDER);

    await theMail(`project-${id}:weekly-report:1:reminder:${PM.email}`, PM, /^提醒：工程周报将于.+到期/);
    await theMail(`project-${id}:weekly-report:1:second_reminder:${PM.email}`, PM, /^提醒：工程周报将于.+到期/);
    // SERVICE_MANAGER is the one active user with that role (an English speaker).
    const escalation = await theMail(`project-${id}:weekly-report:1:escalation:${SERVICE_MANAGER.email}`, SERVICE_MANAGER, /^Escalation: the weekly installation report overdue since /);
    expect(escalation.subject).toContain(contractNo);
    const escalations = h.mails(withKey(`project-${id}:weekly-report:1:escalation:`));
    expect(escalations.map((m) => m.envelope.to)).toEqual([[SERVICE_MANAGER.email]]);
    expect(h.mails(withKey(`project-${id}:weekly-report:1:`))).toHaveLength(3);

    const state = await h.project(id);
    expect(state.stage).toBe('installing');
    expect(deadline(state, 'weekly_report')).toMatchObject({ description: 'weekly report 1', dueAt: iso(timelineAt(state, 'unboxing_checked') + 4000) });
    await cancel(id);
  });

  // --- 2. Trial-run report -----------------------------------------------------------------------

  it('a trial report missing at the lead time: reminder to the PM, at the end escalation to the service manager; a report in time gets neither', async () => {
    const trialPolicy = policy({ trialRun: 'PT8S', trialReportLead: 'PT4S' });
    const missing = await start({ policy: trialPolicy });
    const onTime = await start({ policy: trialPolicy });
    await toTrial(missing.id, missing.serials);
    await toTrial(onTime.id, onTime.serials);

    // Both runs: 8 s from the initial-acceptance date, report due 4 s before the end.
    const expectTrialDeadlines = (running: Json) => {
      const startedAt = ms(running.trial.startedAt);
      expect(running.trial.startedAt).toBe(running.milestones.initialAcceptedAt);
      expect(running.trial).toMatchObject({ round: 1, extensions: 0, status: 'running', endsAt: iso(startedAt + 8000) });
      expect(deadline(running, 'trial_report').dueAt).toBe(iso(startedAt + 4000));
      expect(deadline(running, 'trial_end').dueAt).toBe(iso(startedAt + 8000));
    };
    // The report on time comes first, so it is well inside its 4 s.
    const onTimeRunning = await trialRunning(onTime.id);
    const submitted = await h.step(onTime.id, 'trial-report', { summary: 'ran 4 days without faults' });
    expect(submitted.status).toBe(200);
    const afterReport = await h.waitFor(onTime.id, 'the report deadline met', (p) => p.deadlines.every((d: Json) => d.kind !== 'trial_report'));
    expect(afterReport.trial.reportSubmittedAt).toEqual(expect.any(String));
    expect(afterReport.deadlines.map((d: Json) => d.kind)).toEqual(['trial_end']);
    expectTrialDeadlines(onTimeRunning);
    expectTrialDeadlines(await trialRunning(missing.id));

    // The missing one: reminder at the lead time, escalation at the end, then final acceptance.
    await h.waitForEvent(missing.id, 'trial_report_reminder', 1, 30_000);
    const reminded = await h.project(missing.id);
    const startedAt = ms(reminded.trial.startedAt);
    expect(deadline(reminded, 'trial_report').dueAt).toBe(iso(startedAt + 4000));
    const reminder = await theMail(`trial-run-${missing.id}:period-0:report-reminder:${PM.email}`, PM, /^提醒：试运行报告和终验申请将于.+到期/);
    expect(reminder.subject).toContain(missing.contractNo);

    await h.waitForEvent(missing.id, 'trial_report_escalation', 1, 30_000);
    const escalation = await theMail(`trial-run-${missing.id}:period-0:report-escalation:${SERVICE_MANAGER.email}`, SERVICE_MANAGER, /^Escalation: the trial-run report and final-acceptance application overdue since /);
    expect(escalation.subject).toContain(missing.contractNo);
    const ended = await h.waitForStage(missing.id, 'final_acceptance', 30_000);
    expect(ended.trial).toMatchObject({ round: 1, extensions: 0, status: 'ended' });
    expect(ended.trial.reportSubmittedAt).toBeUndefined();
    expect(ended.deadlines).toEqual([]);
    const rows = await eventRows(missing.id);
    const trialEvents = rows.filter((e) => e.key.startsWith('trial:'));
    expect(trialEvents.map((e) => [e.key, e.kind])).toEqual([
      ['trial:1:started', 'trial_run_started'],
      ['trial:1:0:report-reminder', 'trial_report_reminder'],
      ['trial:1:0:report-escalation', 'trial_report_escalation'],
      ['trial:1:ended', 'trial_run_ended'],
    ]);
    expect(trialEvents[1]!.at).toBeGreaterThanOrEqual(startedAt + 4000);
    expect(trialEvents[2]!.at).toBeGreaterThanOrEqual(startedAt + 8000);
    expect(h.mails(withKey(`trial-run-${missing.id}:`))).toHaveLength(2);

    // The one on time: no reminder, no escalation, same end.
    const done = await h.waitForStage(onTime.id, 'final_acceptance', 30_000);
    expect(done.trial).toMatchObject({ round: 1, extensions: 0, status: 'ended', reportSubmittedAt: expect.any(String) });
    const kinds = done.timeline.map((e: Json) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['trial_run_started', 'trial_report_submitted', 'trial_run_ended']));
    expect(kinds.filter((k: string) => k.startsWith('trial_report_') && k !== 'trial_report_submitted')).toEqual([]);
    expect((await eventRows(onTime.id)).filter((e) => /report-(reminder|escalation)/.test(e.key))).toEqual([]);
    expect(h.mails(withKey(`trial-run-${onTime.id}:`))).toHaveLength(0);
    expect(h.mails(forProject(onTime.id)).filter((m) => /reminder|escalation/.test(m.idempotencyKey ?? ''))).toHaveLength(0);

    await cancel(missing.id);
    await cancel(onTime.id);
  });

  // --- 3. Extensions for open issues ---------------------------------------------------------------

  it('an open issue extends the trial twice, then final acceptance has it attached; a passed final acceptance completes via handover', async () => {
    const { id, serials, contractNo } = await start({ policy: policy({ trialRun: 'PT5S', trialExtendBy: 'PT4S', trialMaxExtensions: 2 }) });
    // The issue is left over from initial acceptance and never resolved.
    const initial = await toTrial(id, serials, [{ title: 'PACS link drops at night' }]);
    expect(initial.trialIssues).toEqual([expect.objectContaining({ id: 'I1', title: 'PACS link drops at night', round: 1 })]);

    const atFinal = await h.waitForStage(id, 'final_acceptance', 60_000);
    expect(atFinal.trial).toMatchObject({ round: 1, extensions: 2, status: 'ended' });
    const startedAt = ms(atFinal.trial.startedAt);
    expect(atFinal.trial.startedAt).toBe(atFinal.milestones.initialAcceptedAt);
    expect(atFinal.trialIssues).toEqual([expect.objectContaining({ id: 'I1', title: 'PACS link drops at night', resolvedAt: null })]);
    expect(atFinal.deadlines).toEqual([]);
    const kinds = atFinal.timeline.map((e: Json) => e.kind);
    expect(kinds.filter((k: string) => k === 'trial_run_extended')).toHaveLength(2);
    expect(kinds.indexOf('trial_run_ended')).toBeGreaterThan(kinds.lastIndexOf('trial_run_extended'));

    const rows = await eventRows(id);
    const extended = rows.filter((e) => e.kind === 'trial_run_extended');
    expect(extended.map((e) => e.key)).toEqual(['trial:1:0:extended', 'trial:1:1:extended']);
    expect(extended.map((e) => e.data)).toEqual([{ openIssues: 1, extensions: 1 }, { openIssues: 1, extensions: 2 }]);
    // Each extension adds 4 s to the planned end: 5 s, then 9 s, then 13 s after the start.
    expect(extended[0]!.summary).toContain(iso(startedAt + 9000));
    expect(extended[1]!.summary).toContain(iso(startedAt + 13_000));
    expect(extended[0]!.at).toBeGreaterThanOrEqual(startedAt + 5000);
    expect(extended[1]!.at).toBeGreaterThanOrEqual(startedAt + 9000);
    const ended = rows.find((e) => e.key === 'trial:1:ended')!;
    expect(ended.at).toBeGreaterThanOrEqual(startedAt + 13_000);
    expect(ended.data).toMatchObject({ extensions: 2 });
    expect(ended.summary).toContain('1 open issue(s) go to final acceptance');
    const stored = await h.system.db.knex('projects').where({ id }).first();
    expect(stored.trial_extensions).toBe(2);

    // Two trial-extended mails, to the PM only, in Chinese.
    for (const period of [0, 1]) {
      const mail = await theMail(`trial-run-${id}:period-${period}:extended:${PM.email}`, PM, /^试运行延期：/);
      expect(mail.subject).toContain(contractNo);
    }
    expect(h.mails(withKey(`trial-run-${id}:`)).filter((m) => /:extended:/.test(m.idempotencyKey ?? ''))).toHaveLength(2);

    const passed = await h.step(id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN, scores: SCORES });
    expect(passed.status).toBe(200);
    expect(passed.body.stage).toBe('handover');
    expect(passed.body.qualityScore).toBe(91);
    const handover = await h.step(id, 'handover', HANDOVER);
    expect(handover.status).toBe(200);
    expect(handover.body.stage).toBe('completed');
    const done = await h.project(id);
    expect(done.stage).toBe('completed');
    expect(done.trialIssues).toEqual([expect.objectContaining({ id: 'I1', resolvedAt: null })]);
    expect(done.timeline.map((e: Json) => e.kind)).toEqual(expect.arrayContaining(['final_acceptance_passed', 'handover_completed']));
    const completed = await h.waitForMails(withKey(`project-${id}:completed:`), 2, 30_000);
    expect(completed.map((m) => m.envelope.to[0]).sort()).toEqual([PM.email, CUSTOMER_CONTACT.email].sort());
    const handle = h.system.temporal.client.workflow.getHandle(`project-${id}`);
    expect((await handle.result()).stage).toBe('completed');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  // --- 4. Failed final acceptance and warranty -------------------------------------------------------

  it('a failed final acceptance returns to trial run round 2 with the new issues; after it, a passed final acceptance writes the warranty to every device', async () => {
    const { id, serials } = await start({ policy: policy({ trialRun: 'PT6S', trialExtendBy: 'PT8S', trialReportLead: 'PT1S' }, { startsAt: 'finalAcceptance', length: 'P12M' }) });
    await toTrial(id, serials);
    await trialRunning(id);
    expect((await h.step(id, 'trial-report', { summary: 'round 1 report' })).status).toBe(200);
    await h.waitForStage(id, 'final_acceptance', 30_000);

    const failed = await h.step(id, 'final-acceptance', { passed: false, signatures: BOTH_SIGN, issues: [{ title: 'image artefacts at 150 kV' }, { title: 'dose report missing' }] });
    expect(failed.status).toBe(200);
    expect(failed.body.stage).toBe('trial_run');
    const newIssues = failed.body.issueIds;
    expect(newIssues).toEqual(['I1', 'I2']);

    // Round 2: its own child workflow, trialExtendBy long, from the failure on.
    const round2 = await trialRunning(id, 2);
    expect(ms(round2.trial.endsAt) - ms(round2.trial.startedAt)).toBe(8000);
    expect(deadline(round2, 'trial_end')).toMatchObject({ dueAt: round2.trial.endsAt, description: 'end of trial run 2' });
    expect(round2.trialIssues).toEqual([
      expect.objectContaining({ id: 'I1', title: 'image artefacts at 150 kV', round: 2, resolvedAt: null }),
      expect.objectContaining({ id: 'I2', title: 'dose report missing', round: 2, resolvedAt: null }),
    ]);
    const child = h.system.temporal.client.workflow.getHandle(`trial-run-${id}-round-2`);
    expect((await child.describe()).status.name).toBe('RUNNING');
    expect(await child.query(trialStateQuery)).toMatchObject({ round: 2, startedAt: round2.trial.startedAt, extensions: 0, status: 'running' });

    expect((await h.step(id, 'trial-report', { summary: 'round 2 report' })).status).toBe(200);
    for (const issueId of newIssues) {
      const resolved = await h.step(id, `trial-issues/${issueId}/resolve`, { resolution: 'fixed on site' });
      expect(resolved.status).toBe(200);
    }
    const atFinal = await h.waitForStage(id, 'final_acceptance', 30_000);
    expect(atFinal.trial).toMatchObject({ round: 2, extensions: 0, status: 'ended' });
    expect(atFinal.trialIssues.every((i: Json) => i.resolvedAt !== null)).toBe(true);
    expect((await child.describe()).status.name).toBe('COMPLETED');
    expect((await h.system.temporal.client.workflow.getHandle(`trial-run-${id}`).describe()).status.name).toBe('COMPLETED');

    const passed = await h.step(id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN, scores: SCORES });
    expect(passed.status).toBe(200);
    expect(passed.body.stage).toBe('handover');
    const accepted = await h.project(id);
    const finalAcceptedAt: string = accepted.milestones.finalAcceptedAt;
    expect(finalAcceptedAt).not.toBeNull();
    expect(accepted.devices).toHaveLength(serials.length);
    for (const device of accepted.devices) {
      expect(device.warrantyStartsAt).toBe(finalAcceptedAt);
      expect(device.warrantyEndsAt).toBe(plusMonths(finalAcceptedAt, 12));
    }
    const deviceRows: Json[] = await h.system.db.knex('devices').where({ project_id: id }).orderBy('id');
    expect(deviceRows.map((d) => d.serial)).toEqual(serials);
    for (const row of deviceRows) {
      expect(toDate(row.warranty_starts_at)!.toISOString()).toBe(finalAcceptedAt);
      expect(toDate(row.warranty_ends_at)!.toISOString()).toBe(plusMonths(finalAcceptedAt, 12));
    }

    const rows = await eventRows(id);
    expect(rows.filter((e) => /^(trial:\d+:(started|ended)|final-acceptance:)/.test(e.key)).map((e) => e.key)).toEqual([
      'trial:1:started',
      'trial:1:ended',
      'final-acceptance:failed:1',
      'trial:2:started',
      'trial:2:ended',
      'final-acceptance:passed',
    ]);
    expect(rows.filter((e) => e.kind === 'trial_issue_logged').map((e) => e.key)).toEqual(['trial-issue:I1', 'trial-issue:I2']);
    expect(rows.filter((e) => e.kind === 'trial_issue_resolved').map((e) => e.key)).toEqual(['trial-issue:I1:resolved', 'trial-issue:I2:resolved']);
    expect(rows.filter((e) => e.kind === 'trial_run_extended')).toEqual([]);

    expect((await h.step(id, 'handover', HANDOVER)).status).toBe(200);
    await h.waitForStage(id, 'completed', 30_000);
    // Mails: started and completed only (both reports were in time, nothing extended).
    const completed = await h.waitForMails(withKey(`project-${id}:completed:`), 2, 30_000);
    const toPm = completed.find((m) => m.envelope.to[0] === PM.email)!;
    expect(toPm.subject).toMatch(CJK);
    for (const serial of serials) expect(toPm.text).toContain(serial);
    expect(h.mails(forProject(id)).map((m) => m.idempotencyKey!.replace(/:[^:]+$/, '')).sort()).toEqual([`project-${id}:completed`, `project-${id}:completed`, `project-${id}:started`, `project-${id}:started`]);
  });

  it('warranty from the initial-acceptance date when the policy says so (P24M)', async () => {
    const { id, serials } = await start({ policy: policy({ trialRun: 'PT4S', trialReportLead: 'PT1S' }, { startsAt: 'initialAcceptance', length: 'P24M' }) });
    await toTrial(id, serials);
    await h.waitForStage(id, 'final_acceptance', 30_000);
    const passed = await h.step(id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN, scores: SCORES });
    expect(passed.status).toBe(200);
    const accepted = await h.project(id);
    const initialAcceptedAt: string = accepted.milestones.initialAcceptedAt;
    expect(initialAcceptedAt).not.toBeNull();
    expect(ms(accepted.milestones.finalAcceptedAt)).toBeGreaterThan(ms(initialAcceptedAt));
    expect(ms(initialAcceptedAt)).toBe(timelineAt(accepted, 'initial_acceptance_passed'));
    expect(accepted.devices).toHaveLength(serials.length);
    for (const device of accepted.devices) {
      expect(device.warrantyStartsAt).toBe(initialAcceptedAt);
      expect(device.warrantyEndsAt).toBe(plusMonths(initialAcceptedAt, 24));
    }
    const deviceRows: Json[] = await h.system.db.knex('devices').where({ project_id: id });
    expect(deviceRows).toHaveLength(serials.length);
    for (const row of deviceRows) {
      expect(toDate(row.warranty_starts_at)!.toISOString()).toBe(initialAcceptedAt);
      expect(toDate(row.warranty_ends_at)!.toISOString()).toBe(plusMonths(initialAcceptedAt, 24));
    }
    const passedEvent = (await eventRows(id)).find((e) => e.key === 'final-acceptance:passed')!;
    expect(passedEvent.data).toMatchObject({ passed: true });
    expect((await h.system.db.knex('projects').where({ id }).first()).quality_score).toBe(91);

    expect((await h.step(id, 'handover', HANDOVER)).status).toBe(200);
    const completed = await h.waitForMails(withKey(`project-${id}:completed:`), 2, 30_000);
    expect(completed.map((m) => m.envelope.to[0]).sort()).toEqual([PM.email, CUSTOMER_CONTACT.email].sort());
  });
});
