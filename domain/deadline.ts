/**
 * Deadlines that know how sure they are. A working-day count that crosses a year whose holidays
 * are not loaded yet counts weekends only there (the State Council publishes each year's holidays
 * in November), so the result is provisional until that year is loaded and it is recomputed.
 */
import { hasDataFor, localDate, type BusinessCalendar } from './calendar';
import { addDuration, subtractDuration, type Duration } from './duration';
import { DomainError } from './errors';

export type DeadlineOp = 'add' | 'subtract';

export interface Deadline {
  at: Date;
  /** True when a working day in a year without calendar data was counted (as a plain weekday). */
  provisional: boolean;
  /** Those years, ascending; empty when not provisional. */
  missingYears: number[];
}

const yearOf = (date: string): number => Number(date.slice(0, 4));

/** The local day after `date`'s, only as far as its year matters. */
const yearOfNextDay = (date: string): number => (date.endsWith('-12-31') ? yearOf(date) + 1 : yearOf(date));
const yearOfPreviousDay = (date: string): number => (date.endsWith('-01-01') ? yearOf(date) - 1 : yearOf(date));

/** The local day an instant closes: a deadline at exactly local midnight belongs to the day before. */
function closingDay(instant: Date, timeZone: string): string {
  return localDate(new Date(instant.getTime() - 1), timeZone);
}

function missingYearsIn(firstYear: number, lastYear: number, calendar: BusinessCalendar): number[] {
  const missing: number[] = [];
  for (let year = firstYear; year <= lastYear; year += 1) if (!hasDataFor(calendar, year)) missing.push(year);
  return missing;
}

/** First and last year of the days counted, given the two end days (`start`: from's, `result`: at's). */
function countedYears(op: DeadlineOp, positive: boolean, start: string, result: string): [number, number] {
  if (op === 'add') return positive ? [yearOfNextDay(start), yearOf(result)] : [yearOf(result), yearOfPreviousDay(start)];
  return positive ? [yearOf(result), yearOfPreviousDay(start)] : [yearOfNextDay(start), yearOf(result)];
}

/**
 * `from` + duration (op 'add') or `from` − duration (op 'subtract', a lead time before a deadline),
 * exactly as addDuration / subtractDuration compute it, and whether it rests on a year the calendar
 * has no data for. ISO durations (P3M, PT4H) never consult working days and are never provisional.
 */
export function dueAt(from: Date, duration: Duration, calendar: BusinessCalendar, op: DeadlineOp): Deadline {
  if (op !== 'add' && op !== 'subtract') throw new DomainError(`op must be 'add' or 'subtract', got '${String(op)}'`, 'op');
  const at = op === 'add' ? addDuration(from, duration, calendar) : subtractDuration(from, duration, calendar);
  if (typeof duration === 'string' || duration.workingDays === 0) return { at, provisional: false, missingYears: [] };

  // The local days counted run from the day after the start's closing day to the due day ('add'),
  // or from the result's day to the day before the due day ('subtract'); a negative count walks back.
  const { timeZone } = calendar;
  const [firstYear, lastYear] = countedYears(op, duration.workingDays > 0, closingDay(from, timeZone), op === 'add' ? closingDay(at, timeZone) : localDate(at, timeZone));
  const missingYears = missingYearsIn(firstYear, lastYear, calendar);
  return { at, provisional: missingYears.length > 0, missingYears };
}
