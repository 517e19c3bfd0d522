/** The trial run as a page shows it, from the records alone (the project row and its timeline). */
import type { Project, ProjectEvent } from '../repository';

export interface TrialView {
  round: number;
  startedAt: string | null;
  endsAt: string | null;
  extensions: number;
  status: 'running' | 'ended';
  /** The report for the current period, if one came (an extension asks for a new one). */
  reportSubmittedAt?: string;
}

const STARTED = /^trial:(\d+):started$/;

export function trialView(project: Project, timeline: ProjectEvent[]): TrialView | null {
  if (!project.trialStartedAt) return null;
  // Insertion order, not `at`: a back-dated report still counts for the period it was filed in.
  const events = [...timeline].sort((a, b) => a.id - b.id);
  const rounds = events.map((e) => STARTED.exec(e.eventKey)).filter((m) => m !== null).map((m) => Number(m[1]));
  const round = rounds.length > 0 ? Math.max(...rounds) : 1;
  const ended = project.stage === 'cancelled' || events.some((e) => e.eventKey === `trial:${round}:ended`);
  const periodStart = events.reduce((last, e, i) => (e.eventKey === `trial:${round}:started` || (e.kind === 'trial_run_extended' && e.eventKey.startsWith(`trial:${round}:`)) ? i : last), -1);
  const report = events.slice(periodStart + 1).filter((e) => e.kind === 'trial_report_submitted').pop();
  return {
    round,
    startedAt: project.trialStartedAt.toISOString(),
    endsAt: project.trialEndsAt?.toISOString() ?? null,
    extensions: project.trialExtensions,
    status: ended ? 'ended' : 'running',
    ...(report ? { reportSubmittedAt: report.at.toISOString() } : {}),
  };
}
