/**
 * Business calendars and SLA clocks. Pure: every function is given the instant it works from,
 * so workflow code can call it deterministically.
 *
 * Local dates are 'YYYY-MM-DD' strings. Day arithmetic on them is plain civil-day counting
 * (no time zone involved); time zones only matter when converting to and from instants.
 */
import { DateTime, IANAZone } from 'luxon';
import { CALENDAR_REGISTRY } from './calendars';
import { DomainError } from './errors';

export interface BusinessCalendar {
  id: string;
  timeZone: string;
  /** ISO weekdays that are days off: 1 = Monday … 7 = Sunday. */
  weekendDays: number[];
  /** Days off, 'YYYY-MM-DD'. A holiday wins over a weekday (and over a contradicting make-up day). */
  holidays: string[];
  /** Weekend days that are working days, 'YYYY-MM-DD'. A make-up day wins over the weekend. */
  makeupWorkdays: string[];
  /**
   * The years whose holidays and make-up days are loaded (from the calendar store). A day in any
   * other year counts weekends only, and a deadline that consults it is provisional (see dueAt).
   * Absent for a calendar without yearly data (weekends only by design), whose every year is complete.
   */
  years?: number[];
}

export type SlaClock =
  | { kind: '24x7' }
  | { kind: 'businessHours'; start: string /* 'HH:mm' */; end: string /* 'HH:mm', '24:00' allowed */ };

const DAY_MS = 86_400_000;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A calendar with no working day for longer than this is broken; stop instead of looping forever. */
const MAX_DAYS_WITHOUT_WORK = 366;

// ---------------------------------------------------------------------------------------------
// Local dates

/** Days since 1970-01-01 of a local date. */
function dayNumber(date: string, field = 'date'): number {
  const day = LOCAL_DATE.test(date) ? Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10)) / DAY_MS : NaN;
  // Date.UTC silently rolls 2026-02-30 into March, so a round trip is the validity check.
  if (Number.isNaN(day) || dateOf(day) !== date) {
    throw new DomainError(`'${date}' is not a calendar date of the form YYYY-MM-DD`, field);
  }
  return day;
}

function dateOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** ISO weekday (1 = Monday … 7 = Sunday); day 0, 1970-01-01, was a Thursday. */
function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

export function isLocalDate(text: string): boolean {
  try {
    dayNumber(text);
    return true;
  } catch {
    return false;
  }
}

/** Zone validity by name; checking builds an Intl formatter, too slow to repeat per day. */
const zoneValidity = new Map<string, boolean>();

/**
 * The one time-zone check (API fields, the policy, notices, calendars): an IANA zone name that both
 * luxon (which computes deadlines) and Intl (which renders dates in notices and pages) know.
 * 'Asia/Shanghai' and 'UTC' are zones; '', ' Asia/Shanghai' and 'Mars/Base' are not.
 */
export function isTimeZone(text: unknown): text is string {
  if (typeof text !== 'string' || text.length === 0) return false;
  let valid = zoneValidity.get(text);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(text) && intlFormatsIn(text);
    zoneValidity.set(text, valid);
  }
  return valid;
}

function intlFormatsIn(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone }).format(0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Instants <-> local time (internal helpers shared with duration.ts; not re-exported by index.ts)

/** `instant` seen in `timeZone`; throws DomainError on an invalid instant or unknown zone. */
export function inZone(instant: Date, timeZone: string): DateTime {
  if (Number.isNaN(instant.getTime())) throw new DomainError('not a valid instant', 'instant');
  if (!isTimeZone(timeZone)) throw new DomainError(`unknown time zone '${timeZone}'`, 'calendar.timeZone');
  return DateTime.fromJSDate(instant, { zone: timeZone });
}

/** The instant a local date begins in `timeZone` (the first existing minute if midnight is skipped by DST). */
export function startOfLocalDay(date: string, timeZone: string): Date {
  if (!isTimeZone(timeZone)) throw new DomainError(`unknown time zone '${timeZone}'`, 'calendar.timeZone');
  return localInstant(dayNumber(date), 0, timeZone);
}

/** The instant of minute `minuteOfDay` (0 … 1440) of a local day; 1440 is the next midnight. Zone already checked. */
function localInstant(day: number, minuteOfDay: number, timeZone: string): Date {
  const date = dateOf(day + Math.floor(minuteOfDay / 1440));
  const minute = minuteOfDay % 1440;
  return DateTime.fromObject(
    { year: +date.slice(0, 4), month: +date.slice(5, 7), day: +date.slice(8, 10), hour: Math.floor(minute / 60), minute: minute % 60 },
    { zone: timeZone },
  ).toJSDate();
}

export function localDate(instant: Date, timeZone: string): string {
  return inZone(instant, timeZone).toFormat('yyyy-MM-dd');
}

// ---------------------------------------------------------------------------------------------
// Working days

/** A predicate over day numbers; the lookup sets are built once per call of the public function. */
function workingDayTest(cal: BusinessCalendar): (day: number) => boolean {
  const weekend = new Set(cal.weekendDays);
  const holidays = new Set(cal.holidays);
  const makeup = new Set(cal.makeupWorkdays);
  return (day) => {
    const date = dateOf(day);
    if (holidays.has(date)) return false;
    if (makeup.has(date)) return true;
    return !weekend.has(isoWeekday(day));
  };
}

export function isWorkingDay(date: string, cal: BusinessCalendar): boolean {
  return workingDayTest(cal)(dayNumber(date));
}

function addWorkingDayNumbers(day: number, n: number, cal: BusinessCalendar): number {
  if (!Number.isInteger(n)) throw new DomainError(`working days must be a whole number, got ${n}`, 'workingDays');
  const isWorking = workingDayTest(cal);
  const step = Math.sign(n);
  let left = Math.abs(n);
  let idle = 0;
  while (left > 0) {
    day += step;
    if (isWorking(day)) {
      left -= 1;
      idle = 0;
    } else if (++idle > MAX_DAYS_WITHOUT_WORK) {
      throw new DomainError(`calendar '${cal.id}' has no working day near ${dateOf(day)}`, 'calendar');
    }
  }
  return day;
}

/**
 * The n-th working day after `date` (the start day itself is not counted; it need not be a
 * working day). n = 0 returns the date itself; n < 0 counts backwards.
 */
export function addWorkingDays(date: string, n: number, cal: BusinessCalendar): string {
  return dateOf(addWorkingDayNumbers(dayNumber(date), n, cal));
}

/**
 * The instant the n-th working day after start's local date ends, i.e. the following local
 * midnight in cal.timeZone. "Ship by the 2nd working day" is endOfWorkingDay(orderedAt, 2, cal).
 */
export function endOfWorkingDay(start: Date, n: number, cal: BusinessCalendar): Date {
  const lastDay = addWorkingDayNumbers(dayNumber(localDate(start, cal.timeZone)), n, cal);
  return localInstant(lastDay + 1, 0, cal.timeZone);
}

/** True unless the calendar lists the years it has data for and `year` is not one of them. */
export function hasDataFor(cal: BusinessCalendar, year: number): boolean {
  return cal.years === undefined || cal.years.includes(year);
}

// ---------------------------------------------------------------------------------------------
// SLA clocks

const HH_MM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes of the day, 'HH:mm'; '24:00' is accepted as a closing time only. */
function minuteOfDay(text: string, field: string, closing: boolean): number {
  if (closing && text === '24:00') return 1440;
  const m = HH_MM.exec(text);
  if (!m) throw new DomainError(`'${text}' is not a time of day HH:mm`, field);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Opening and closing minute of a business-hours clock, checked. */
function businessHours(clock: { start: string; end: string }): [number, number] {
  const open = minuteOfDay(clock.start, 'clock.start', false);
  const close = minuteOfDay(clock.end, 'clock.end', true);
  if (close <= open) throw new DomainError(`business hours must end after they start (${clock.start}–${clock.end})`, 'clock.end');
  return [open, close];
}

function checkedMs(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new DomainError(`clock time must be a non-negative number of ms, got ${ms}`, 'ms');
  return ms;
}

/**
 * The instant at which `ms` of clock time have run from `start`. On business hours time only runs
 * inside [start, end) of working days; a start outside hours begins at the next opening, and a
 * deadline that uses up a day exactly falls on its closing time.
 */
export function addClockTime(start: Date, ms: number, clock: SlaClock, cal: BusinessCalendar): Date {
  checkedMs(ms);
  if (clock.kind === '24x7') return new Date(inZone(start, cal.timeZone).toMillis() + ms);
  const [open, close] = businessHours(clock);
  const isWorking = workingDayTest(cal);
  const from = start.getTime();
  let day = dayNumber(localDate(start, cal.timeZone));
  let remaining = ms;
  let idle = 0;
  for (;;) {
    if (isWorking(day)) {
      idle = 0;
      const opensAt = Math.max(from, localInstant(day, open, cal.timeZone).getTime());
      const closesAt = localInstant(day, close, cal.timeZone).getTime();
      if (opensAt < closesAt) {
        if (remaining <= closesAt - opensAt) return new Date(opensAt + remaining);
        remaining -= closesAt - opensAt;
      }
    } else if (++idle > MAX_DAYS_WITHOUT_WORK) {
      throw new DomainError(`calendar '${cal.id}' has no working day near ${dateOf(day)}`, 'calendar');
    }
    day += 1;
  }
}

/** Milliseconds of clock time between two instants; 0 when `to` is not after `from`. */
export function clockElapsed(from: Date, to: Date, clock: SlaClock, cal: BusinessCalendar): number {
  const start = inZone(from, cal.timeZone).toMillis();
  const end = inZone(to, cal.timeZone).toMillis();
  if (end <= start) return 0;
  if (clock.kind === '24x7') return end - start;
  const [open, close] = businessHours(clock);
  const isWorking = workingDayTest(cal);
  const lastDay = dayNumber(localDate(to, cal.timeZone));
  let elapsed = 0;
  for (let day = dayNumber(localDate(from, cal.timeZone)); day <= lastDay; day += 1) {
    if (!isWorking(day)) continue;
    const opensAt = Math.max(start, localInstant(day, open, cal.timeZone).getTime());
    const closesAt = Math.min(end, localInstant(day, close, cal.timeZone).getTime());
    if (closesAt > opensAt) elapsed += closesAt - opensAt;
  }
  return elapsed;
}

// ---------------------------------------------------------------------------------------------
// Registry

export function calendarIds(): string[] {
  return Object.keys(CALENDAR_REGISTRY);
}

/**
 * A calendar from the registry (`domain/calendars/`), with fresh arrays so callers can't alter
 * the registry. `overrides` replace whole fields; the id always names the registry entry.
 */
export function makeCalendar(id: string, overrides?: Partial<BusinessCalendar>): BusinessCalendar {
  const data = Object.prototype.hasOwnProperty.call(CALENDAR_REGISTRY, id) ? CALENDAR_REGISTRY[id] : undefined;
  if (!data) throw new DomainError(`unknown calendar '${id}' (known: ${calendarIds().join(', ')})`, 'calendar.id');
  const given = Object.fromEntries(Object.entries(overrides ?? {}).filter(([, v]) => v !== undefined)) as Partial<BusinessCalendar>;
  const cal: BusinessCalendar = {
    timeZone: given.timeZone ?? data.timeZone,
    weekendDays: [...(given.weekendDays ?? data.weekendDays)],
    holidays: [...(given.holidays ?? data.holidays)],
    makeupWorkdays: [...(given.makeupWorkdays ?? data.makeupWorkdays)],
    id,
  };
  checkCalendar(cal);
  return cal;
}

function checkCalendar(cal: BusinessCalendar): void {
  if (!isTimeZone(cal.timeZone)) throw new DomainError(`unknown time zone '${cal.timeZone}'`, 'calendar.timeZone');
  for (const d of cal.weekendDays) {
    if (!Number.isInteger(d) || d < 1 || d > 7) throw new DomainError(`weekend day ${d} is not an ISO weekday 1–7`, 'calendar.weekendDays');
  }
  cal.holidays.forEach((d) => dayNumber(d, 'calendar.holidays'));
  cal.makeupWorkdays.forEach((d) => dayNumber(d, 'calendar.makeupWorkdays'));
}
