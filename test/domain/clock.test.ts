import { DomainError, addClockTime, clockElapsed, makeCalendar, type SlaClock } from '../../domain';

const cn = makeCalendar('cn');
const sh = (local: string) => new Date(`${local}+08:00`);
const HOUR = 3_600_000;
const MINUTE = 60_000;
const office: SlaClock = { kind: 'businessHours', start: '08:30', end: '17:00' };
const always: SlaClock = { kind: '24x7' };

describe('24x7 clock', () => {
  it('runs through nights, weekends and holidays', () => {
    expect(addClockTime(sh('2026-09-30T23:00'), 2 * HOUR, always, cn)).toEqual(sh('2026-10-01T01:00'));
    expect(clockElapsed(sh('2026-10-01T00:00'), sh('2026-10-08T00:00'), always, cn)).toBe(7 * 24 * HOUR);
  });

  it('is 0 elapsed when to is not after from', () => {
    expect(clockElapsed(sh('2026-10-02T00:00'), sh('2026-10-01T00:00'), always, cn)).toBe(0);
    expect(clockElapsed(sh('2026-10-01T00:00'), sh('2026-10-01T00:00'), always, cn)).toBe(0);
  });

  it('handles second-scale demo policies', () => {
    expect(addClockTime(new Date('2026-01-01T00:00:00Z'), 5_000, always, cn)).toEqual(new Date('2026-01-01T00:00:05Z'));
  });
});

describe('business-hours clock 08:30–17:00 on the cn calendar', () => {
  it('Friday 16:00 + 2 h → Monday 09:30', () => {
    expect(addClockTime(sh('2026-03-06T16:00'), 2 * HOUR, office, cn)).toEqual(sh('2026-03-09T09:30'));
  });

  it('skips a holiday: Friday before Qingming + 2 h → Tuesday 09:30', () => {
    expect(addClockTime(sh('2026-04-03T16:00'), 2 * HOUR, office, cn)).toEqual(sh('2026-04-07T09:30'));
  });

  it('runs on a make-up Saturday and a make-up Sunday', () => {
    expect(addClockTime(sh('2026-10-09T16:00'), 2 * HOUR, office, cn)).toEqual(sh('2026-10-10T09:30'));
    expect(addClockTime(sh('2026-09-18T16:00'), 2 * HOUR, office, cn)).toEqual(sh('2026-09-20T09:30'));
  });

  it('a start before opening begins at the opening', () => {
    expect(addClockTime(sh('2026-03-09T07:00'), HOUR, office, cn)).toEqual(sh('2026-03-09T09:30'));
    expect(addClockTime(sh('2026-03-09T00:00'), 0, office, cn)).toEqual(sh('2026-03-09T08:30'));
  });

  it('a start after closing begins at the next opening', () => {
    expect(addClockTime(sh('2026-03-09T18:00'), HOUR, office, cn)).toEqual(sh('2026-03-10T09:30'));
    expect(addClockTime(sh('2026-03-09T17:00'), 1, office, cn)).toEqual(new Date(sh('2026-03-10T08:30').getTime() + 1));
  });

  it('a start on a weekend or holiday begins at the next working opening', () => {
    expect(addClockTime(sh('2026-03-07T11:00'), HOUR, office, cn)).toEqual(sh('2026-03-09T09:30'));
    expect(addClockTime(sh('2026-10-01T10:00'), HOUR, office, cn)).toEqual(sh('2026-10-08T09:30'));
  });

  it('a deadline that uses up the day ends at closing time, not the next opening', () => {
    expect(addClockTime(sh('2026-03-09T16:00'), HOUR, office, cn)).toEqual(sh('2026-03-09T17:00'));
    expect(addClockTime(sh('2026-03-09T08:30'), 8.5 * HOUR, office, cn)).toEqual(sh('2026-03-09T17:00'));
  });

  it('spans several days (8.5 h a day)', () => {
    // Mon 09:00–17:00 = 8 h, Tue 8.5 h, Wed 3.5 h → Wed 12:00.
    expect(addClockTime(sh('2026-03-09T09:00'), 20 * HOUR, office, cn)).toEqual(sh('2026-03-11T12:00'));
    // From Wednesday 09-30 10:00: 7 h, then National Day, Thu 10-08 8.5 h, Fri 10-09 8.5 h = 24 h at Friday closing.
    expect(addClockTime(sh('2026-09-30T10:00'), 24 * HOUR, office, cn)).toEqual(sh('2026-10-09T17:00'));
    expect(addClockTime(sh('2026-09-30T10:00'), 25 * HOUR, office, cn)).toEqual(sh('2026-10-10T09:30'));
  });

  it('measures elapsed business time', () => {
    expect(clockElapsed(sh('2026-03-06T16:00'), sh('2026-03-09T09:30'), office, cn)).toBe(2 * HOUR);
    expect(clockElapsed(sh('2026-03-07T00:00'), sh('2026-03-08T23:59'), office, cn)).toBe(0); // weekend
    expect(clockElapsed(sh('2026-10-01T00:00'), sh('2026-10-08T00:00'), office, cn)).toBe(0); // holidays
    expect(clockElapsed(sh('2026-03-09T07:00'), sh('2026-03-09T20:00'), office, cn)).toBe(8.5 * HOUR);
    expect(clockElapsed(sh('2026-03-09T12:00'), sh('2026-03-09T12:00'), office, cn)).toBe(0);
    expect(clockElapsed(sh('2026-03-10T12:00'), sh('2026-03-09T12:00'), office, cn)).toBe(0);
    // A full week in March: 5 days × 8.5 h.
    expect(clockElapsed(sh('2026-03-09T00:00'), sh('2026-03-16T00:00'), office, cn)).toBe(5 * 8.5 * HOUR);
  });

  it('clockElapsed inverts addClockTime for starts in and out of hours, on every kind of day', () => {
    const starts = ['2026-03-06T16:00', '2026-03-07T11:00', '2026-03-09T07:00', '2026-03-09T17:00', '2026-04-03T16:59', '2026-09-18T12:34', '2026-09-30T10:00', '2026-10-09T23:59', '2026-12-31T16:00'];
    const spans = [0, 1, MINUTE, HOUR, 8.5 * HOUR, 24 * HOUR, 100 * HOUR];
    for (const start of starts) {
      for (const ms of spans) {
        const end = addClockTime(sh(start), ms, office, cn);
        expect(clockElapsed(sh(start), end, office, cn)).toBe(ms);
        expect(end.getTime()).toBeGreaterThanOrEqual(sh(start).getTime());
      }
    }
  });

  it('a whole day clock (00:00–24:00) counts working days only', () => {
    const workingDays: SlaClock = { kind: 'businessHours', start: '00:00', end: '24:00' };
    expect(addClockTime(sh('2026-09-30T12:00'), 24 * HOUR, workingDays, cn)).toEqual(sh('2026-10-08T12:00'));
    expect(clockElapsed(sh('2026-09-30T00:00'), sh('2026-10-09T00:00'), workingDays, cn)).toBe(2 * 24 * HOUR);
  });

  it('follows wall-clock hours across a DST change', () => {
    const berlin = makeCalendar('weekends', { timeZone: 'Europe/Berlin', makeupWorkdays: ['2026-03-29'] });
    const night: SlaClock = { kind: 'businessHours', start: '01:00', end: '05:00' };
    // 2026-03-29 02:00 → 03:00 does not exist: the window is 3 real hours long.
    expect(clockElapsed(new Date('2026-03-29T00:00:00+01:00'), new Date('2026-03-29T06:00:00+02:00'), night, berlin)).toBe(3 * HOUR);
    expect(addClockTime(new Date('2026-03-29T01:00:00+01:00'), 3 * HOUR, night, berlin)).toEqual(new Date('2026-03-29T05:00:00+02:00'));
  });

  it('rejects negative or non-finite time and malformed hours', () => {
    expect(() => addClockTime(sh('2026-03-09T10:00'), -1, office, cn)).toThrow(DomainError);
    expect(() => addClockTime(sh('2026-03-09T10:00'), Number.POSITIVE_INFINITY, office, cn)).toThrow(DomainError);
    expect(() => addClockTime(sh('2026-03-09T10:00'), HOUR, { kind: 'businessHours', start: '8:30', end: '17:00' }, cn)).toThrow(
      expect.objectContaining({ field: 'clock.start' }),
    );
    expect(() => addClockTime(sh('2026-03-09T10:00'), HOUR, { kind: 'businessHours', start: '17:00', end: '08:30' }, cn)).toThrow(
      expect.objectContaining({ field: 'clock.end' }),
    );
    expect(() => clockElapsed(sh('2026-03-09T10:00'), sh('2026-03-10T10:00'), { kind: 'businessHours', start: '24:00', end: '24:00' }, cn)).toThrow(DomainError);
  });

  it('stops on a calendar that never works instead of looping', () => {
    const never = { ...cn, weekendDays: [1, 2, 3, 4, 5, 6, 7], makeupWorkdays: [] };
    expect(() => addClockTime(sh('2026-03-09T10:00'), HOUR, office, never)).toThrow(/no working day/);
  });
});
