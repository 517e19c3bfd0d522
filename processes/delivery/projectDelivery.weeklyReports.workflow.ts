/**
 * The weekly installation reports of a projectDelivery workflow (./projectDelivery.workflow.ts),
 * workflow side: while the project is installing, each report is due a policy interval after the last
 * one, with a reminder, a second reminder and an escalation; the one loop without a bound, so the
 * workflow continues as new from here when its history grows large. Workflow code, no I/O of its own.
 */
import { allHandlersFinished, condition, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createProjectActivities, RecordProjectStepInput } from './activities';
import type { ProjectStage } from './rules';
import { runLadder, type Deadlines } from '../../platform/workflowKit/deadlines';
import { escalate, notify, type NoticeOptions } from '../../platform/workflowKit/notify';
import type { ProjectDeliveryInput, ProjectState } from './messages';
import { BACKGROUND_ACTIVITY } from '../../platform/workflowKit/activityOptions';
import { words, type Words } from '../../domain/words';

const background = proxyActivities<ReturnType<typeof createProjectActivities>>(BACKGROUND_ACTIVITY);

export const INSTALLATION_STAGES: ProjectStage[] = ['installing', 'initial_acceptance'];

/** What the watch shares with the rest of the project's workflow. */
export interface WeeklyReportsContext {
  /** The workflow's input: its project manager changes when the project is reassigned. */
  input: ProjectDeliveryInput;
  /** The workflow's own state object. */
  state: ProjectState;
  deadlines: Deadlines;
  project: Record<string, unknown>;
  noticeOptions: NoticeOptions;
  entry: (eventKey: string, kind: string, said: Words) => RecordProjectStepInput;
  /** Hands the state to a fresh run (continue-as-new). */
  continueAsNewWithState: () => Promise<never>;
}

/** The watch over the weekly reports, run while the project installs. */
export function weeklyReportsWatch({ input, state, deadlines, project, noticeOptions, entry, continueAsNewWithState }: WeeklyReportsContext): () => Promise<void> {
  const { policy } = input;
  return async function watchWeeklyReports(): Promise<void> {
    const { weeklyReportEvery, weeklyReportGrace } = policy.delivery;
    while (INSTALLATION_STAGES.includes(state.stage)) {
      const seen = state.weeklyReports;
      const number = seen + 1;
      const key = `weekly-report:${number}`;
      const since = state.lastWeeklyReportAt ?? state.milestones.installingSince!;
      const reported = () => state.weeklyReports !== seen;
      const moved = () => reported() || !INSTALLATION_STAGES.includes(state.stage);
      const outcome = await runLadder(deadlines, {
        deadline: { key, kind: 'weekly_report', words: words('deadline.project.weekly_report', { number }) },
        async plan() {
          const due = await deadlines.add(since, weeklyReportEvery);
          const second = await deadlines.add(due.at, weeklyReportGrace);
          const escalation = await deadlines.add(second.at, weeklyReportGrace);
          return { due, rungs: [{ rung: 'reminder' as const, at: due.at }, { rung: 'second_reminder' as const, at: second.at }, { rung: 'escalation' as const, at: escalation.at }] };
        },
        met: moved,
        closeAs: () => (reported() ? 'met' : 'dropped'),
        async onRung(rung, due) {
          const dueAt = due.toISOString();
          if (rung === 'escalation') {
            await escalate(`${key}:escalation`, input.serviceManager, { project, missedKey: 'weekly_report', dueAt, responsibleName: input.projectManager.name }, noticeOptions);
          } else {
            await notify(`${key}:${rung}`, 'deadline-reminder', [input.projectManager], { project, taskKey: 'weekly_report', dueAt }, noticeOptions);
          }
          await background.recordProjectStep(entry(`${key}:${rung}`, `weekly_report_${rung}`, words('timeline.project.weekly_report_overdue', { number, rung })));
        },
      });
      if (outcome === 'exhausted') {
        await condition(moved);
        await deadlines.close(key, reported() ? 'met' : 'dropped');
      }
      // The only loop without a bound: hand the state to a fresh run before the history grows large.
      if (INSTALLATION_STAGES.includes(state.stage) && workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNewWithState();
      }
    }
  };
}
