import fc from 'fast-check';
import { DomainError, addDuration, dueAt, hasDataFor, makeCalendar, subtractDuration, type BusinessCalendar, type Duration } from '../../domain';

/** The PRC calendar as the store serves it today: only 2026 is loaded. */
const cn: BusinessCalendar = { ...makeCalendar('cn'), years: [2026] };
/** A Shanghai wall-clock time as an instant. */
const sh = (local: string) => new Date(`${local}+08:00`);

describe('hasDataFor', () => {
  it('knows the loaded years, and every year of a calendar without yearly data', () => {
    expect(hasDataFor(cn, 2026)).toBe(true);
    expect(hasDataFor(cn, 2027)).toBe(false);
    expect(hasDataFor(cn, 2025)).toBe(false);
    expect(hasDataFor(makeCalendar('weekends'), 2099)).toBe(true);
    expect(hasDataFor({ ...cn, years: [] }, 2026)).toBe(false);
  });
});

describe('dueAt', () => {
  it('computes what addDuration and subtractDuration compute', () => {
    const from = sh('2026-09-21T10:00');
    expect(dueAt(from, { workingDays: 15 }, cn, 'add')).toEqual({ at: addDuration(from, { workingDays: 15 }, cn), provisional: false, missingYears: [] });
    expect(dueAt(from, { workingDays: 15 }, cn, 'add').at).toEqual(sh('2026-10-20T00:00')); // the end of 10-19
    expect(dueAt(from, { workingDays: 3 }, cn, 'subtract')).toEqual({ at: subtractDuration(from, { workingDays: 3 }, cn), provisional: false, missingYears: [] });
    expect(dueAt(from, 'P3M', cn, 'add').at).toEqual(sh('2026-12-21T10:00'));
    expect(dueAt(from, 'P7D', cn, 'subtract').at).toEqual(sh('2026-09-14T10:00'));
  });

  it('never marks an ISO duration provisional, even across years without data', () => {
    expect(dueAt(sh('2026-11-01T10:00'), 'P3M', cn, 'add')).toEqual({ at: sh('2027-02-01T10:00'), provisional: false, missingYears: [] });
    expect(dueAt(sh('2027-03-01T10:00'), 'P12M', cn, 'subtract')).toEqual({ at: sh('2026-03-01T10:00'), provisional: false, missingYears: [] });
    expect(dueAt(sh('2030-01-01T10:00'), 'PT4H', cn, 'add').provisional).toBe(false);
  });

  it('marks working days counted in a year without data provisional, counting weekends only there', () => {
    // Thu 12-31 is the 1st working day, Fri 2027-01-01 the 2nd: in 2027 nobody knows yet whether it is New Year's Day off.
    expect(dueAt(sh('2026-12-30T10:00'), { workingDays: 2 }, cn, 'add')).toEqual({ at: sh('2027-01-02T00:00'), provisional: true, missingYears: [2027] });
    expect(dueAt(sh('2027-03-01T10:00'), { workingDays: 15 }, cn, 'add')).toEqual({ at: sh('2027-03-23T00:00'), provisional: true, missingYears: [2027] });
  });

  it('looks only at the days actually counted at the turn of the year (add)', () => {
    // 12-31 is the only day counted: the deadline is the midnight that opens 2027, yet it rests on 2026 alone.
    expect(dueAt(sh('2026-12-30T10:00'), { workingDays: 1 }, cn, 'add')).toEqual({ at: sh('2027-01-01T00:00'), provisional: false, missingYears: [] });
    // A start at exactly midnight closes the day before (as addDuration counts it): 12-31 is counted, 2027 is not.
    expect(dueAt(sh('2026-12-31T00:00'), { workingDays: 1 }, cn, 'add')).toEqual({ at: sh('2027-01-01T00:00'), provisional: false, missingYears: [] });
    expect(dueAt(sh('2027-01-01T00:00'), { workingDays: 1 }, cn, 'add')).toEqual({ at: sh('2027-01-02T00:00'), provisional: true, missingYears: [2027] });
    expect(dueAt(sh('2026-12-31T10:00'), { workingDays: 1 }, cn, 'add')).toEqual({ at: sh('2027-01-02T00:00'), provisional: true, missingYears: [2027] });
  });

  it('looks only at the days actually counted at the turn of the year (subtract)', () => {
    // Due at the end of Mon 2027-01-04: one working day before is Fri 2027-01-01 on weekends only.
    expect(dueAt(sh('2027-01-05T00:00'), { workingDays: 1 }, cn, 'subtract')).toEqual({ at: sh('2027-01-01T00:00'), provisional: true, missingYears: [2027] });
    // Due at the end of 2027-01-01: the due day itself is not counted, only 12-31 before it.
    expect(dueAt(sh('2027-01-02T00:00'), { workingDays: 1 }, cn, 'subtract')).toEqual({ at: sh('2026-12-31T00:00'), provisional: false, missingYears: [] });
    expect(dueAt(sh('2027-01-01T00:00'), { workingDays: 1 }, cn, 'subtract')).toEqual({ at: sh('2026-12-30T00:00'), provisional: false, missingYears: [] });
  });

  it('lists every year without data that a long count crosses, before and after the loaded one', () => {
    const deadline = dueAt(sh('2025-12-15T09:00'), { workingDays: 300 }, cn, 'add');
    expect(deadline.provisional).toBe(true);
    expect(deadline.missingYears).toEqual([2025, 2027]);
    expect(dueAt(sh('2025-06-02T09:00'), { workingDays: 900 }, cn, 'add').missingYears).toEqual([2025, 2027, 2028]);
  });

  it('follows a negative count backwards', () => {
    expect(dueAt(sh('2027-01-05T10:00'), { workingDays: -2 }, cn, 'add')).toEqual({ at: sh('2027-01-02T00:00'), provisional: true, missingYears: [2027] });
    expect(dueAt(sh('2027-01-01T10:00'), { workingDays: -1 }, cn, 'add')).toEqual({ at: sh('2027-01-01T00:00'), provisional: false, missingYears: [] });
    expect(dueAt(sh('2026-12-30T10:00'), { workingDays: -1 }, cn, 'subtract')).toEqual({ at: sh('2026-12-31T00:00'), provisional: false, missingYears: [] });
    expect(dueAt(sh('2026-12-31T10:00'), { workingDays: -1 }, cn, 'subtract')).toEqual({ at: sh('2027-01-01T00:00'), provisional: true, missingYears: [2027] });
  });

  it('is never provisional for zero working days or a calendar without yearly data', () => {
    expect(dueAt(sh('2030-05-05T10:00'), { workingDays: 0 }, cn, 'add').provisional).toBe(false);
    expect(dueAt(sh('2030-05-05T10:00'), { workingDays: 10 }, makeCalendar('weekends'), 'add').provisional).toBe(false);
    // A policy's embedded calendar (no `years`) keeps today's behaviour: nothing is flagged.
    expect(dueAt(sh('2030-05-05T10:00'), { workingDays: 10 }, makeCalendar('cn'), 'add').provisional).toBe(false);
  });

  it('refuses a bad operation or duration with a DomainError naming the field', () => {
    expect(() => dueAt(sh('2026-05-05T10:00'), 'P1D', cn, 'times' as never)).toThrow(expect.objectContaining({ field: 'op' }));
    expect(() => dueAt(sh('2026-05-05T10:00'), '3 days', cn, 'add')).toThrow(DomainError);
    expect(() => dueAt(sh('2026-05-05T10:00'), { workingDays: 1.5 }, cn, 'add')).toThrow(expect.objectContaining({ field: 'workingDays' }));
  });

  it('a result that is not provisional does not change whatever the missing years turn out to hold', () => {
    const DAY = 86_400_000;
    const anyDayIn = (year: number) => fc.integer({ min: 0, max: 364 }).map((d) => new Date(Date.UTC(year, 0, 1) + d * DAY).toISOString().slice(0, 10));
    const instants = fc.integer({ min: Date.UTC(2025, 10, 1), max: Date.UTC(2027, 1, 28) }).map((ms) => new Date(ms));
    const durations: fc.Arbitrary<Duration> = fc.oneof(fc.integer({ min: -40, max: 40 }).map((n) => ({ workingDays: n })), fc.constantFrom('P3M', 'P7D', 'PT4H'));
    fc.assert(
      fc.property(instants, durations, fc.constantFrom('add' as const, 'subtract' as const), fc.array(fc.oneof(anyDayIn(2025), anyDayIn(2027)), { maxLength: 40 }), fc.array(fc.oneof(anyDayIn(2025), anyDayIn(2027)), { maxLength: 10 }), (from, duration, op, extraHolidays, extraMakeup) => {
        const deadline = dueAt(from, duration, cn, op);
        // The days off and make-up days of 2025 and 2027, once announced, could be any days at all.
        const makeup = extraMakeup.filter((d) => !extraHolidays.includes(d));
        const announced: BusinessCalendar = { ...cn, holidays: [...cn.holidays, ...extraHolidays], makeupWorkdays: [...cn.makeupWorkdays, ...makeup], years: [2025, 2026, 2027] };
        const final = dueAt(from, duration, announced, op);
        expect(final.provisional).toBe(false);
        if (!deadline.provisional) expect(final.at).toEqual(deadline.at);
        expect(deadline.missingYears.every((year) => year === 2025 || year === 2027)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
