import { DomainError, addWorkingDays, endOfWorkingDay, isWorkingDay, localDate, makeCalendar, startOfLocalDay } from '../../domain';

const cn = makeCalendar('cn');
const weekends = makeCalendar('weekends');
/** A Shanghai wall-clock time as an instant. */
const sh = (local: string) => new Date(`${local}+08:00`);

describe('addWorkingDays', () => {
  it('reproduces the spec example: 15 working days from 2026-09-21 end on 2026-10-19', () => {
    expect(addWorkingDays('2026-09-21', 15, cn)).toBe('2026-10-19');
    // Without the holidays it would be 10-12 (three calendar weeks).
    expect(addWorkingDays('2026-09-21', 15, weekends)).toBe('2026-10-12');
  });

  it('does not count the start day, working or not', () => {
    expect(addWorkingDays('2026-03-09', 1, cn)).toBe('2026-03-10'); // Monday → Tuesday
    expect(addWorkingDays('2026-03-07', 1, cn)).toBe('2026-03-09'); // Saturday → Monday
    expect(addWorkingDays('2026-10-01', 1, cn)).toBe('2026-10-08'); // holiday → first day back
  });

  it('skips a holiday that falls inside the span', () => {
    expect(addWorkingDays('2026-04-02', 2, cn)).toBe('2026-04-07'); // Fri 04-03, then Qingming to Mon
    expect(addWorkingDays('2026-09-24', 1, cn)).toBe('2026-09-28'); // Mid-Autumn Fri–Sun
    expect(addWorkingDays('2026-04-30', 4, cn)).toBe('2026-05-09'); // Labour Day, then the make-up Saturday
    expect(addWorkingDays('2026-04-30', 5, cn)).toBe('2026-05-11');
  });

  it('counts make-up days as working days', () => {
    expect(addWorkingDays('2026-09-18', 1, cn)).toBe('2026-09-20'); // Sunday make-up day
    expect(addWorkingDays('2026-10-09', 1, cn)).toBe('2026-10-10'); // Saturday make-up day
    expect(addWorkingDays('2026-02-13', 1, cn)).toBe('2026-02-14');
    expect(addWorkingDays('2026-02-14', 1, cn)).toBe('2026-02-24'); // the whole Spring Festival
  });

  it('returns the date itself for n = 0, even on a day off', () => {
    expect(addWorkingDays('2026-03-09', 0, cn)).toBe('2026-03-09');
    expect(addWorkingDays('2026-10-03', 0, cn)).toBe('2026-10-03');
  });

  it('counts backwards for negative n', () => {
    expect(addWorkingDays('2026-10-19', -15, cn)).toBe('2026-09-21');
    expect(addWorkingDays('2026-10-08', -1, cn)).toBe('2026-09-30');
    expect(addWorkingDays('2026-10-12', -1, cn)).toBe('2026-10-10'); // back onto the make-up Saturday
    expect(addWorkingDays('2026-10-04', -1, cn)).toBe('2026-09-30'); // from inside a holiday
  });

  it('crosses year boundaries both ways', () => {
    expect(addWorkingDays('2025-12-31', 1, cn)).toBe('2026-01-04'); // New Year off, Sunday make-up day
    expect(addWorkingDays('2025-12-30', 2, cn)).toBe('2026-01-04');
    expect(addWorkingDays('2026-01-05', -2, cn)).toBe('2025-12-31');
    expect(addWorkingDays('2026-12-31', 2, weekends)).toBe('2027-01-04');
    expect(addWorkingDays('2027-01-04', -2, weekends)).toBe('2026-12-31');
    expect(addWorkingDays('2028-02-28', 1, weekends)).toBe('2028-02-29'); // leap day
  });

  it('is its own inverse from every working day of 2026', () => {
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 86_400_000) {
      const day = new Date(t).toISOString().slice(0, 10);
      if (!isWorkingDay(day, cn)) continue;
      for (const n of [1, 2, 5, 15]) expect(addWorkingDays(addWorkingDays(day, n, cn), -n, cn)).toBe(day);
    }
  });

  it('handles long spans', () => {
    expect(addWorkingDays('2026-01-01', 248, cn)).toBe('2026-12-31'); // 248 working days in 2026
    expect(addWorkingDays('2026-12-31', -248, cn)).toBe('2025-12-31');
  });

  it('rejects fractional n, bad dates and calendars without working days', () => {
    expect(() => addWorkingDays('2026-03-09', 1.5, cn)).toThrow(DomainError);
    expect(() => addWorkingDays('2026-3-9', 1, cn)).toThrow(DomainError);
    expect(() => addWorkingDays('2026-03-09', 1, { ...weekends, weekendDays: [1, 2, 3, 4, 5, 6, 7] })).toThrow(/no working day/);
  });
});

describe('localDate', () => {
  it('is the date in the given zone', () => {
    const instant = new Date('2026-09-30T17:00:00Z');
    expect(localDate(instant, 'UTC')).toBe('2026-09-30');
    expect(localDate(instant, 'Asia/Shanghai')).toBe('2026-10-01');
    expect(localDate(instant, 'America/Los_Angeles')).toBe('2026-09-30');
  });

  it('rejects unknown zones and invalid instants', () => {
    expect(() => localDate(new Date(0), 'Nowhere/City')).toThrow(expect.objectContaining({ field: 'calendar.timeZone' }));
    expect(() => localDate(new Date(Number.NaN), 'UTC')).toThrow(DomainError);
  });
});

describe('startOfLocalDay', () => {
  it('is local midnight', () => {
    expect(startOfLocalDay('2026-10-19', 'Asia/Shanghai').toISOString()).toBe('2026-10-18T16:00:00.000Z');
    expect(startOfLocalDay('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
  });
});

describe('endOfWorkingDay', () => {
  it('ends the n-th working day at the following local midnight', () => {
    // Received Monday 2026-09-21: return within 15 working days → by the end of Monday 10-19.
    expect(endOfWorkingDay(sh('2026-09-21T10:00'), 15, cn)).toEqual(sh('2026-10-20T00:00'));
    // Ordered Wednesday 09-30: ship by the 2nd working day → Friday 10-09 (National Day in between).
    expect(endOfWorkingDay(sh('2026-09-30T15:00'), 2, cn)).toEqual(sh('2026-10-10T00:00'));
  });

  it('depends on the local date only: 23:59 and 00:01 are different days', () => {
    expect(endOfWorkingDay(sh('2026-09-21T23:59'), 15, cn)).toEqual(sh('2026-10-20T00:00'));
    expect(endOfWorkingDay(sh('2026-09-22T00:01'), 15, cn)).toEqual(sh('2026-10-21T00:00'));
    expect(endOfWorkingDay(sh('2026-09-21T00:00'), 15, cn)).toEqual(sh('2026-10-20T00:00'));
  });

  it('reads the start in the calendar zone: a UTC instant already the next day in Shanghai', () => {
    const instant = new Date('2026-09-30T17:00:00Z'); // 2026-10-01 01:00 in Shanghai, a holiday
    expect(endOfWorkingDay(instant, 1, cn)).toEqual(sh('2026-10-09T00:00'));
    expect(endOfWorkingDay(instant, 1, weekends)).toEqual(new Date('2026-10-02T00:00:00Z'));
    const lateMonday = new Date('2026-03-09T16:30:00Z'); // Tue 00:30 in Shanghai
    expect(endOfWorkingDay(lateMonday, 1, cn)).toEqual(sh('2026-03-12T00:00'));
    expect(endOfWorkingDay(lateMonday, 1, weekends)).toEqual(new Date('2026-03-11T00:00:00Z'));
  });

  it('ends at local midnight across a DST change', () => {
    const newYork = { ...weekends, id: 'ny', timeZone: 'America/New_York' };
    // Friday 2026-03-06 noon EST; Monday 03-09 ends at midnight EDT (UTC−4) after the 03-08 switch.
    expect(endOfWorkingDay(new Date('2026-03-06T17:00:00Z'), 1, newYork)).toEqual(new Date('2026-03-10T04:00:00Z'));
  });

  it('n = 0 ends the start day itself; negative n ends an earlier day', () => {
    expect(endOfWorkingDay(sh('2026-03-09T10:00'), 0, cn)).toEqual(sh('2026-03-10T00:00'));
    expect(endOfWorkingDay(sh('2026-10-08T10:00'), -1, cn)).toEqual(sh('2026-10-01T00:00'));
  });

  it('crosses the year end', () => {
    expect(endOfWorkingDay(sh('2025-12-31T09:00'), 1, cn)).toEqual(sh('2026-01-05T00:00'));
  });
});
