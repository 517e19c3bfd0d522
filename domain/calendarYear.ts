/**
 * One year of a business calendar as an admin loads it: the days off and the make-up working days
 * the State Council (or whoever publishes the calendar) announced for that year.
 */
import { isLocalDate } from './calendar';
import { words, type Words } from './words';

export interface CalendarYearData {
  /** Days off, 'YYYY-MM-DD', all in the year. */
  holidays: string[];
  /** Weekend days that are working days, 'YYYY-MM-DD', all in the year. */
  makeupWorkdays: string[];
}

export interface CalendarYearProblem {
  /** Dotted path, e.g. 'holidays.3', 'makeupWorkdays.0'. */
  field: string;
  /** In English, for logs; `words` says it in the reader's language (schedule/messages.ts). */
  message: string;
  words: Words;
}

/** Years a calendar may hold data for: wide enough for any contract, narrow enough to catch typos. */
export const FIRST_CALENDAR_YEAR = 2000;
export const LAST_CALENDAR_YEAR = 2100;

const WEEKDAY_NAMES = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** ISO weekday (1 = Monday … 7 = Sunday) of a valid local date. */
function isoWeekdayOf(date: string): number {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

/**
 * Every problem with a year's data, each naming its field: a date that is not a real date or lies in
 * another year, a date listed twice, a day both off and worked, and a make-up working day that is
 * not a weekend day of the calendar (a weekday is a working day anyway, so the entry is a mistake).
 */
export function calendarYearProblems(year: number, data: CalendarYearData, weekendDays: readonly number[]): CalendarYearProblem[] {
  const problems: CalendarYearProblem[] = [];
  if (!Number.isInteger(year) || year < FIRST_CALENDAR_YEAR || year > LAST_CALENDAR_YEAR) {
    return [{ field: 'year', message: `must be a year ${FIRST_CALENDAR_YEAR}–${LAST_CALENDAR_YEAR}, got ${year}`, words: words('calendarYear.badYear', { first: FIRST_CALENDAR_YEAR, last: LAST_CALENDAR_YEAR, year }) }];
  }
  /** The valid dates of a list, each with the index it is first listed at. */
  const validDates = (list: readonly string[], name: keyof CalendarYearData): Map<string, number> => {
    const seen = new Map<string, number>();
    list.forEach((date, i) => {
      const field = `${name}.${i}`;
      if (typeof date !== 'string' || !isLocalDate(date)) problems.push({ field, message: `'${String(date)}' is not a real date YYYY-MM-DD`, words: words('calendarYear.notADate', { date: String(date) }) });
      else if (Number(date.slice(0, 4)) !== year) problems.push({ field, message: `${date} is not in ${year}`, words: words('calendarYear.otherYear', { date, year }) });
      else if (seen.has(date)) problems.push({ field, message: `${date} is listed twice`, words: words('calendarYear.twice', { date }) });
      else seen.set(date, i);
    });
    return seen;
  };
  const holidays = validDates(data.holidays, 'holidays');
  const makeup = validDates(data.makeupWorkdays, 'makeupWorkdays');
  const weekend = new Set(weekendDays);
  data.makeupWorkdays.forEach((date, i) => {
    if (makeup.get(date) !== i) return;
    if (holidays.has(date)) problems.push({ field: `makeupWorkdays.${i}`, message: `${date} cannot be both a holiday and a make-up working day`, words: words('calendarYear.holidayAndWorkday', { date }) });
    else if (!weekend.has(isoWeekdayOf(date))) {
      const weekday = isoWeekdayOf(date);
      problems.push({ field: `makeupWorkdays.${i}`, message: `${date} is a ${WEEKDAY_NAMES[weekday]}, a working day already; a make-up working day must be a weekend day`, words: words('calendarYear.weekdayWorkday', { date, weekday: String(weekday) }) });
    }
  });
  return problems;
}
