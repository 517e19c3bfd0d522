/**
 * P1.6 trial run (child of projectDelivery): runs from the initial-acceptance date for `trialRun`;
 * `trialReportLead` before the end the report and final-acceptance application are due (reminder,
 * escalation if still missing at the end); open issues at the end extend it by `trialExtendBy`, at
 * most `trialMaxExtensions` times.
 */
import { condition, getExternalWorkflowHandle, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { trialEndDecision } from '../domain/delivery';
import { addDuration, subtractDuration } from '../domain/duration';
import { escalate, msUntil, notify, projectRef } from './notify';
import {
  trialIssuesChangedSignal,
  trialProgressSignal,
  trialReportSubmittedSignal,
  trialStateQuery,
  type TrialRunInput,
  type TrialRunResult,
} from './projectDelivery.messages';

const { recordProjectEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function trialRun(input: TrialRunInput): Promise<TrialRunResult> {
  const { delivery } = input.policy;
  const calendar = input.policy.calendar;
  const timeZone = input.timeZone;
  let openIssues = input.openIssues;
  let reportSubmittedAt: string | undefined;
  let extensions = 0;
  let endsAt = addDuration(new Date(input.startsAt), delivery[input.length], calendar);
  let status: 'running' | 'ended' = 'running';

  setHandler(trialIssuesChangedSignal, ({ open }) => void (openIssues = open));
  setHandler(trialReportSubmittedSignal, ({ at }) => void (reportSubmittedAt = at));
  setHandler(trialStateQuery, () => ({ round: input.round, startedAt: input.startsAt, endsAt: endsAt.toISOString(), extensions, reportSubmittedAt, status }));

  const parentId = workflowInfo().parent?.workflowId;
  const project = projectRef({ contractNo: input.contractNo, name: input.projectName, customerName: input.customerName });
  const noticeOptions = { timeZone, actionPath: `/projects/${input.projectId}`, record: { type: 'project' as const, id: input.projectId } };

  async function record(key: string, kind: string, summary: string, data?: unknown, patch: Record<string, unknown> = {}): Promise<void> {
    await recordProjectEvent({ projectId: input.projectId, eventKey: `trial:${input.round}:${key}`, kind, at: new Date().toISOString(), summary, data, patch });
  }

  for (;;) {
    const period = `${extensions}`;
    const reportDue = subtractDuration(endsAt, delivery.trialReportLead, calendar);
    if (parentId) {
      await getExternalWorkflowHandle(parentId).signal(trialProgressSignal, { round: input.round, endsAt: endsAt.toISOString(), reportDueAt: reportDue.toISOString(), extensions });
    }

    if (!(await condition(() => reportSubmittedAt !== undefined, msUntil(reportDue)))) {
      await notify(`period-${period}:report-reminder`, 'deadline-reminder', [input.projectManager], { project, taskKey: 'trial_report', dueAt: reportDue.toISOString() }, noticeOptions);
      await record(`${period}:report-reminder`, 'trial_report_reminder', `trial-run report due ${reportDue.toISOString()}: reminder sent`);
    }
    await sleep(msUntil(endsAt));
    if (reportSubmittedAt === undefined) {
      await escalate(`period-${period}:report-escalation`, input.serviceManager, { project, missedKey: 'trial_report', dueAt: reportDue.toISOString(), responsibleName: input.projectManager.name }, noticeOptions);
      await record(`${period}:report-escalation`, 'trial_report_escalation', 'trial-run report missing at the end of the trial: escalated');
    }

    if (trialEndDecision(openIssues, extensions, delivery.trialMaxExtensions) === 'final_acceptance') break;
    extensions += 1;
    endsAt = addDuration(endsAt, delivery.trialExtendBy, calendar);
    // The final-acceptance application is made afresh for the new end.
    reportSubmittedAt = undefined;
    await notify(`period-${period}:extended`, 'trial-extended', [input.projectManager], { project, openIssues, extensions, maxExtensions: delivery.trialMaxExtensions, endsAt: endsAt.toISOString() }, noticeOptions);
    await record(`${period}:extended`, 'trial_run_extended', `${openIssues} open issue(s): trial run extended (${extensions}/${delivery.trialMaxExtensions}) to ${endsAt.toISOString()}`, { openIssues, extensions }, { trialEndsAt: endsAt.toISOString(), trialExtensions: extensions });
  }

  status = 'ended';
  return { endedAt: new Date().toISOString(), extensions, reportSubmitted: reportSubmittedAt !== undefined };
}
