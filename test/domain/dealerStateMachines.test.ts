/**
 * The dealer claim's and statement's state machines (processes/dealer/claims/rules.ts,
 * processes/dealer/settlement/rules.ts): every status × every action, and what a decision or a
 * review does to lines, versions and totals. The expected tables are written out here, not derived.
 */
import { words } from '../../domain/words';
import { say } from '../../platform/i18n/catalogue';
import { CLAIM_ACTIONS, CLAIM_STATUSES, claimActionRefusal, claimActs, claimStatusAfterLines, decideLine, LINE_STATUSES, lineStatusAfter, type ClaimAction, type ClaimLimits, type ClaimStatus, type DecidedLine, type LineDecision, type LineStatus } from '../../processes/dealer/claims/rules';
import { confirmRefusal, correctionRefusal, reviewOutcome, SETTLEMENT_ACTIONS, SETTLEMENT_STATUSES, settlementActionRefusal, settlementStatusAfter, statementTotal, type SettlementAction, type SettlementStatus } from '../../processes/dealer/settlement/rules';

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const limits: ClaimLimits = { partsOnModel: ['P-1'], operationHundredths: { fit: 100 }, maxLabourRate: cny(10_000), travelCap: cny(20_000) };

// --- The claim ------------------------------------------------------------------------------------

/** Which action each claim status takes: ✓ takes and changes, ○ takes and leaves as it is, ✗ refuses. */
const CLAIM_TABLE: Record<ClaimStatus, Record<ClaimAction, '✓' | '○' | '✗'>> = {
  in_review: { 'parts-received': '✓', appraisal: '✓', audit: '✓', decision: '✓', resubmit: '✗', 'parts-deadline': '✓', 'resubmit-window': '○' },
  sent_back: { 'parts-received': '✗', appraisal: '✗', audit: '✗', decision: '✗', resubmit: '✓', 'parts-deadline': '✓', 'resubmit-window': '✓' },
  decided: { 'parts-received': '✗', appraisal: '✗', audit: '✗', decision: '✗', resubmit: '✗', 'parts-deadline': '✓', 'resubmit-window': '○' },
  rejected: { 'parts-received': '✗', appraisal: '✗', audit: '✗', decision: '✗', resubmit: '✗', 'parts-deadline': '✗', 'resubmit-window': '○' },
};

describe('the claim: which action in which status', () => {
  it('the table covers every status and action', () => {
    expect(Object.keys(CLAIM_TABLE).sort()).toEqual([...CLAIM_STATUSES].sort());
    for (const status of CLAIM_STATUSES) expect(Object.keys(CLAIM_TABLE[status]).sort()).toEqual([...CLAIM_ACTIONS].sort());
  });

  const cases = CLAIM_STATUSES.flatMap((status) => CLAIM_ACTIONS.map((action) => [status, action, CLAIM_TABLE[status][action]] as const));
  it.each(cases)('a claim %s, %s: %s', (status, action, expected) => {
    const refusal = claimActionRefusal(status, action);
    if (expected === '✗') {
      expect(refusal).toEqual(words('refusal.dealer.claimIs', { status }));
      expect(claimActs(status, action)).toBe(false);
    } else {
      expect(refusal).toBeNull();
      expect(claimActs(status, action)).toBe(expected === '✓');
    }
  });
});

const travel = (status: LineStatus, amount = 5_000): DecidedLine => ({ status, line: { kind: 'travel', amount: cny(amount) }, codes: [] });
const DECISIONS: Record<LineDecision['kind'], LineDecision> = {
  approve: { kind: 'approve' },
  approve_part: { kind: 'approve_part', amount: cny(3_000) },
  reject: { kind: 'reject', reason: 'not covered' },
  send_back: { kind: 'send_back', reason: 'receipt missing' },
};
/** What each decision writes on an open line of 50.00 travel (cap 200.00). */
const DECIDED: Record<LineDecision['kind'], { status: string; approved: { amount: number; currency: string } | null; reason: string | null }> = {
  approve: { status: 'approved', approved: cny(5_000), reason: null },
  approve_part: { status: 'approved', approved: cny(3_000), reason: null },
  reject: { status: 'rejected', approved: null, reason: 'not covered' },
  send_back: { status: 'sent_back', approved: null, reason: 'receipt missing' },
};

describe('a decision on a line: every line status × every decision', () => {
  const kinds = Object.keys(DECISIONS) as Array<LineDecision['kind']>;
  const cases = LINE_STATUSES.flatMap((status) => kinds.map((kind) => [status, kind] as const));
  it.each(cases)('a line %s, %s', (status, kind) => {
    const outcome = decideLine(3, travel(status), false, DECISIONS[kind], limits);
    if (status === 'open') expect(outcome).toEqual(DECIDED[kind]);
    else expect(outcome).toEqual({ refused: words('refusal.dealer.lineIs', { lineNo: 3, status }), field: 'lineNo' });
  });

  it.each(kinds)('%s on a line the claim does not have is refused on its lineNo', (kind) => {
    expect(decideLine(9, undefined, false, DECISIONS[kind], limits)).toEqual({ refused: words('refusal.dealer.noLine', { lineNo: 9 }), field: 'lineNo' });
  });

  it.each([
    ['approve', true],
    ['approve_part', true],
    ['reject', false],
    ['send_back', false],
  ] as const)('with the audit pending, %s is refused: %s', (kind, refused) => {
    const outcome = decideLine(1, travel('open'), true, DECISIONS[kind], limits);
    if (refused) expect(outcome).toEqual({ refused: words('refusal.dealer.auditFirst') });
    else expect(outcome).toEqual(DECIDED[kind]);
  });

  it('refuses what the line rules refuse, on the decision', () => {
    const told = (outcome: ReturnType<typeof decideLine>) => ('refused' in outcome ? { refused: say('en', outcome.refused), field: outcome.field } : outcome);
    expect(told(decideLine(2, travel('open', 30_000), false, { kind: 'approve' }, limits))).toEqual({ refused: 'Line 2: the line exceeds the policy limits (limit): approve part of it, at most 200.00 CNY.', field: 'decision' });
    expect(told(decideLine(2, travel('open'), false, { kind: 'reject', reason: ' ' }, limits))).toEqual({ refused: 'Line 2: a reason is required.', field: 'decision' });
    expect(told(decideLine(2, travel('open'), false, { kind: 'approve_part', amount: cny(6_000) }, limits))).toEqual({ refused: 'Line 2: at most 50.00 CNY may be approved.', field: 'decision' });
    const part: DecidedLine = { status: 'open', line: { kind: 'part', partNo: 'P-1', quantity: 1, unitPrice: cny(1_000) }, codes: [], partReturn: { receivedOn: null, appraisal: null } };
    expect(told(decideLine(1, part, false, { kind: 'approve' }, limits))).toEqual({ refused: 'Line 1: the old part has not been received.', field: 'decision' });
  });

  it.each([
    ['approve', 'approved'],
    ['approve_part', 'approved'],
    ['reject', 'rejected'],
    ['send_back', 'sent_back'],
  ] as const)('%s leaves the line %s', (kind, status) => {
    expect(lineStatusAfter(DECISIONS[kind])).toBe(status);
  });
});

describe("the claim's status once its lines changed", () => {
  it.each([
    [['approved', 'rejected', 'lost'], 'decided'],
    [['approved'], 'decided'],
    [[], 'decided'],
    [['approved', 'sent_back'], 'sent_back'],
    [['sent_back', 'sent_back', 'lost'], 'sent_back'],
    [['open', 'sent_back'], null],
    [['open', 'approved'], null],
    [['open'], null],
  ] as Array<[LineStatus[], 'decided' | 'sent_back' | null]>)('lines %j: %s', (lines, expected) => {
    expect(claimStatusAfterLines(lines)).toBe(expected);
  });

  it.each(LINE_STATUSES)('a single line %s', (status) => {
    expect(claimStatusAfterLines([status])).toBe(status === 'open' ? null : status === 'sent_back' ? 'sent_back' : 'decided');
  });
});

// --- The statement ------------------------------------------------------------------------------------

/** The status each action leaves a statement in, or ✗ when the statement refuses it. */
const SETTLEMENT_TABLE: Record<SettlementStatus, Record<SettlementAction, SettlementStatus | '✗'>> = {
  review: { review: 'sent', confirm: '✗', dispute: '✗' },
  sent: { review: '✗', confirm: 'confirmed', dispute: 'disputed' },
  confirmed: { review: '✗', confirm: '✗', dispute: '✗' },
  disputed: { review: 'sent', confirm: '✗', dispute: '✗' },
};

describe('the statement: which action in which status', () => {
  it('the table covers every status and action', () => {
    expect(Object.keys(SETTLEMENT_TABLE).sort()).toEqual([...SETTLEMENT_STATUSES].sort());
    for (const status of SETTLEMENT_STATUSES) expect(Object.keys(SETTLEMENT_TABLE[status]).sort()).toEqual([...SETTLEMENT_ACTIONS].sort());
  });

  const cases = SETTLEMENT_STATUSES.flatMap((status) => SETTLEMENT_ACTIONS.map((action) => [status, action, SETTLEMENT_TABLE[status][action]] as const));
  it.each(cases)('a statement %s, %s → %s', (status, action, expected) => {
    if (expected === '✗') expect(settlementActionRefusal(status, action)).toEqual(words('refusal.dealer.statementIs', { status }));
    else {
      expect(settlementActionRefusal(status, action)).toBeNull();
      expect(settlementStatusAfter(action)).toBe(expected);
    }
  });
});

describe("finance's review of a statement", () => {
  it.each([
    // status, version, answer, changes lines → outcome
    ['review', 1, undefined, false, { version: 1, disputeAnswer: null }],
    ['review', 1, undefined, true, { version: 1, disputeAnswer: null }],
    ['review', 2, 'ignored', true, { version: 2, disputeAnswer: null }],
    ['disputed', 1, 'corrected line 4', true, { version: 2, disputeAnswer: 'corrected line 4' }],
    ['disputed', 1, 'the amounts stand', false, { version: 1, disputeAnswer: 'the amounts stand' }],
    ['disputed', 3, undefined, true, { refused: words('refusal.dealer.answerDispute'), field: 'answer' }],
    ['disputed', 3, '  ', false, { refused: words('refusal.dealer.answerDispute'), field: 'answer' }],
  ] as const)('a statement %s at v%d, answer %j, lines changed %s', (status, version, answer, changesLines, expected) => {
    expect(reviewOutcome({ status, version }, { answer, changesLines })).toEqual(expected);
  });

  it('corrects a line to at most what was claimed', () => {
    expect(correctionRefusal(7, 1_000, 1_000)).toBeNull();
    expect(correctionRefusal(7, 0, 1_000)).toBeNull();
    expect(say('en', correctionRefusal(7, 1_001, 1_000))).toBe('At most 10.00 CNY was claimed for line 7.');
    expect(say('zh-CN', correctionRefusal(7, 1_001, 1_000))).toBe('第 7 行索赔金额最多为 10.00 CNY。');
  });

  it('totals the lines left on the statement, exactly', () => {
    expect(statementTotal([])).toBe(0);
    expect(statementTotal([1_000, 2_550, 1])).toBe(3_551);
    expect(() => statementTotal([Number.MAX_SAFE_INTEGER, 1])).toThrow(/exact integer range/);
  });
});

describe("the dealer's confirmation", () => {
  it('confirms the version it read only', () => {
    expect(confirmRefusal(2, 2)).toBeNull();
    expect(say('en', confirmRefusal(2, 1))).toBe('The statement is at version 2, not 1.');
    expect(confirmRefusal(1, 2)).toEqual(words('refusal.dealer.versionMismatch', { current: 1, version: 2 }));
    expect(say('zh-CN', confirmRefusal(1, 2))).toBe('结算单当前为第 1 版，而非第 2 版。');
  });
});
