/**
 * The activities the deadline kit calls, as the kit needs them: the schedule feature implements them
 * (schedule/calendars/activities.ts, schedule/deadlines/activities.ts), so the kit names no feature.
 */
import type { Duration } from '../../domain/duration';
import type { Words } from '../../domain/words';

export interface DeadlineRequest {
  /** ISO instant the duration counts from (op 'add') or back from (op 'subtract'). */
  from: string;
  op: 'add' | 'subtract';
  duration: Duration;
}

export interface ComputeDeadlinesInput {
  /** The calendar's key, as the policy names it ('cn'). */
  calendar: string;
  items: DeadlineRequest[];
}

export interface ComputedDeadline {
  /** ISO instant. */
  at: string;
  /** True when working days were counted in a year the calendar has no data for (weekends only there). */
  provisional: boolean;
  /** Those years; empty when not provisional. */
  missingYears: number[];
}

export interface DeadlineRef {
  workflowId: string;
  key: string;
}

export interface OpenDeadlineInput extends DeadlineRef {
  record: { type: string; id: number };
  kind: string;
  /** What the deadline is, as words; `description` is what workflows sent before they recorded words (histories replay it). */
  words?: Words;
  description?: string;
  dueAt: string;
  provisional: boolean;
}

export type DeadlineClosing = 'met' | 'moved' | 'dropped';

export interface DeadlineActivities {
  computeDeadlines(input: ComputeDeadlinesInput): Promise<ComputedDeadline[]>;
  openDeadline(input: OpenDeadlineInput): Promise<void>;
  markDeadlineRung(input: DeadlineRef & { rung: string }): Promise<void>;
  closeDeadline(input: DeadlineRef & { status: DeadlineClosing }): Promise<void>;
  closeAllDeadlines(input: { workflowId: string; status: DeadlineClosing }): Promise<void>;
}
