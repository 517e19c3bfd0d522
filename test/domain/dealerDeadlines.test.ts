/**
 * Dealer deadlines in both forms of a policy duration (issue #20): the ones the dealer processes
 * chase from an instant (resubmission, confirmation, escalation) count working days on the business
 * calendar; the paper deadlines, counted in calendar days from dates on paper, refuse working days
 * in the policy itself instead of failing (or turning into NaN) later.
 */
import { say } from '../../platform/i18n/catalogue';
import { addDuration, addWorkingDays, endOfWorkingDay, makeCalendar } from '../../domain';
import { validatePolicyOverride } from '../../domain/policy';
import { dayClosedBy, middayOf, warrantyEndDate } from '../../processes/dealer/sales/rules';
import { dealerDeadlineAt, durationText } from '../../processes/dealer/rules';
import { resubmitRefusal } from '../../processes/dealer/claims/rules';

const cn = makeCalendar('cn');
/** A Shanghai wall-clock time as an instant. */
const sh = (local: string) => new Date(`${local}+08:00`);

describe('dealerDeadlineAt', () => {
  it('counts working days on the calendar: 5 working days from 2026-09-29 skip the National Day week', () => {
    const at = dealerDeadlineAt(sh('2026-09-29T15:00'), { workingDays: 5 }, cn, 'dealer.resubmitWithin');
    // 09-30, then 10-08 (first day back), 10-09, 10-10 (make-up Saturday), 10-12: due at the end of 10-12.
    expect(at).toEqual(sh('2026-10-13T00:00'));
    expect(at).toEqual(endOfWorkingDay(sh('2026-09-29T15:00'), 5, cn));
    expect(at).toEqual(addDuration(sh('2026-09-29T15:00'), { workingDays: 5 }, cn));
  });

  it('keeps the ISO arithmetic the dealer processes always used', () => {
    expect(dealerDeadlineAt(new Date('2026-05-01T08:00:00Z'), 'P30D', null, 'dealer.resubmitWithin')).toEqual(new Date('2026-05-31T08:00:00Z'));
    expect(dealerDeadlineAt(new Date('2026-05-01T08:00:00Z'), 'PT3S', null, 'dealer.resubmitWithin')).toEqual(new Date('2026-05-01T08:00:03Z'));
  });

  it('says which field needs the calendar when working days come without one', () => {
    expect(() => dealerDeadlineAt(new Date(), { workingDays: 3 }, null, 'dealer.settlementConfirmWithin')).toThrow(/dealer.settlementConfirmWithin/);
  });

  it('never answers an invalid date', () => {
    for (const duration of ['P10D', { workingDays: 1 }, { workingDays: 10 }] as const) {
      expect(Number.isNaN(dealerDeadlineAt(sh('2026-12-30T10:00'), duration, cn, 'f').getTime())).toBe(false);
    }
  });
});

describe('resubmitRefusal with a window in working days', () => {
  const sentBack = sh('2026-09-29T15:00');

  it('admits a resubmission up to the end of the 5th working day, refuses it after', () => {
    expect(resubmitRefusal(sentBack, sh('2026-10-12T23:59:59'), 0, { workingDays: 5 }, cn)).toBeNull();
    expect(say('en', resubmitRefusal(sentBack, sh('2026-10-13T00:00:01'), 0, { workingDays: 5 }, cn))).toMatch(/window closed at 2026-10-12T16:00:00.000Z/);
  });

  it('still allows one resubmission only', () => {
    expect(say('en', resubmitRefusal(sentBack, sh('2026-09-30T09:00'), 1, { workingDays: 5 }, cn))).toMatch(/only once/);
  });
});

describe('durationText', () => {
  it('shows an ISO duration as written and working days in words', () => {
    expect(durationText('PT3S')).toBe('PT3S');
    expect(durationText({ workingDays: 5 })).toBe('5 working days');
  });
});

describe('the dealer policy and working days', () => {
  it.each(['resubmitWithin', 'settlementConfirmWithin', 'settlementEscalateAfter'])('accepts working days for dealer.%s', (field) => {
    expect(validatePolicyOverride({ dealer: { [field]: { workingDays: 3 } } })).toMatchObject({ ok: true });
  });

  it.each([
    ['warrantyCardWithin', { workingDays: 20 }, 'dealer.warrantyCardWithin'],
    ['warrantyCardRemindersAt', [{ workingDays: 10 }], 'dealer.warrantyCardRemindersAt.0'],
    ['taskArrangeWithin', { workingDays: 1 }, 'dealer.taskArrangeWithin'],
    ['clerkCheckAt', { workingDays: 1 }, 'dealer.clerkCheckAt'],
    ['settlementPeriod', { workingDays: 20 }, 'dealer.settlementPeriod'],
    ['partsPlanLead', { workingDays: 20 }, 'dealer.partsPlanLead'],
    ['partsPlanRemindBefore', { workingDays: 5 }, 'dealer.partsPlanRemindBefore'],
  ])('refuses working days for dealer.%s, which counts calendar days or hours', (field, value, path) => {
    const result = validatePolicyOverride({ dealer: { [field]: value } });
    expect(result).toMatchObject({ ok: false, issues: [{ field: path, message: expect.stringMatching(/ISO-8601 duration.*working days do not apply/) }] });
  });

  it('still takes ISO durations there', () => {
    expect(validatePolicyOverride({ dealer: { warrantyCardWithin: 'P20D', settlementPeriod: 'P1M', partsPlanLead: 'PT10S' } })).toMatchObject({ ok: true });
  });
});

describe('a dealer-sold warranty in working days', () => {
  it('ends with the n-th working day after the sale date: 15 from 2026-09-21 end on 2026-10-19', () => {
    expect(warrantyEndDate('2026-09-21', { workingDays: 15 }, cn)).toBe('2026-10-19');
    expect(warrantyEndDate('2026-09-21', 'P12M')).toBe('2027-09-20');
    expect(() => warrantyEndDate('2026-09-21', { workingDays: 15 })).toThrow(/warranty.length/);
  });

  it('is the same day when the process counts it through the deadline kit (an instant, then its day)', () => {
    for (const [saleDate, n] of [['2026-09-21', 15], ['2026-09-30', 1], ['2026-12-31', 3], ['2026-03-07', 250]] as const) {
      const closes = addDuration(middayOf(saleDate, 'Asia/Shanghai'), { workingDays: n }, cn);
      expect(dayClosedBy(closes, 'Asia/Shanghai')).toBe(warrantyEndDate(saleDate, { workingDays: n }, cn));
      expect(dayClosedBy(closes, 'Asia/Shanghai')).toBe(addWorkingDays(saleDate, n, cn));
    }
  });
});
