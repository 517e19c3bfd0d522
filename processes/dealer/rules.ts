/**
 * Dealer warranty (三包, PRODUCT §P5): what the sub-processes' pure rules share. Dates a dealer
 * writes on paper (sale, repair, card) are local dates `YYYY-MM-DD` counted in calendar days; money
 * is integer minor units (domain/money.ts). Each sub-process's own rules are in its folder:
 * `sales/rules.ts` (cards), `claims/rules.ts` (checks, decisions, the claim's state machine),
 * `settlement/rules.ts` (periods, the statement's state machine), `tasks/rules.ts`, `partsPlans/rules.ts`.
 */
import { DateTime, Duration as LuxonDuration } from 'luxon';
import { addDuration, durationLabel, type Duration } from '../../domain/duration';
import type { BusinessCalendar } from '../../domain/calendar';

// ---------------------------------------------------------------------------------------------
// Local dates

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function localDate(text: string, field = 'date'): DateTime {
  const parsed = LOCAL_DATE.test(text) ? DateTime.fromISO(text, { zone: 'UTC' }) : null;
  if (!parsed || !parsed.isValid) throw new RangeError(`${field} must be a date YYYY-MM-DD, got '${text}'`);
  return parsed;
}

export const isoDate = (value: DateTime): string => value.toISODate()!;

/** Calendar-day durations only: a dealer's paper deadlines are counted in days, not working days. */
export function calendarDuration(duration: Duration, field: string): LuxonDuration {
  if (typeof duration !== 'string') throw new RangeError(`${field} must be an ISO-8601 duration in calendar days or months for dealer dates`);
  const parsed = LuxonDuration.fromISO(duration);
  if (!parsed.isValid) throw new RangeError(`${field} must be an ISO-8601 duration, got '${duration}'`);
  return parsed;
}

/**
 * An instant a dealer deadline falls due, `duration` after `from`. An ISO duration counts in UTC
 * calendar arithmetic (P30D is thirty days later, to the second); working days end at the close of
 * the n-th working day on the business calendar, as every process's working-day deadline does
 * (domain/duration.ts `addDuration`). Working days need the calendar; without it this throws.
 */
export function dealerDeadlineAt(from: Date, duration: Duration, calendar: BusinessCalendar | null, field: string): Date {
  if (typeof duration === 'string') return DateTime.fromJSDate(from, { zone: 'UTC' }).plus(calendarDuration(duration, field)).toJSDate();
  if (!calendar) throw new RangeError(`${field}: working days are counted on the business calendar, and none was given`);
  return addDuration(from, duration, calendar);
}

/** A duration as a record's reason shows it: the ISO text as written, or '5 working days'. */
export const durationText = (duration: Duration): string => (typeof duration === 'string' ? duration : durationLabel(duration, 'en'));

export function addToLocalDate(date: string, duration: Duration, field = 'duration'): string {
  return isoDate(localDate(date).plus(calendarDuration(duration, field)));
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round(localDate(to).diff(localDate(from), 'days').days);
}

// ---------------------------------------------------------------------------------------------
// Timers: the instants the dealer processes wait for

/** Workflow ids of the dealer processes; the deadline rows they keep are keyed by them too. */
export const warrantyCardWorkflowId = (saleId: number): string => `warranty-card-${saleId}`;
export const dealerTaskWorkflowId = (taskId: number): string => `dealer-task-${taskId}`;
export const dealerClaimWorkflowId = (claimId: number): string => `dealer-claim-${claimId}`;
export const settlementConfirmWorkflowId = (settlementId: number): string => `settlement-${settlementId}-confirm`;
/** Each review sends the statement again with its own confirmation due time: one deadline row per review. */
export const settlementConfirmKey = (dueAt: Date): string => `settlement_confirm:${dueAt.toISOString()}`;

/** True when an ISO-8601 duration counts hours, minutes or seconds rather than whole days. */
export function hasTimePart(duration: Duration): boolean {
  return typeof duration === 'string' && /T/.test(duration);
}

/** The instant a local date's day begins in `timeZone`. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  return localDate(date).setZone(timeZone, { keepLocalTime: true }).startOf('day').toJSDate();
}

/** The instant a local date's day ends in `timeZone`: a deadline "by 30 June" is met until midnight. */
export function endOfLocalDay(date: string, timeZone: string): Date {
  return localDate(date).setZone(timeZone, { keepLocalTime: true }).startOf('day').plus({ days: 1 }).toJSDate();
}

/** The parts plan of one dealer and season is chased by one process, keyed by the plan's record. */
export const partsPlanWorkflowId = (planId: number): string => `parts-plan-${planId}`;
