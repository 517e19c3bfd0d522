/**
 * Policy durations: ISO-8601 strings, or counts of working days on a business calendar.
 * Pure functions; the instant to start from is always an argument.
 */
import type { Locale } from './locale';
import { Duration as IsoDuration } from 'luxon';
import { addWorkingDays, endOfWorkingDay, inZone, localDate, startOfLocalDay, type BusinessCalendar } from './calendar';
import { DomainError } from './errors';

export type Duration = string | { workingDays: number };

/** Units whose length depends on the calendar; a fraction of one (half of February?) means nothing. */
const CALENDAR_UNITS = ['years', 'quarters', 'months', 'weeks', 'days'] as const;

/** True for an ISO-8601 duration with at least one component: PT4H, P3M, P1Y2M, P2W, P1DT12H, PT0.5S. */
export function isIsoDuration(text: string): boolean {
  // luxon also accepts 'P', 'PT' and a dangling 'P1DT'; ISO does not.
  if (typeof text !== 'string' || text.endsWith('T')) return false;
  const parsed = IsoDuration.fromISO(text);
  if (!parsed.isValid) return false;
  const parts = parsed.toObject();
  if (Object.keys(parts).length === 0) return false;
  return CALENDAR_UNITS.every((unit) => Number.isInteger(parts[unit] ?? 0));
}

export function parseIsoDuration(text: string): IsoDuration {
  if (!isIsoDuration(text)) {
    throw new DomainError(`'${String(text)}' is not an ISO-8601 duration (e.g. PT4H, P3M, P15D)`, 'duration');
  }
  return IsoDuration.fromISO(text);
}

/** True when the duration is well-formed and moves time forward (no zero, no negative part). */
export function isPositiveDuration(duration: Duration): boolean {
  if (typeof duration === 'string') {
    if (!isIsoDuration(duration)) return false;
    const values = Object.values(IsoDuration.fromISO(duration).toObject());
    return values.every((v) => v >= 0) && values.some((v) => v > 0);
  }
  return typeof duration === 'object' && duration !== null && Number.isInteger(duration.workingDays) && duration.workingDays > 0;
}

/**
 * `start` + `duration`. ISO durations use calendar arithmetic in cal.timeZone: P1M from 01-31 is
 * 02-28, P1D keeps the local time across DST, PT24H is 24 elapsed hours. Working days end at the
 * close (local midnight) of the n-th working day after start's local date.
 */
export function addDuration(start: Date, duration: Duration, calendar: BusinessCalendar): Date {
  if (typeof duration === 'string') return inZone(start, calendar.timeZone).plus(parseIsoDuration(duration)).toJSDate();
  // A deadline at exactly local midnight closes the day before (as endOfWorkingDay returns it), so a
  // grace added to it counts from that day, not from the next one.
  const local = inZone(start, calendar.timeZone);
  const from = local.equals(local.startOf('day')) ? new Date(start.getTime() - 1) : start;
  return endOfWorkingDay(from, duration.workingDays, calendar);
}

/**
 * Lead time before a deadline. ISO: `end` − duration in cal.timeZone. Working days: the start of
 * the working day that lies n working days before the due day. The due day is the local day the
 * deadline falls in; a deadline at exactly local midnight (as endOfWorkingDay returns) closes the
 * day before, so that day is the due day.
 */
export function subtractDuration(end: Date, duration: Duration, calendar: BusinessCalendar): Date {
  if (typeof duration === 'string') return inZone(end, calendar.timeZone).minus(parseIsoDuration(duration)).toJSDate();
  const dueDay = localDate(new Date(inZone(end, calendar.timeZone).toMillis() - 1), calendar.timeZone);
  return startOfLocalDay(addWorkingDays(dueDay, -duration.workingDays, calendar), calendar.timeZone);
}


const UNIT_LABELS: ReadonlyArray<readonly [unit: keyof ReturnType<IsoDuration['toObject']>, en: string, zh: string]> = [
  ['years', 'year', '年'],
  ['quarters', 'quarter', '个季度'],
  ['months', 'month', '个月'],
  ['weeks', 'week', '周'],
  ['days', 'day', '天'],
  ['hours', 'hour', '小时'],
  ['minutes', 'minute', '分钟'],
  ['seconds', 'second', '秒'],
  ['milliseconds', 'millisecond', '毫秒'],
];

function unitLabel(value: number, en: string, zh: string, locale: Locale): string {
  return locale === 'zh-CN' ? `${value}${zh}` : `${value} ${en}${Math.abs(value) === 1 ? '' : 's'}`;
}

/** Human text for notices: "3 months" / "3个月", "15 working days" / "15个工作日", "1 day 12 hours" / "1天12小时". */
export function durationLabel(duration: Duration, locale: Locale): string {
  if (typeof duration !== 'string') return unitLabel(duration.workingDays, 'working day', '个工作日', locale);
  const parts = parseIsoDuration(duration).toObject();
  const present = UNIT_LABELS.filter(([unit]) => parts[unit] !== undefined);
  // 'PT0.5S' parses as 0 s + 500 ms: show the non-zero parts, or the last one if all are zero.
  const shown = present.filter(([unit]) => parts[unit] !== 0);
  const labels = (shown.length > 0 ? shown : present.slice(-1)).map(([unit, en, zh]) => unitLabel(parts[unit] ?? 0, en, zh, locale));
  return labels.join(locale === 'zh-CN' ? '' : ' ');
}
