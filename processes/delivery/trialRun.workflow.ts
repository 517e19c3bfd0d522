/**
 * P1.6 trial run (child of projectDelivery): runs from the initial-acceptance date for `trialRun`;
 * `trialReportLead` before the end the report and final-acceptance application are due (reminder,
 * escalation if still missing at the end); open issues at the end extend it by `trialExtendBy`, at
 * most `trialMaxExtensions` times.
 */
import { CancellationScope, condition, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createProjectActivities } from './activities';
import { trialEndDecision } from './rules';
import type { Duration } from '../../domain/duration';
import { Deadlines, msUntil, runLadder, type ComputedTime } from '../../platform/workflowKit/deadlines';
import { projectManagerChangedSignal } from '../../platform/workflowKit/messages';
import { escalate, notify, projectRef } from '../../platform/workflowKit/notify';
import { trialIssuesChangedSignal, trialReportSubmittedSignal, trialStateQuery, type TrialRunInput, type TrialRunResult } from './messages';
import { BACKGROUND_ACTIVITY } from '../../platform/workflowKit/activityOptions';
import { words, type Words } from '../../domain/words';

type Activities = ReturnType<typeof createProjectActivities>;

const { recordProjectStep } = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

export async function trialRun(input: TrialRunInput): Promise<TrialRunResult> {
  const { delivery } = input.policy;
  const deadlines = new Deadlines(input.policy.calendar, { type: 'project', id: input.projectId });
  let openIssues = input.openIssues;
  let reportSubmittedAt: string | undefined;
  let extensions = 0;
  let periodStart = input.startsAt;
  let periodLength: Duration = delivery[input.length];
  let endsAt: ComputedTime = await deadlines.add(periodStart, periodLength);
  let status: 'running' | 'ended' = 'running';

  setHandler(projectManagerChangedSignal, (manager) => void (input.projectManager = manager));
  setHandler(trialIssuesChangedSignal, ({ open }) => void (openIssues = open));
  setHandler(trialReportSubmittedSignal, ({ at }) => void (reportSubmittedAt = at));
  setHandler(trialStateQuery, () => ({ round: input.round, startedAt: input.startsAt, endsAt: endsAt.at.toISOString(), extensions, reportSubmittedAt, status }));

  const project = projectRef({ contractNo: input.contractNo, name: input.projectName, customerName: input.customerName });
  const noticeOptions = { timeZone: input.timeZone, actionPath: `/projects/${input.projectId}`, record: { type: 'project' as const, id: input.projectId } };

  async function record(key: string, kind: string, said: Words, data?: unknown, patch: Record<string, unknown> = {}): Promise<void> {
    await recordProjectStep({ projectId: input.projectId, eventKey: `trial:${input.round}:${key}`, kind, at: new Date().toISOString(), words: said, data, patch });
  }

  async function run(): Promise<void> {
    for (;;) {
      const period = `${extensions}`;
      const endKey = `trial:${input.round}:end:${period}`;
      const endInfo = { key: endKey, kind: 'trial_end', words: words('deadline.project.trial_end', { round: input.round }) };
      const reportKey = `trial:${input.round}:report:${period}`;

      const outcome = await runLadder(deadlines, {
        deadline: { key: reportKey, kind: 'trial_report', words: words('deadline.project.trial_report', { round: input.round }) },
        async plan() {
          // The end moves with the calendar too (a trial measured in working days).
          endsAt = await deadlines.add(periodStart, periodLength);
          await deadlines.open(endInfo, endsAt);
          const due = await deadlines.subtract(endsAt.at, delivery.trialReportLead);
          return { due, rungs: [{ rung: 'reminder' as const, at: due.at }, { rung: 'escalation' as const, at: endsAt.at }] };
        },
        met: () => reportSubmittedAt !== undefined,
        async onRung(rung, due) {
          const dueAt = due.toISOString();
          if (rung === 'reminder') {
            await notify(`period-${period}:report-reminder`, 'deadline-reminder', [input.projectManager], { project, taskKey: 'trial_report', dueAt }, noticeOptions);
            await record(`${period}:report-reminder`, 'trial_report_reminder', words('timeline.project.trial_report_reminder', { dueAt }));
          } else {
            await escalate(`period-${period}:report-escalation`, input.serviceManager, { project, missedKey: 'trial_report', dueAt, responsibleName: input.projectManager.name }, noticeOptions);
            await record(`${period}:report-escalation`, 'trial_report_escalation', words('timeline.project.trial_report_escalation'));
          }
        },
      });

      // The trial lasts to its end whether or not the report came early; a calendar change may move it.
      for (;;) {
        const version = deadlines.calendarVersion;
        if (!(await condition(() => deadlines.calendarVersion !== version, msUntil(endsAt.at)))) break;
        endsAt = await deadlines.add(periodStart, periodLength);
        await deadlines.open(endInfo, endsAt);
      }
      await deadlines.close(endKey, 'met');
      if (outcome === 'exhausted') await deadlines.close(reportKey, 'dropped');

      if (trialEndDecision(openIssues, extensions, delivery.trialMaxExtensions) === 'final_acceptance') break;
      extensions += 1;
      periodStart = endsAt.at.toISOString();
      periodLength = delivery.trialExtendBy;
      endsAt = await deadlines.add(periodStart, periodLength);
      // The final-acceptance application is made afresh for the new end.
      reportSubmittedAt = undefined;
      const newEnd = endsAt.at.toISOString();
      await notify(`period-${period}:extended`, 'trial-extended', [input.projectManager], { project, openIssues, extensions, maxExtensions: delivery.trialMaxExtensions, endsAt: newEnd }, noticeOptions);
      await record(`${period}:extended`, 'trial_run_extended', words('timeline.project.trial_run_extended', { open: openIssues, extensions, max: delivery.trialMaxExtensions, endsAt: newEnd }), { openIssues, extensions }, { trialEndsAt: newEnd, trialExtensions: extensions });
    }
  }

  try {
    await run();
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelled with its project: nothing of this trial is pending any more.
    await CancellationScope.nonCancellable(() => deadlines.closeAll('dropped'));
    throw error;
  }
  status = 'ended';
  return { endedAt: new Date().toISOString(), extensions, reportSubmitted: reportSubmittedAt !== undefined };
}
