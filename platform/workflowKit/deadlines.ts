/**
 * Deadlines the way every process keeps them:
 * - computed by the calendar store (a local activity), so holidays are reference data and an admin's
 *   correction moves pending deadlines of running processes (calendarChangedSignal);
 * - each one a row in `deadlines` (opened when set, closed when met, moved or dropped) that pages and
 *   work queues read;
 * - chased by one ladder: due → reminder → second reminder → escalation, each rung a time of its own,
 *   with an optional pause (a ticket waiting for the customer).
 */
import type { Words } from '../../domain/words';
import { condition, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { DeadlineActivities as Activities, DeadlineRequest } from './deadlineActivities';
import type { Duration } from '../../domain/duration';
import { calendarChangedSignal } from './messages';
import { BACKGROUND_ACTIVITY } from './activityOptions';

const { computeDeadlines } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const { openDeadline, closeDeadline, closeAllDeadlines, markDeadlineRung } = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

export interface ComputedTime {
  at: Date;
  /** Computed in a year the calendar has no data for: weekends only, until the year is loaded. */
  provisional: boolean;
}

/** A deadline to open: its key in the process, its kind, and what it is as words (said in each reader's language). */
export interface DeadlineInfo {
  key: string;
  kind: string;
  words: Words;
}

/** Milliseconds from workflow time until `at`; at least 1 so a past deadline fires at once. */
export function msUntil(at: Date): number {
  return Math.max(1, at.getTime() - Date.now());
}

export class Deadlines {
  /** Moves whenever an admin changes this process's calendar. */
  calendarVersion = 0;
  private readonly workflowId = workflowInfo().workflowId;

  constructor(
    private readonly calendar: string,
    private readonly record: { type: string; id: number },
  ) {
    setHandler(calendarChangedSignal, ({ calendar: changed }) => {
      if (changed === this.calendar) this.calendarVersion += 1;
    });
  }

  async compute(items: DeadlineRequest[]): Promise<ComputedTime[]> {
    if (items.length === 0) return [];
    const results = await computeDeadlines({ calendar: this.calendar, items });
    return results.map((r) => ({ at: new Date(r.at), provisional: r.provisional }));
  }

  async add(from: Date | string, duration: Duration): Promise<ComputedTime> {
    return (await this.compute([{ from: new Date(from).toISOString(), op: 'add', duration }]))[0]!;
  }

  async subtract(from: Date | string, duration: Duration): Promise<ComputedTime> {
    return (await this.compute([{ from: new Date(from).toISOString(), op: 'subtract', duration }]))[0]!;
  }

  async open(info: DeadlineInfo, due: ComputedTime): Promise<void> {
    await openDeadline({ workflowId: this.workflowId, key: info.key, record: this.record, kind: info.kind, words: info.words, dueAt: due.at.toISOString(), provisional: due.provisional });
  }

  async close(key: string, status: 'met' | 'moved' | 'dropped'): Promise<void> {
    await closeDeadline({ workflowId: this.workflowId, key, status });
  }

  async closeAll(status: 'met' | 'moved' | 'dropped'): Promise<void> {
    await closeAllDeadlines({ workflowId: this.workflowId, status });
  }

  async markRung(key: string, rung: string): Promise<void> {
    await markDeadlineRung({ workflowId: this.workflowId, key, rung });
  }
}

export interface LadderPlan<R extends string> {
  /** The due time shown on the record. */
  due: ComputedTime;
  /** The rungs in order, each with its time. */
  rungs: { rung: R; at: Date }[];
}

export interface LadderSpec<R extends string> {
  deadline: DeadlineInfo;
  /** Computes the plan; called again when the calendar changes. */
  plan(): Promise<LadderPlan<R>>;
  /** True once the awaited thing happened (or stopped being awaited). */
  met(): boolean;
  /** How the row closes once met() is true: 'met' unless told otherwise (the stage moved on without it). */
  closeAs?(): 'met' | 'dropped';
  /** While true the clock stands still and every rung moves later by the time paused. */
  paused?(): boolean;
  /** A rung is reached: remind, escalate, or (last rung) act. */
  onRung(rung: R, due: Date): Promise<void>;
}

/**
 * Chases one deadline up its ladder. Answers 'met' (the row is closed as met) or 'exhausted' after the
 * last rung fired (the row stays open, overdue, until the caller closes it).
 */
export async function runLadder<R extends string>(deadlines: Deadlines, spec: LadderSpec<R>): Promise<'met' | 'exhausted'> {
  let version = -1;
  let plan: LadderPlan<R> | undefined;
  let next = 0;
  let pausedMs = 0;
  for (;;) {
    if (spec.met()) {
      await deadlines.close(spec.deadline.key, spec.closeAs?.() ?? 'met');
      return 'met';
    }
    if (version !== deadlines.calendarVersion || !plan) {
      version = deadlines.calendarVersion;
      plan = await spec.plan();
      await deadlines.open(spec.deadline, { at: new Date(plan.due.at.getTime() + pausedMs), provisional: plan.due.provisional });
      continue;
    }
    if (next >= plan.rungs.length) return 'exhausted';
    const calendarMoved = () => version !== deadlines.calendarVersion;
    if (spec.paused?.()) {
      const since = Date.now();
      await condition(() => !spec.paused!() || spec.met() || calendarMoved());
      pausedMs += Date.now() - since;
      await deadlines.open(spec.deadline, { at: new Date(plan.due.at.getTime() + pausedMs), provisional: plan.due.provisional });
      continue;
    }
    const rung = plan.rungs[next]!;
    const woke = await condition(() => spec.met() || calendarMoved() || (spec.paused?.() ?? false), msUntil(new Date(rung.at.getTime() + pausedMs)));
    if (woke) continue;
    await spec.onRung(rung.rung, new Date(plan.due.at.getTime() + pausedMs));
    await deadlines.markRung(spec.deadline.key, rung.rung);
    next += 1;
  }
}
