import { addToLocalDate, endOfLocalDay, hasTimePart, startOfLocalDay } from '../../processes/dealer/rules';
import { words } from '../../domain/words';
import { say } from '../../platform/i18n/catalogue';
import { cardDueDate, cardReminderDates, cardStatus, warrantyEndDate, cardClock, cardInTime } from '../../processes/dealer/sales/rules';
import { dealerTaskTimes } from '../../processes/dealer/tasks/rules';
import { checkClaim, claimRefused, decisionWords, judgeDecision, type DecisionRefusal, lineAmount, linesLostToMissingParts, maxApprovable, oldPartReturnDueDate, resubmitRefusal, sampledForAudit, type ClaimLimits, type ClaimLineInput, type ClaimToCheck, type SaleFacts } from '../../processes/dealer/claims/rules';
import { periodBounds, periodOf, statementTotals } from '../../processes/dealer/settlement/rules';
import { partsPlanDueDates, partsPlanClock, partsPlanRefusal } from '../../processes/dealer/partsPlans/rules';
import { DEFAULT_POLICY, mergePolicy } from '../../domain/policy';

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const policy = DEFAULT_POLICY.dealer;

/** A decision's refusal as an English reader is told it. */
const said = (answer: ReturnType<typeof judgeDecision>): string | undefined => ('refused' in answer ? say('en', decisionWords(answer.refused)) : undefined);

describe('warranty card deadline', () => {
  const sale = '2026-03-01';
  it('falls due 20 days after the sale', () => {
    expect(cardDueDate(sale, policy.warrantyCardWithin)).toBe('2026-03-21');
  });
  it.each([
    ['day 0', '2026-03-01', 'in_time'],
    ['day 19', '2026-03-20', 'in_time'],
    ['day 20', '2026-03-21', 'in_time'],
    ['day 21', '2026-03-22', 'late'],
    ['day 40', '2026-04-10', 'late'],
  ])('a card on %s is %s', (_label, cardDate, expected) => {
    expect(cardStatus(sale, cardDate, policy.warrantyCardWithin)).toBe(expected);
  });
  it('counts across a month end and a leap day', () => {
    expect(cardDueDate('2028-02-15', 'P20D')).toBe('2028-03-06');
    expect(cardStatus('2028-02-15', '2028-03-06', 'P20D')).toBe('in_time');
    expect(cardStatus('2028-02-15', '2028-03-07', 'P20D')).toBe('late');
  });
  it('refuses a card dated before the sale', () => {
    expect(() => cardStatus(sale, '2026-02-28', 'P20D')).toThrow(/before the sale/);
  });
  it('reminds on days 10 and 17 by default, dropping reminders at or after the due date', () => {
    expect(cardReminderDates(sale, policy.warrantyCardRemindersAt, policy.warrantyCardWithin)).toEqual(['2026-03-11', '2026-03-18']);
    expect(cardReminderDates(sale, ['P17D', 'P10D', 'P20D', 'P25D'], 'P20D')).toEqual(['2026-03-11', '2026-03-18']);
  });
  it('refuses working-day durations and malformed dates', () => {
    expect(() => cardDueDate(sale, { workingDays: 20 })).toThrow(/dealer.warrantyCardWithin/);
    expect(() => cardDueDate('2026-02-30', 'P20D')).toThrow(/YYYY-MM-DD/);
    expect(() => addToLocalDate('01/03/2026', 'P1D')).toThrow(/YYYY-MM-DD/);
  });
  it('starts the warranty on the sale date: 12 months end the day before the anniversary', () => {
    expect(warrantyEndDate('2026-03-01', 'P12M')).toBe('2027-02-28');
    expect(warrantyEndDate('2027-03-01', 'P12M')).toBe('2028-02-29');
  });
});

describe('old-part return deadline', () => {
  const deadlines = policy.oldPartReturnDeadlines;
  it.each([
    ['2026-01-01', '2026-06-30'],
    ['2026-06-29', '2026-06-30'],
    ['2026-06-30', '2026-12-31'],
    ['2026-07-01', '2026-12-31'],
    ['2026-12-30', '2026-12-31'],
    ['2026-12-31', '2027-06-30'],
  ])('a claim of %s returns its parts by %s', (submitted, due) => {
    expect(oldPartReturnDueDate(submitted, deadlines)).toBe(due);
  });
  it('works with one yearly date and unsorted lists', () => {
    expect(oldPartReturnDueDate('2026-11-20', ['03-31'])).toBe('2027-03-31');
    expect(oldPartReturnDueDate('2026-11-20', ['12-31', '03-31', '09-30'])).toBe('2026-12-31');
  });
  it('needs a date', () => {
    expect(() => oldPartReturnDueDate('2026-01-01', [])).toThrow(/at least one/);
  });
});

const limits: ClaimLimits = {
  partsOnModel: ['P-100', 'P-200'],
  operationHundredths: { 'replace-pump': 150, inspect: 50 },
  maxLabourRate: cny(8000),
  travelCap: cny(50000),
};

const cleanLines: ClaimLineInput[] = [
  { kind: 'part', partNo: 'P-100', quantity: 2, unitPrice: cny(12345) },
  { kind: 'labour', operation: 'replace-pump', hundredthsOfHour: 150, rate: cny(8000), partLineNo: 1 },
  { kind: 'travel', amount: cny(30000) },
  { kind: 'other', amount: cny(1999), description: 'sealant' },
];
const claim: ClaimToCheck = { dealerId: 7, deviceSerial: 'SN-1', faultCode: 'E42', repairDate: '2026-05-10', lines: cleanLines };
const sale: SaleFacts = { dealerId: 7, saleDate: '2026-03-01', warranty: 'recognised', warrantyEndsOn: '2027-02-28' };

describe('claim checks', () => {
  it('passes a clean claim', () => {
    const result = checkClaim(claim, sale, limits, []);
    expect(result).toEqual({ claimCodes: [], lineCodes: [[], [], [], []] });
    expect(claimRefused(result)).toBe(false);
  });

  it.each<[string, SaleFacts | null, Partial<ClaimToCheck>, string[]]>([
    ['no sale record', null, {}, ['NO_SALE_RECORD']],
    ['sold by another dealer', { ...sale, dealerId: 8 }, {}, ['NOT_SOLD_BY_DEALER']],
    ['card late', { ...sale, warranty: 'not_recognised', warrantyEndsOn: null }, {}, ['WARRANTY_NOT_RECOGNISED']],
    ['card still pending', { ...sale, warranty: 'pending', warrantyEndsOn: null }, {}, ['WARRANTY_PENDING_CARD']],
    ['repair before the sale', sale, { repairDate: '2026-02-28' }, ['WARRANTY_NOT_IN_FORCE']],
    ['repair on the last warranty day', sale, { repairDate: '2027-02-28' }, []],
    ['repair the day after warranty', sale, { repairDate: '2027-03-01' }, ['WARRANTY_NOT_IN_FORCE']],
    ['repair on the sale date', sale, { repairDate: '2026-03-01' }, []],
    // Another dealer's card is not the claimant's to learn about (its records answer 404 elsewhere).
    ['another dealer, card late', { ...sale, dealerId: 8, warranty: 'not_recognised', warrantyEndsOn: null }, {}, ['NOT_SOLD_BY_DEALER']],
    ['another dealer, card pending', { ...sale, dealerId: 8, warranty: 'pending', warrantyEndsOn: null }, {}, ['NOT_SOLD_BY_DEALER']],
    ['another dealer, warranty over', { ...sale, dealerId: 8 }, { repairDate: '2027-03-01' }, ['NOT_SOLD_BY_DEALER']],
    ['mixed currencies', sale, { lines: [cleanLines[0]!, { kind: 'other', amount: { amount: 100, currency: 'USD' }, description: 'x' }] }, ['MIXED_CURRENCIES']],
  ])('claim code: %s', (_label, saleFacts, change, codes) => {
    expect(checkClaim({ ...claim, ...change }, saleFacts, limits, []).claimCodes).toEqual(codes);
  });

  it('finds a duplicate on the same device, fault (any case, trimmed) and repair date', () => {
    expect(checkClaim(claim, sale, limits, [{ deviceSerial: 'SN-1', faultCode: ' e42 ', repairDate: '2026-05-10' }]).claimCodes).toEqual(['DUPLICATE_CLAIM']);
    expect(checkClaim(claim, sale, limits, [{ deviceSerial: 'SN-1', faultCode: 'E42', repairDate: '2026-05-11' }]).claimCodes).toEqual([]);
    expect(checkClaim(claim, sale, limits, [{ deviceSerial: 'SN-2', faultCode: 'E42', repairDate: '2026-05-10' }]).claimCodes).toEqual([]);
    expect(checkClaim(claim, sale, limits, [{ deviceSerial: 'SN-1', faultCode: 'E43', repairDate: '2026-05-10' }]).claimCodes).toEqual([]);
  });

  it.each<[string, ClaimLineInput, string[]]>([
    ['part off the list', { kind: 'part', partNo: 'P-999', quantity: 1, unitPrice: cny(100) }, ['PART_NOT_ON_MODEL_LIST']],
    ['unknown operation', { kind: 'labour', operation: 'paint', hundredthsOfHour: 100, rate: cny(8000) }, ['UNKNOWN_OPERATION']],
    ['hours above standard', { kind: 'labour', operation: 'inspect', hundredthsOfHour: 51, rate: cny(8000) }, ['LABOUR_HOURS_ABOVE_LIMIT']],
    ['hours at standard', { kind: 'labour', operation: 'inspect', hundredthsOfHour: 50, rate: cny(8000) }, []],
    ['rate above limit', { kind: 'labour', operation: 'inspect', hundredthsOfHour: 50, rate: cny(8001) }, ['LABOUR_RATE_ABOVE_LIMIT']],
    ['rate in another currency', { kind: 'labour', operation: 'inspect', hundredthsOfHour: 50, rate: { amount: 10, currency: 'USD' } }, ['LABOUR_RATE_ABOVE_LIMIT']],
    ['both above', { kind: 'labour', operation: 'inspect', hundredthsOfHour: 60, rate: cny(9000) }, ['LABOUR_HOURS_ABOVE_LIMIT', 'LABOUR_RATE_ABOVE_LIMIT']],
    ['labour for a line that is no part', { kind: 'labour', operation: 'inspect', hundredthsOfHour: 50, rate: cny(8000), partLineNo: 3 }, ['UNKNOWN_PART_LINE']],
    ['labour for a line that does not exist', { kind: 'labour', operation: 'inspect', hundredthsOfHour: 50, rate: cny(8000), partLineNo: 9 }, ['UNKNOWN_PART_LINE']],
    ['travel above cap', { kind: 'travel', amount: cny(50001) }, ['TRAVEL_ABOVE_CAP']],
    ['travel at cap', { kind: 'travel', amount: cny(50000) }, []],
  ])('line code: %s', (_label, line, codes) => {
    const result = checkClaim({ ...claim, lines: [cleanLines[0]!, cleanLines[2]!, line] }, sale, limits, []);
    expect(result.lineCodes[2]).toEqual(codes);
    expect(result.lineCodes.slice(0, 2)).toEqual([[], []]);
  });
});

describe('line amounts and limits', () => {
  it('multiplies parts and labour in minor units, rounding half up', () => {
    expect(lineAmount(cleanLines[0]!)).toEqual(cny(24690));
    expect(lineAmount(cleanLines[1]!)).toEqual(cny(12000));
    expect(lineAmount({ kind: 'labour', operation: 'x', hundredthsOfHour: 150, rate: cny(3333) })).toEqual(cny(5000));
    expect(lineAmount({ kind: 'labour', operation: 'x', hundredthsOfHour: 33, rate: cny(100) })).toEqual(cny(33));
    expect(lineAmount({ kind: 'labour', operation: 'x', hundredthsOfHour: 1, rate: cny(49) })).toEqual(cny(0));
    expect(lineAmount({ kind: 'labour', operation: 'x', hundredthsOfHour: 1, rate: cny(50) })).toEqual(cny(1));
  });
  it('caps labour at standard hours and the maximum rate, travel at the cap, and pays nothing for unlisted parts', () => {
    expect(maxApprovable({ kind: 'labour', operation: 'replace-pump', hundredthsOfHour: 200, rate: cny(9000) }, limits, ['LABOUR_HOURS_ABOVE_LIMIT', 'LABOUR_RATE_ABOVE_LIMIT'])).toEqual(cny(12000));
    expect(maxApprovable({ kind: 'travel', amount: cny(70000) }, limits, ['TRAVEL_ABOVE_CAP'])).toEqual(cny(50000));
    expect(maxApprovable({ kind: 'part', partNo: 'P-999', quantity: 1, unitPrice: cny(100) }, limits, ['PART_NOT_ON_MODEL_LIST'])).toEqual(cny(0));
    expect(maxApprovable(cleanLines[3]!, limits, [])).toEqual(cny(1999));
  });
});

describe('decisions', () => {
  const received = { receivedOn: '2026-06-01', appraisal: 'quality_fault' as const };
  it('approves a clean part line once received and appraised as a quality fault (or usable, or scrap)', () => {
    expect(judgeDecision({ line: cleanLines[0]!, codes: [], partReturn: received }, { kind: 'approve' }, limits)).toEqual({ approved: cny(24690) });
    expect(judgeDecision({ line: cleanLines[0]!, codes: [], partReturn: { ...received, appraisal: 'scrap' } }, { kind: 'approve' }, limits)).toEqual({ approved: cny(24690) });
  });
  it.each([
    ['not received', { receivedOn: null, appraisal: null }, /not been received/],
    ['not appraised', { receivedOn: '2026-06-01', appraisal: null }, /not been appraised/],
    ['no quality fault', { receivedOn: '2026-06-01', appraisal: 'not_quality_fault' as const }, /no quality fault/],
  ])('refuses to approve a part %s', (_label, partReturn, message) => {
    const answer = judgeDecision({ line: cleanLines[0]!, codes: [], partReturn }, { kind: 'approve' }, limits);
    expect(said(answer)).toMatch(message);
  });
  it('refuses a full approval above the limits but allows a part up to the ceiling', () => {
    const travel: ClaimLineInput = { kind: 'travel', amount: cny(70000) };
    // Amounts are said in yuan with their currency, never in fen.
    expect(said(judgeDecision({ line: travel, codes: ['TRAVEL_ABOVE_CAP'] }, { kind: 'approve' }, limits))).toMatch(/at most 500\.00 CNY/);
    expect(judgeDecision({ line: travel, codes: ['TRAVEL_ABOVE_CAP'] }, { kind: 'approve_part', amount: cny(50000) }, limits)).toEqual({ approved: cny(50000) });
    expect(said(judgeDecision({ line: travel, codes: ['TRAVEL_ABOVE_CAP'] }, { kind: 'approve_part', amount: cny(50001) }, limits))).toBe('at most 500.00 CNY may be approved.');
    expect(say('zh-CN', decisionWords((judgeDecision({ line: travel, codes: ['TRAVEL_ABOVE_CAP'] }, { kind: 'approve_part', amount: cny(50001) }, limits) as { refused: DecisionRefusal }).refused, 2))).toBe('第 2 行：最多可核准 500.00 CNY。');
    expect(said(judgeDecision({ line: travel, codes: [] }, { kind: 'approve_part', amount: cny(0) }, limits))).toMatch(/more than zero/);
    expect(said(judgeDecision({ line: travel, codes: [] }, { kind: 'approve_part', amount: { amount: 1, currency: 'USD' } }, limits))).toBe('the amount must be in CNY.');
  });
  it('needs a reason to reject or send back', () => {
    expect(said(judgeDecision({ line: cleanLines[2]!, codes: [] }, { kind: 'reject', reason: ' ' }, limits))).toBe('a reason is required.');
    expect(judgeDecision({ line: cleanLines[2]!, codes: [] }, { kind: 'reject', reason: 'not covered' }, limits)).toEqual({ approved: null });
    expect(judgeDecision({ line: cleanLines[2]!, codes: [] }, { kind: 'send_back', reason: 'photo missing' }, limits)).toEqual({ approved: null });
  });
});

describe('parts late', () => {
  const returns = new Map([
    [1, { receivedOn: null, appraisal: null }],
    [5, { receivedOn: '2026-06-30', appraisal: null }],
  ]);
  const lines: ClaimLineInput[] = [...cleanLines, { kind: 'part', partNo: 'P-200', quantity: 1, unitPrice: cny(500) }, { kind: 'labour', operation: 'inspect', hundredthsOfHour: 50, rate: cny(8000), partLineNo: 5 }];
  it('loses nothing until the due date has passed', () => {
    expect(linesLostToMissingParts(lines, returns, '2026-06-30', '2026-06-30')).toEqual([]);
  });
  it('after it, loses the missing part and the labour that fitted it, keeping the others', () => {
    expect(linesLostToMissingParts(lines, returns, '2026-06-30', '2026-07-01')).toEqual([1, 2]);
  });
  it('counts a part received after the due date as missing', () => {
    const late = new Map([...returns, [5, { receivedOn: '2026-07-02', appraisal: null }]]);
    expect(linesLostToMissingParts(lines, late, '2026-06-30', '2026-07-03')).toEqual([1, 2, 5, 6]);
  });
});

describe('audit sample and resubmission', () => {
  it('samples about the configured share, the same way every time', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => i + 1);
    const sampled = ids.filter((id) => sampledForAudit(id, 0.1)).length;
    expect(sampled).toBeGreaterThan(900);
    expect(sampled).toBeLessThan(1100);
    expect(ids.every((id) => sampledForAudit(id, 0.1) === sampledForAudit(id, 0.1))).toBe(true);
    expect(ids.some((id) => sampledForAudit(id, 0))).toBe(false);
    expect(ids.every((id) => sampledForAudit(id, 1))).toBe(true);
  });
  it('allows one resubmission within the window', () => {
    const sentBack = new Date('2026-05-01T08:00:00Z');
    expect(resubmitRefusal(sentBack, new Date('2026-05-31T08:00:00Z'), 0, 'P30D')).toBeNull();
    expect(say('en', resubmitRefusal(sentBack, new Date('2026-05-31T08:00:01Z'), 0, 'P30D'))).toMatch(/window closed/);
    expect(say('en', resubmitRefusal(sentBack, new Date('2026-05-02T08:00:00Z'), 1, 'P30D'))).toMatch(/only once/);
  });
});

describe('settlement periods and totals', () => {
  it('counts calendar months in Asia/Shanghai', () => {
    expect(periodOf(new Date('2026-11-30T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-11');
    expect(periodOf(new Date('2026-11-30T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-12');
    expect(periodBounds('2026-12', 'Asia/Shanghai')).toEqual({ start: new Date('2026-11-30T16:00:00Z'), end: new Date('2026-12-31T16:00:00Z') });
    expect(() => periodBounds('2026-13', 'Asia/Shanghai')).toThrow(/YYYY-MM/);
  });
  it('totals the lines not held, exactly, per currency', () => {
    expect(
      statementTotals([
        { approved: cny(1), held: false },
        { approved: cny(24690), held: false },
        { approved: cny(99999), held: true },
        { approved: { amount: 5, currency: 'USD' }, held: false },
      ]),
    ).toEqual([cny(24691), { amount: 5, currency: 'USD' }]);
    expect(statementTotals([])).toEqual([]);
    const tenths = Array.from({ length: 10 }, () => ({ approved: cny(10), held: false }));
    expect(statementTotals(tenths)).toEqual([cny(100)]);
  });
  it('refuses a total beyond exact integers', () => {
    expect(() => statementTotals([{ approved: cny(Number.MAX_SAFE_INTEGER), held: false }, { approved: cny(1), held: false }])).toThrow(/exact integer/);
  });
});

describe('policy fields for claims', () => {
  it('defaults the audit share, labour rate, travel cap and settlement time zone', () => {
    expect(policy.auditSampleRate).toBe(0.1);
    expect(policy.maxLabourRate).toEqual(cny(8000));
    expect(policy.travelCap).toEqual(cny(50000));
    expect(policy.settlementTimeZone).toBe('Asia/Shanghai');
  });
  it('merges a layer that changes them', () => {
    const merged = mergePolicy(DEFAULT_POLICY, { dealer: { auditSampleRate: 0.5, travelCap: { amount: 100, currency: 'CNY' } } });
    expect(merged.dealer.auditSampleRate).toBe(0.5);
    expect(merged.dealer.travelCap).toEqual(cny(100));
  });
});

describe('dealer tasks', () => {
  it('falls due 2 h after receipt, the clerk checking at 4 h', () => {
    expect(dealerTaskTimes(new Date('2026-12-31T23:00:00Z'), policy.taskArrangeWithin, policy.clerkCheckAt)).toEqual({
      arrangeDueAt: new Date('2027-01-01T01:00:00Z'),
      clerkCheckAt: new Date('2027-01-01T03:00:00Z'),
    });
  });
});

describe('the warranty card clock', () => {
  const policy = { warrantyCardWithin: 'P20D', warrantyCardRemindersAt: ['P10D', 'P17D'] };
  const shanghai = 'Asia/Shanghai';

  it('counts local days from the sale date: due at the end of day 20, reminders at the start of days 10 and 17', () => {
    const clock = cardClock('2026-11-01', new Date('2026-11-01T02:00:00Z'), policy, shanghai);
    expect(clock.dueAt).toEqual(new Date('2026-11-21T16:00:00Z'));
    expect(clock.reminders).toEqual([new Date('2026-11-10T16:00:00Z'), new Date('2026-11-17T16:00:00Z')]);
    expect(startOfLocalDay('2026-11-11', shanghai)).toEqual(new Date('2026-11-10T16:00:00Z'));
    expect(endOfLocalDay('2026-12-31', shanghai)).toEqual(new Date('2026-12-31T16:00:00Z'));
  });

  it('a card on day 19 or day 20 is in time, on day 21 it is late, and after the clock ran out it is late whatever its date', () => {
    const clock = cardClock('2026-11-01', new Date('2026-11-01T02:00:00Z'), policy, shanghai);
    expect(cardInTime('2026-11-01', '2026-11-20', new Date('2026-11-20T10:00:00Z'), clock, 'P20D')).toBe(true);
    expect(cardInTime('2026-11-01', '2026-11-21', new Date('2026-11-21T15:59:59Z'), clock, 'P20D')).toBe(true);
    expect(cardInTime('2026-11-01', '2026-11-22', new Date('2026-11-21T15:59:59Z'), clock, 'P20D')).toBe(false);
    expect(cardInTime('2026-11-01', '2026-11-20', new Date('2026-11-21T16:00:00Z'), clock, 'P20D')).toBe(false);
  });

  it('skips reminders already past when a sale is recorded late', () => {
    const clock = cardClock('2026-11-01', new Date('2026-11-12T00:00:00Z'), policy, shanghai);
    expect(clock.reminders).toEqual([new Date('2026-11-17T16:00:00Z')]);
    expect(cardClock('2026-10-01', new Date('2026-11-12T00:00:00Z'), policy, shanghai)).toEqual({ dueAt: new Date('2026-10-21T16:00:00Z'), reminders: [] });
  });

  it('counts a policy in hours or seconds from the moment the sale was recorded', () => {
    expect(hasTimePart('PT6S')).toBe(true);
    expect(hasTimePart('P20D')).toBe(false);
    const clock = cardClock('2026-11-01', new Date('2026-11-01T02:00:00Z'), { warrantyCardWithin: 'PT6S', warrantyCardRemindersAt: ['PT2S', 'PT4S', 'PT9S'] }, shanghai);
    expect(clock).toEqual({ dueAt: new Date('2026-11-01T02:00:06Z'), reminders: [new Date('2026-11-01T02:00:02Z'), new Date('2026-11-01T02:00:04Z')] });
  });
});

describe('the parts plan', () => {
  const shanghai = 'Asia/Shanghai';
  it('is due partsPlanLead before the next start of each season, across the year end', () => {
    expect(partsPlanDueDates(['03-01', '09-01'], 'P30D', '2026-12-01')).toEqual([
      { seasonStart: '2027-03-01', dueOn: '2027-01-30' },
      { seasonStart: '2027-09-01', dueOn: '2027-08-02' },
    ]);
    expect(partsPlanDueDates(['01-15'], 'P30D', '2026-12-01')).toEqual([{ seasonStart: '2027-01-15', dueOn: '2026-12-16' }]);
    expect(partsPlanDueDates(['01-15'], 'P30D', '2027-01-15')).toEqual([{ seasonStart: '2028-01-15', dueOn: '2027-12-16' }]);
  });

  it('leap years: 30 days before 1 March is 30 January, or 31 January in a leap year', () => {
    expect(partsPlanDueDates(['03-01'], 'P30D', '2027-06-01')).toEqual([{ seasonStart: '2028-03-01', dueOn: '2028-01-31' }]);
    expect(partsPlanDueDates(['03-01'], 'P30D', '2026-06-01')).toEqual([{ seasonStart: '2027-03-01', dueOn: '2027-01-30' }]);
  });

  it('a due date this year that has passed is still listed while its season is ahead (overdue)', () => {
    expect(partsPlanDueDates(['03-01'], 'P30D', '2027-02-10')).toEqual([{ seasonStart: '2027-03-01', dueOn: '2027-01-30' }]);
  });

  it('is due by the end of its due day in the settlement zone; the reminder at the start of the day partsPlanRemindBefore earlier, across the year end', () => {
    const policy = { partsPlanLead: 'P30D', partsPlanRemindBefore: 'P7D' };
    // Season 31 January 2027: due 1 January 2027, reminded 25 December 2026 (Shanghai midnight is 16:00 UTC the day before).
    const [plan] = partsPlanDueDates(['01-31'], 'P30D', '2026-12-01');
    expect(plan).toEqual({ seasonStart: '2027-01-31', dueOn: '2027-01-01' });
    expect(partsPlanClock(plan!.dueOn, new Date('2026-12-01T00:00:00Z'), policy, shanghai)).toEqual({
      dueAt: new Date('2027-01-01T16:00:00Z'),
      remindAt: new Date('2026-12-24T16:00:00Z'),
    });
    expect(partsPlanClock('2027-01-30', new Date('2026-12-01T00:00:00Z'), policy, 'UTC')).toEqual({ dueAt: new Date('2027-01-31T00:00:00Z'), remindAt: new Date('2027-01-23T00:00:00Z') });
  });

  it('a lead in seconds (tests, pilots) counts from the moment the plan was opened', () => {
    expect(partsPlanClock('2027-01-30', new Date('2026-12-01T02:00:00Z'), { partsPlanLead: 'PT6S', partsPlanRemindBefore: 'PT4S' }, shanghai)).toEqual({
      dueAt: new Date('2026-12-01T02:00:06Z'),
      remindAt: new Date('2026-12-01T02:00:02Z'),
    });
  });

  it('a plan needs lines, each part once, in whole positive quantities', () => {
    expect(partsPlanRefusal([{ partNo: 'P-1', quantity: 2 }, { partNo: 'P-2', quantity: 1 }])).toBeNull();
    expect(partsPlanRefusal([])).toEqual({ field: 'lines', message: words('refusal.dealer.planNoLines') });
    expect(partsPlanRefusal([{ partNo: 'P-1', quantity: 0 }])?.field).toBe('lines.0.quantity');
    expect(partsPlanRefusal([{ partNo: 'P-1', quantity: 1.5 }])?.field).toBe('lines.0.quantity');
    expect(partsPlanRefusal([{ partNo: 'P-1', quantity: 1 }, { partNo: ' P-1', quantity: 3 }])).toEqual({ field: 'lines.1.partNo', message: words('refusal.dealer.planPartTwice', { partNo: 'P-1' }) });
  });
});
