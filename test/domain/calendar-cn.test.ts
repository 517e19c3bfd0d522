import { CALENDAR_REGISTRY, CN_STATUTORY_YEARS, DomainError, calendarIds, isWorkingDay, makeCalendar } from '../../domain';

const cn = makeCalendar('cn');

/** Every date from `from` to `to`, inclusive. */
function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

// calendar-cn-2026.md, one row per holiday: days off, make-up working days, and the working days
// that border the block (the last one before and the first one after).
const BLOCKS_2026 = [
  { name: 'New Year', off: ['2026-01-01', '2026-01-03'], makeup: ['2026-01-04'], before: '2025-12-31', after: '2026-01-04' },
  { name: 'Spring Festival', off: ['2026-02-15', '2026-02-23'], makeup: ['2026-02-14', '2026-02-28'], before: '2026-02-14', after: '2026-02-24' },
  { name: 'Qingming', off: ['2026-04-04', '2026-04-06'], makeup: [], before: '2026-04-03', after: '2026-04-07' },
  { name: 'Labour Day', off: ['2026-05-01', '2026-05-05'], makeup: ['2026-05-09'], before: '2026-04-30', after: '2026-05-06' },
  { name: 'Dragon Boat', off: ['2026-06-19', '2026-06-21'], makeup: [], before: '2026-06-18', after: '2026-06-22' },
  { name: 'Mid-Autumn', off: ['2026-09-25', '2026-09-27'], makeup: [], before: '2026-09-24', after: '2026-09-28' },
  { name: 'National Day', off: ['2026-10-01', '2026-10-07'], makeup: ['2026-09-20', '2026-10-10'], before: '2026-09-30', after: '2026-10-08' },
] as const;

describe('PRC statutory calendar 2026', () => {
  it('has the zone, weekend and registry id of the spec', () => {
    expect(cn).toMatchObject({ id: 'cn', timeZone: 'Asia/Shanghai', weekendDays: [6, 7] });
  });

  describe.each(BLOCKS_2026)('$name', ({ off, makeup, before, after }) => {
    const days = datesBetween(off[0], off[1]);

    it.each(days)('%s is a day off', (day) => {
      expect(cn.holidays).toContain(day);
      expect(isWorkingDay(day, cn)).toBe(false);
    });

    it('is bordered by working days', () => {
      expect(isWorkingDay(before, cn)).toBe(true);
      expect(isWorkingDay(after, cn)).toBe(true);
    });

    if (makeup.length > 0) {
      it.each([...makeup])('make-up day %s is a working weekend day', (day) => {
        const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
        expect([0, 6]).toContain(weekday);
        expect(cn.makeupWorkdays).toContain(day);
        expect(isWorkingDay(day, cn)).toBe(true);
      });
    }
  });

  it('holds exactly the 33 days off and 6 make-up days of the notice, each date spelled out', () => {
    const expectedOff = BLOCKS_2026.flatMap((b) => datesBetween(b.off[0], b.off[1]));
    const expectedMakeup = BLOCKS_2026.flatMap((b) => [...b.makeup]);
    expect([...cn.holidays].sort()).toEqual(expectedOff.sort());
    expect([...cn.makeupWorkdays].sort()).toEqual(expectedMakeup.sort());
    expect(cn.holidays).toHaveLength(33);
    expect(cn.makeupWorkdays).toHaveLength(6);
    expect(CN_STATUTORY_YEARS[2026]?.holidays).toHaveLength(33);
  });

  it('has 248 working days in 2026 (261 weekdays − 19 weekday holidays + 6 make-up days)', () => {
    expect(datesBetween('2026-01-01', '2026-12-31').filter((d) => isWorkingDay(d, cn))).toHaveLength(248);
  });

  it('keeps ordinary weekends and weekdays outside the blocks', () => {
    expect(isWorkingDay('2026-03-07', cn)).toBe(false); // Saturday
    expect(isWorkingDay('2026-03-08', cn)).toBe(false); // Sunday
    expect(isWorkingDay('2026-03-09', cn)).toBe(true); // Monday
    expect(isWorkingDay('2026-10-11', cn)).toBe(false); // the Sunday after the make-up Saturday
  });
});

describe('isWorkingDay precedence', () => {
  const base = makeCalendar('weekends');

  it('a make-up day wins over the weekend', () => {
    expect(isWorkingDay('2026-03-07', base)).toBe(false);
    expect(isWorkingDay('2026-03-07', { ...base, makeupWorkdays: ['2026-03-07'] })).toBe(true);
  });

  it('a holiday wins over a weekday, and over contradicting make-up data', () => {
    expect(isWorkingDay('2026-03-09', { ...base, holidays: ['2026-03-09'] })).toBe(false);
    expect(isWorkingDay('2026-03-07', { ...base, holidays: ['2026-03-07'], makeupWorkdays: ['2026-03-07'] })).toBe(false);
  });

  it('honours any weekend days, e.g. a Friday–Saturday weekend', () => {
    const gulf = { ...base, weekendDays: [5, 6] };
    expect(isWorkingDay('2026-03-06', gulf)).toBe(false); // Friday
    expect(isWorkingDay('2026-03-08', gulf)).toBe(true); // Sunday
  });

  it.each(['2026-02-30', '2026-13-01', '26-03-01', '2026-3-1', 'tomorrow', ''])('rejects the non-date %p', (bad) => {
    expect(() => isWorkingDay(bad, base)).toThrow(DomainError);
  });
});

describe('makeCalendar and the registry', () => {
  it('knows cn and weekends', () => {
    expect(calendarIds()).toEqual(expect.arrayContaining(['cn', 'weekends']));
    expect(makeCalendar('weekends')).toEqual({ id: 'weekends', timeZone: 'UTC', weekendDays: [6, 7], holidays: [], makeupWorkdays: [] });
  });

  it('rejects an unknown id naming the field calendar.id', () => {
    expect(() => makeCalendar('mars')).toThrow(expect.objectContaining({ name: 'DomainError', field: 'calendar.id' }));
    expect(() => makeCalendar('mars')).toThrow(/mars/);
    // Object.prototype members are not calendars.
    expect(() => makeCalendar('toString')).toThrow(DomainError);
  });

  it('applies overrides field by field, keeping the registry id', () => {
    const cal = makeCalendar('cn', { holidays: ['2026-03-09'], timeZone: 'Asia/Hong_Kong', weekendDays: undefined });
    expect(cal).toEqual({ id: 'cn', timeZone: 'Asia/Hong_Kong', weekendDays: [6, 7], holidays: ['2026-03-09'], makeupWorkdays: cn.makeupWorkdays });
  });

  it('validates overridden data', () => {
    expect(() => makeCalendar('cn', { timeZone: 'Mars/Olympus' })).toThrow(expect.objectContaining({ field: 'calendar.timeZone' }));
    expect(() => makeCalendar('cn', { holidays: ['2026-02-30'] })).toThrow(expect.objectContaining({ field: 'calendar.holidays' }));
    expect(() => makeCalendar('cn', { makeupWorkdays: ['x'] })).toThrow(expect.objectContaining({ field: 'calendar.makeupWorkdays' }));
    expect(() => makeCalendar('cn', { weekendDays: [0] })).toThrow(expect.objectContaining({ field: 'calendar.weekendDays' }));
  });

  it('returns fresh arrays, so callers cannot alter the registry', () => {
    const cal = makeCalendar('cn');
    cal.holidays.push('2026-03-09');
    cal.weekendDays.length = 0;
    expect(makeCalendar('cn').holidays).toHaveLength(33);
    expect(makeCalendar('cn').weekendDays).toEqual([6, 7]);
    expect(CALENDAR_REGISTRY.cn?.holidays).toHaveLength(33);
  });
});
