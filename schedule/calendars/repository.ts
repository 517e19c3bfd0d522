import type { Knex } from 'knex';
import type { BusinessCalendar } from '../../domain/calendar';
import { NotFoundError } from '../../platform/db/errors';
import { fromJson, toBool, toDate, toJson, toRequiredDate } from '../../platform/db/mapping';
import { words } from '../../domain/words';

/** A calendar a policy names by key; its years are separate rows. */
export interface CalendarInfo {
  key: string;
  name: string;
  timeZone: string;
  /** ISO weekdays off: 1 = Monday … 7 = Sunday. */
  weekendDays: number[];
  /** False for a calendar that is weekends only by design: it needs no year loaded. */
  yearlyData: boolean;
}

export interface CalendarYear {
  calendarKey: string;
  year: number;
  holidays: string[];
  makeupWorkdays: string[];
  source: string | null;
  notes: string | null;
  updatedAt: Date;
  updatedBy: { userId: number | null; name: string };
}

export interface CalendarYearInput {
  holidays: string[];
  makeupWorkdays: string[];
  source?: string | null;
  notes?: string | null;
}

/** A year a deadline needed and did not find loaded. */
export interface MissingCalendarYear {
  calendarKey: string;
  year: number;
  firstNeededAt: Date;
  /** When the admins were told; null until then. */
  alertedAt: Date | null;
}

interface CalendarRow {
  calendar_key: string;
  name: string;
  time_zone: string;
  weekend_days: unknown;
  yearly_data: unknown;
}

interface YearRow {
  calendar_key: string;
  year: number | string;
  holidays: unknown;
  makeup_workdays: unknown;
  source: string | null;
  notes: string | null;
  updated_at: unknown;
  updated_by_user_id: number | string | null;
  updated_by: string;
}

interface MissingRow {
  calendar_key: string;
  year: number | string;
  first_needed_at: unknown;
  alerted_at: unknown;
}

function toCalendarInfo(row: CalendarRow): CalendarInfo {
  return {
    key: row.calendar_key,
    name: row.name,
    timeZone: row.time_zone,
    weekendDays: fromJson<number[]>(row.weekend_days),
    yearlyData: toBool(row.yearly_data),
  };
}

function toCalendarYear(row: YearRow): CalendarYear {
  return {
    calendarKey: row.calendar_key,
    year: Number(row.year),
    holidays: fromJson<string[]>(row.holidays),
    makeupWorkdays: fromJson<string[]>(row.makeup_workdays),
    source: row.source,
    notes: row.notes,
    updatedAt: toRequiredDate(row.updated_at),
    updatedBy: { userId: row.updated_by_user_id === null ? null : Number(row.updated_by_user_id), name: row.updated_by },
  };
}

function toMissing(row: MissingRow): MissingCalendarYear {
  return { calendarKey: row.calendar_key, year: Number(row.year), firstNeededAt: toRequiredDate(row.first_needed_at), alertedAt: toDate(row.alerted_at) };
}

/** Calendars and their years (migration 0007). Input is validated by the caller (domain/calendarYear.ts). */
export class CalendarsRepository {
  constructor(private readonly db: Knex) {}

  async list(): Promise<CalendarInfo[]> {
    const rows = (await this.db('calendars').orderBy('calendar_key')) as CalendarRow[];
    return rows.map(toCalendarInfo);
  }

  async get(key: string): Promise<CalendarInfo | null> {
    const row = (await this.db('calendars').where({ calendar_key: key }).first()) as CalendarRow | undefined;
    return row ? toCalendarInfo(row) : null;
  }

  /** The loaded years of a calendar, ascending. */
  async years(key: string): Promise<CalendarYear[]> {
    const rows = (await this.db('calendar_years').where({ calendar_key: key }).orderBy('year')) as YearRow[];
    return rows.map(toCalendarYear);
  }

  async getYear(key: string, year: number): Promise<CalendarYear | null> {
    const row = (await this.db('calendar_years').where({ calendar_key: key, year }).first()) as YearRow | undefined;
    return row ? toCalendarYear(row) : null;
  }

  /**
   * The calendar as deadline arithmetic wants it: every loaded year's days, and `years` saying which
   * years those are (left out for a calendar without yearly data). Null for an unknown key.
   */
  async load(key: string): Promise<BusinessCalendar | null> {
    const info = await this.get(key);
    if (!info) return null;
    const years = info.yearlyData ? await this.years(key) : [];
    return {
      id: info.key,
      timeZone: info.timeZone,
      weekendDays: info.weekendDays,
      holidays: years.flatMap((y) => y.holidays),
      makeupWorkdays: years.flatMap((y) => y.makeupWorkdays),
      ...(info.yearlyData ? { years: years.map((y) => y.year) } : {}),
    };
  }

  /** Loads or replaces one year's data. */
  async putYear(key: string, year: number, input: CalendarYearInput, by: { userId: number | null; name: string }, now: Date = new Date()): Promise<CalendarYear> {
    if (!(await this.get(key))) throw new NotFoundError(words('schedule.calendarNotFound', { key }), { field: 'key' });
    const values = {
      holidays: toJson(input.holidays),
      makeup_workdays: toJson(input.makeupWorkdays),
      source: input.source ?? null,
      notes: input.notes ?? null,
      updated_at: now,
      updated_by_user_id: by.userId,
      updated_by: by.name,
    };
    await this.db('calendar_years')
      .insert({ calendar_key: key, year, ...values })
      .onConflict(['calendar_key', 'year'])
      .merge(Object.keys(values));
    const stored = await this.getYear(key, year);
    if (!stored) throw new Error(`Calendar year ${key} ${year} vanished right after it was written`);
    return stored;
  }

  /** Notes that deadlines needed these years; the first time is kept. Safe to repeat. */
  async recordMissingYears(key: string, years: readonly number[], now: Date = new Date()): Promise<void> {
    if (years.length === 0) return;
    await this.db('calendar_missing_years')
      .insert(years.map((year) => ({ calendar_key: key, year, first_needed_at: now, alerted_at: null })))
      .onConflict(['calendar_key', 'year'])
      .ignore();
  }

  /** Years needed and still not loaded, of one calendar or of all, by calendar and year. */
  async missingYears(key?: string): Promise<MissingCalendarYear[]> {
    const query = this.db('calendar_missing_years as m')
      .whereNotExists((q) => q.select(this.db.raw('1')).from('calendar_years as y').whereRaw('y.calendar_key = m.calendar_key and y.year = m.year'))
      .orderBy([{ column: 'm.calendar_key' }, { column: 'm.year' }])
      .select('m.*');
    if (key !== undefined) query.where('m.calendar_key', key);
    return ((await query) as MissingRow[]).map(toMissing);
  }

  /** Marks the admins told about a missing year; true when this call did it (false: already marked). */
  async markAlerted(key: string, year: number, now: Date = new Date()): Promise<boolean> {
    const changed = await this.db('calendar_missing_years').where({ calendar_key: key, year }).whereNull('alerted_at').update({ alerted_at: now });
    return changed > 0;
  }
}
