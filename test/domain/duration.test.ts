import {
  DomainError,
  addDuration,
  durationLabel,
  endOfWorkingDay,
  isIsoDuration,
  isPositiveDuration,
  makeCalendar,
  parseIsoDuration,
  subtractDuration,
  type Duration,
} from '../../domain';

const cn = makeCalendar('cn');
const utc = makeCalendar('weekends');
const berlin = makeCalendar('weekends', { timeZone: 'Europe/Berlin' });
const sh = (local: string) => new Date(`${local}+08:00`);

describe('isIsoDuration / parseIsoDuration', () => {
  it.each(['PT4H', 'P3M', 'P15D', 'PT5S', 'P1Y2M', 'P2W', 'P1DT12H', 'PT0.5S', 'PT1.5H', 'P12M', 'PT24H', 'P1Y2M3DT4H5M6S', '-P1D', 'PT0S'])(
    'accepts %s',
    (text) => {
      expect(isIsoDuration(text)).toBe(true);
      expect(parseIsoDuration(text).isValid).toBe(true);
    },
  );

  it.each(['', 'P', 'PT', 'P1DT', '3 months', 'p1d', '1D', 'P1.5M', 'P0.5D', 'P1H', 'PT1D', '15 working days'])('rejects %p', (text) => {
    expect(isIsoDuration(text)).toBe(false);
  });

  it('throws a DomainError naming the bad text', () => {
    expect(() => parseIsoDuration('3 months')).toThrow(DomainError);
    expect(() => parseIsoDuration('3 months')).toThrow(/'3 months'/);
  });

  it('tells positive durations from zero or negative ones', () => {
    expect(isPositiveDuration('PT5S')).toBe(true);
    expect(isPositiveDuration({ workingDays: 1 })).toBe(true);
    for (const bad of ['PT0S', 'P0D', '-P1D', 'P1MT-1H' as string, 'x', { workingDays: 0 }, { workingDays: -2 }, { workingDays: 1.5 }]) {
      expect(isPositiveDuration(bad)).toBe(false);
    }
  });
});

describe('addDuration', () => {
  it('adds months clamped to the month end', () => {
    expect(addDuration(sh('2026-01-31T12:00'), 'P1M', cn)).toEqual(sh('2026-02-28T12:00'));
    expect(addDuration(sh('2026-03-31T12:00'), 'P1M', cn)).toEqual(sh('2026-04-30T12:00'));
    expect(addDuration(sh('2028-01-31T12:00'), 'P1M', cn)).toEqual(sh('2028-02-29T12:00'));
    expect(addDuration(sh('2028-02-29T12:00'), 'P1Y', cn)).toEqual(sh('2029-02-28T12:00'));
    expect(addDuration(sh('2026-11-30T09:00'), 'P3M', cn)).toEqual(sh('2027-02-28T09:00')); // a trial run
    expect(addDuration(sh('2026-05-15T09:00'), 'P12M', cn)).toEqual(sh('2027-05-15T09:00')); // a warranty
  });

  it('does calendar arithmetic in the calendar time zone', () => {
    const instant = new Date('2026-01-31T20:00:00Z'); // 2026-02-01 04:00 in Shanghai
    expect(addDuration(instant, 'P1M', cn)).toEqual(sh('2026-03-01T04:00'));
    expect(addDuration(instant, 'P1M', utc)).toEqual(new Date('2026-02-28T20:00:00Z'));
  });

  it('is DST-safe: P1D keeps the wall clock, PT24H is 24 elapsed hours', () => {
    const saturdayNoon = new Date('2026-03-28T12:00:00+01:00');
    expect(addDuration(saturdayNoon, 'P1D', berlin)).toEqual(new Date('2026-03-29T12:00:00+02:00'));
    expect(addDuration(saturdayNoon, 'PT24H', berlin)).toEqual(new Date('2026-03-29T13:00:00+02:00'));
    expect(addDuration(saturdayNoon, 'P1M', berlin)).toEqual(new Date('2026-04-28T12:00:00+02:00'));
  });

  it('adds weeks, days with hours, composite and second-scale durations', () => {
    expect(addDuration(sh('2026-03-09T10:00'), 'P2W', cn)).toEqual(sh('2026-03-23T10:00'));
    expect(addDuration(sh('2026-03-09T10:00'), 'P1DT12H', cn)).toEqual(sh('2026-03-10T22:00'));
    expect(addDuration(sh('2026-01-31T10:00'), 'P1Y2M', cn)).toEqual(sh('2027-03-31T10:00'));
    expect(addDuration(sh('2026-03-09T10:00'), 'PT5S', cn)).toEqual(sh('2026-03-09T10:00:05'));
    expect(addDuration(sh('2026-03-09T10:00'), 'PT0.5S', cn)).toEqual(new Date(sh('2026-03-09T10:00').getTime() + 500));
  });

  it('ignores working days for ISO durations', () => {
    expect(addDuration(sh('2026-09-30T10:00'), 'P2D', cn)).toEqual(sh('2026-10-02T10:00'));
  });

  it('treats { workingDays } as endOfWorkingDay', () => {
    const received = sh('2026-09-21T10:00');
    expect(addDuration(received, { workingDays: 15 }, cn)).toEqual(sh('2026-10-20T00:00'));
    expect(addDuration(received, { workingDays: 2 }, cn)).toEqual(endOfWorkingDay(received, 2, cn));
  });

  it('rejects bad input with DomainError', () => {
    expect(() => addDuration(sh('2026-03-09T10:00'), 'three days', cn)).toThrow(DomainError);
    expect(() => addDuration(sh('2026-03-09T10:00'), 'P1D', { ...cn, timeZone: 'Nowhere' })).toThrow(
      expect.objectContaining({ field: 'calendar.timeZone' }),
    );
    expect(() => addDuration(new Date('not a date'), 'P1D', cn)).toThrow(DomainError);
  });
});

describe('subtractDuration', () => {
  it('takes an ISO lead time off a deadline in the calendar zone', () => {
    // The trial-run report is due P7D before the trial ends.
    expect(subtractDuration(sh('2026-06-15T00:00'), 'P7D', cn)).toEqual(sh('2026-06-08T00:00'));
    expect(subtractDuration(sh('2026-03-31T12:00'), 'P1M', cn)).toEqual(sh('2026-02-28T12:00'));
    expect(subtractDuration(new Date('2026-03-29T12:00:00+02:00'), 'P1D', berlin)).toEqual(new Date('2026-03-28T12:00:00+01:00'));
    expect(subtractDuration(sh('2026-03-09T10:00:05'), 'PT5S', cn)).toEqual(sh('2026-03-09T10:00'));
  });

  it('reminds at the start of the working day n working days before the due day', () => {
    // Return due by the end of Monday 10-19 (the deadline instant is 10-20 00:00): remind Wednesday 10-14.
    const due = addDuration(sh('2026-09-21T10:00'), { workingDays: 15 }, cn);
    expect(subtractDuration(due, { workingDays: 3 }, cn)).toEqual(sh('2026-10-14T00:00'));
    // A due time in the middle of that Monday gives the same day.
    expect(subtractDuration(sh('2026-10-19T15:00'), { workingDays: 3 }, cn)).toEqual(sh('2026-10-14T00:00'));
  });

  it('counts back over holidays and make-up days', () => {
    expect(subtractDuration(sh('2026-10-09T17:00'), { workingDays: 3 }, cn)).toEqual(sh('2026-09-29T00:00'));
    expect(subtractDuration(sh('2026-10-12T17:00'), { workingDays: 1 }, cn)).toEqual(sh('2026-10-10T00:00'));
  });

  it('handles a due day that is not a working day', () => {
    // Due at the end of Sunday 03-08 → 1 working day before is Friday 03-06.
    expect(subtractDuration(sh('2026-03-09T00:00'), { workingDays: 1 }, cn)).toEqual(sh('2026-03-06T00:00'));
  });

  it('uses the calendar zone to find the due day', () => {
    const instant = new Date('2026-03-10T16:30:00Z'); // Wed 00:30 in Shanghai, still Tuesday in UTC
    expect(subtractDuration(instant, { workingDays: 1 }, cn)).toEqual(sh('2026-03-10T00:00'));
    expect(subtractDuration(instant, { workingDays: 1 }, utc)).toEqual(new Date('2026-03-09T00:00:00Z'));
  });

  it('undoes endOfWorkingDay from a working day', () => {
    for (const start of ['2026-01-05', '2026-02-13', '2026-04-30', '2026-09-21', '2026-09-30', '2026-10-10', '2026-12-31']) {
      for (const n of [1, 2, 5, 15]) {
        const due = endOfWorkingDay(sh(`${start}T10:00`), n, cn);
        expect(subtractDuration(due, { workingDays: n }, cn)).toEqual(sh(`${start}T00:00`));
      }
    }
  });
});

describe('durationLabel', () => {
  const cases: [Duration, string, string][] = [
    ['P3M', '3 months', '3个月'],
    ['P1M', '1 month', '1个月'],
    [{ workingDays: 15 }, '15 working days', '15个工作日'],
    [{ workingDays: 1 }, '1 working day', '1个工作日'],
    ['PT5S', '5 seconds', '5秒'],
    ['PT1H', '1 hour', '1小时'],
    ['PT4H', '4 hours', '4小时'],
    ['P1Y2M', '1 year 2 months', '1年2个月'],
    ['P2W', '2 weeks', '2周'],
    ['P1DT12H', '1 day 12 hours', '1天12小时'],
    ['PT30M', '30 minutes', '30分钟'],
    ['PT1.5H', '1.5 hours', '1.5小时'],
    ['PT0.5S', '500 milliseconds', '500毫秒'],
    ['PT0S', '0 seconds', '0秒'],
    ['P12M', '12 months', '12个月'],
  ];

  it.each(cases)('%p → %p / %p', (duration, en, zh) => {
    expect(durationLabel(duration, 'en')).toBe(en);
    expect(durationLabel(duration, 'zh-CN')).toBe(zh);
  });

  it('rejects a bad ISO text', () => {
    expect(() => durationLabel('soon', 'en')).toThrow(DomainError);
  });
});
