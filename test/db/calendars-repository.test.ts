import { NotFoundError } from '../../platform/db/errors';
import * as calendarsMigration from '../../platform/db/migrations/0007_calendars';
import { CalendarsRepository } from '../../schedule/calendars/repository';
import { CN_STATUTORY_YEARS, addWorkingDays, dueAt, makeCalendar } from '../../domain';
import { createTestDatabase, testDatabaseKinds, type TestDatabase } from '../support/db';

const AT = new Date('2026-11-20T08:00:00.123Z');
const LATER = new Date('2026-11-21T09:30:00.456Z');
const ADMIN = { userId: 41, name: 'Administrator' };

const YEAR_2027 = {
  holidays: ['2027-01-01', '2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08'],
  makeupWorkdays: ['2027-01-30'],
  source: '国务院办公厅关于2027年部分节假日安排的通知',
  notes: 'partial, for the test',
};

describe.each(testDatabaseKinds())('calendars repository on %s', (kind) => {
  let db: TestDatabase;
  let calendars: CalendarsRepository;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    calendars = new CalendarsRepository(db.knex);
  });

  afterAll(async () => {
    await db.destroy();
  });

  beforeEach(async () => {
    await db.knex('calendar_missing_years').del();
    await db.knex('calendar_years').where('year', '<>', 2026).del();
  });

  it('is seeded with the built-in calendars and cn 2026 exactly as domain/calendars/cn.ts has it', async () => {
    expect(await calendars.list()).toEqual([
      { key: 'cn', name: expect.stringContaining('PRC'), timeZone: 'Asia/Shanghai', weekendDays: [6, 7], yearlyData: true },
      { key: 'weekends', name: expect.any(String), timeZone: 'UTC', weekendDays: [6, 7], yearlyData: false },
    ]);
    expect(await calendars.years('cn')).toEqual([
      {
        calendarKey: 'cn',
        year: 2026,
        holidays: [...CN_STATUTORY_YEARS[2026]!.holidays],
        makeupWorkdays: [...CN_STATUTORY_YEARS[2026]!.makeupWorkdays],
        source: expect.stringContaining('2026'),
        notes: expect.any(String),
        updatedAt: expect.any(Date),
        updatedBy: { userId: null, name: 'migration 0007_calendars' },
      },
    ]);
  });

  it('loads a calendar by key as the built-in one, with the years it has data for', async () => {
    const cn = await calendars.load('cn');
    expect(cn).toEqual({ ...makeCalendar('cn'), years: [2026] });
    // The spec's example, on the stored data.
    expect(addWorkingDays('2026-09-21', 15, cn!)).toBe('2026-10-19');
    expect(await calendars.load('weekends')).toEqual(makeCalendar('weekends'));
    expect(await calendars.load('xx')).toBeNull();
    expect(await calendars.load('CN')).toBeNull(); // keys compare exactly on both databases
  });

  it('puts a new year, corrects it, and loads every year together', async () => {
    const put = await calendars.putYear('cn', 2027, YEAR_2027, ADMIN, AT);
    expect(put).toEqual({ calendarKey: 'cn', year: 2027, ...YEAR_2027, updatedAt: AT, updatedBy: ADMIN });
    expect((await calendars.load('cn'))?.years).toEqual([2026, 2027]);

    const corrected = await calendars.putYear('cn', 2027, { holidays: ['2027-01-01'], makeupWorkdays: [] }, { userId: null, name: 'ops' }, LATER);
    expect(corrected).toEqual({ calendarKey: 'cn', year: 2027, holidays: ['2027-01-01'], makeupWorkdays: [], source: null, notes: null, updatedAt: LATER, updatedBy: { userId: null, name: 'ops' } });
    expect(await calendars.getYear('cn', 2027)).toEqual(corrected);

    const cn = (await calendars.load('cn'))!;
    expect(cn.years).toEqual([2026, 2027]);
    expect(cn.holidays).toEqual([...CN_STATUTORY_YEARS[2026]!.holidays, '2027-01-01']);
    // Once 2027 is in, a deadline across New Year's Day 2027 is final and skips it.
    expect(dueAt(new Date('2026-12-30T02:00:00Z'), { workingDays: 2 }, cn, 'add')).toEqual({ at: new Date('2027-01-04T16:00:00Z'), provisional: false, missingYears: [] });
  });

  it('refuses a year of an unknown calendar', async () => {
    await expect(calendars.putYear('mars', 2027, YEAR_2027, ADMIN, AT)).rejects.toBeInstanceOf(NotFoundError);
    expect(await db.knex('calendar_years').where({ calendar_key: 'mars' })).toHaveLength(0);
  });

  it('records the years deadlines needed once, and lists those still not loaded', async () => {
    await calendars.recordMissingYears('cn', [2027, 2028], AT);
    await calendars.recordMissingYears('cn', [2027], LATER);
    await calendars.recordMissingYears('cn', [], LATER);
    expect(await calendars.missingYears()).toEqual([
      { calendarKey: 'cn', year: 2027, firstNeededAt: AT, alertedAt: null },
      { calendarKey: 'cn', year: 2028, firstNeededAt: AT, alertedAt: null },
    ]);

    await calendars.putYear('cn', 2027, YEAR_2027, ADMIN, LATER);
    expect(await calendars.missingYears('cn')).toEqual([{ calendarKey: 'cn', year: 2028, firstNeededAt: AT, alertedAt: null }]);
    expect(await calendars.missingYears('weekends')).toEqual([]);
  });

  it('marks a missing year alerted once', async () => {
    await calendars.recordMissingYears('cn', [2029], AT);
    expect(await calendars.markAlerted('cn', 2029, LATER)).toBe(true);
    expect(await calendars.markAlerted('cn', 2029, new Date())).toBe(false);
    expect(await calendars.missingYears()).toEqual([{ calendarKey: 'cn', year: 2029, firstNeededAt: AT, alertedAt: LATER }]);
  });

  it('has a schema that refuses a year of an unknown calendar and a second row for a year', async () => {
    const failureOf = (values: object) => db.knex('calendar_years').insert(values).then(() => 'inserted', (error: unknown) => String(error));
    const row = { calendar_key: 'cn', year: 2026, holidays: '[]', makeup_workdays: '[]', updated_at: AT, updated_by: 'x' };
    expect(await failureOf(row)).toMatch(/Duplicate|UNIQUE/);
    expect(await failureOf({ ...row, calendar_key: 'nowhere', year: 2030 })).toMatch(/foreign key/i);
  });

  it('migration 0007 rolls back and runs again, seed included', async () => {
    await calendarsMigration.down(db.knex);
    expect(await db.knex.schema.hasTable('calendars')).toBe(false);
    expect(await db.knex.schema.hasTable('calendar_years')).toBe(false);
    expect(await db.knex.schema.hasTable('calendar_missing_years')).toBe(false);
    await calendarsMigration.up(db.knex);
    expect((await calendars.load('cn'))?.years).toEqual([2026]);
  });
});
