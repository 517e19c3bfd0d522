/** Claims: old-part return, cost lines and automatic checks, parts, appraisal, audit and decisions. */
import { DateTime } from 'luxon';
import type { Duration } from '../../../domain/duration';
import type { BusinessCalendar } from '../../../domain/calendar';
import { toDecimalString, type Money } from '../../../domain/money';
import { words, type Words } from '../../../domain/words';
import { dealerDeadlineAt, isoDate, localDate } from '../rules';

// ---------------------------------------------------------------------------------------------
// Old-part return

/**
 * The old parts of a claim submitted on `submittedOn` are due by the next configured `MM-DD` date
 * strictly after it (default 06-30 and 12-31): a claim of 30 June waits until 31 December, one of
 * 31 December until 30 June of the next year.
 */
export function oldPartReturnDueDate(submittedOn: string, deadlines: readonly string[]): string {
  if (deadlines.length === 0) throw new RangeError('dealer.oldPartReturnDeadlines needs at least one date');
  const from = localDate(submittedOn, 'submittedOn');
  const candidates = [from.year, from.year + 1].flatMap((year) => deadlines.map((monthDay) => localDate(`${year}-${monthDay}`, 'dealer.oldPartReturnDeadlines')));
  const next = candidates.filter((date) => date > from).sort((a, b) => a.toMillis() - b.toMillis())[0];
  return isoDate(next!);
}

// ---------------------------------------------------------------------------------------------
// Claims: cost lines and automatic checks

export type LineKind = 'part' | 'labour' | 'travel' | 'other';

export type ClaimLineInput =
  | { kind: 'part'; partNo: string; quantity: number; unitPrice: Money }
  /** `hundredthsOfHour`: 150 is 1.5 h; `partLineNo` names the part line this labour fitted (1-based). */
  | { kind: 'labour'; operation: string; hundredthsOfHour: number; rate: Money; partLineNo?: number }
  | { kind: 'travel'; amount: Money; distanceKm?: number }
  | { kind: 'other'; amount: Money; description: string };

/** Rounds half up: 1.5 h × ¥33.33 = ¥49.995 → ¥50.00 (4 999.5 fen → 5 000 fen). */
function timesHundredths(amount: number, hundredths: number): number {
  return Math.floor((amount * hundredths + 50) / 100);
}

/** What the dealer claims for the line, in the line's currency. */
export function lineAmount(line: ClaimLineInput): Money {
  switch (line.kind) {
    case 'part':
      return { amount: line.unitPrice.amount * line.quantity, currency: line.unitPrice.currency };
    case 'labour':
      return { amount: timesHundredths(line.rate.amount, line.hundredthsOfHour), currency: line.rate.currency };
    case 'travel':
    case 'other':
      return line.amount;
  }
}

export const lineCurrency = (line: ClaimLineInput): string => lineAmount(line).currency;

/** Reason codes of the automatic checks; claim codes refuse the whole claim, line codes flag one line. */
export const CLAIM_REASON_CODES = ['NO_SALE_RECORD', 'NOT_SOLD_BY_DEALER', 'WARRANTY_NOT_RECOGNISED', 'WARRANTY_PENDING_CARD', 'WARRANTY_NOT_IN_FORCE', 'DUPLICATE_CLAIM', 'MIXED_CURRENCIES'] as const;
export type ClaimReasonCode = (typeof CLAIM_REASON_CODES)[number];

export const LINE_REASON_CODES = ['PART_NOT_ON_MODEL_LIST', 'UNKNOWN_OPERATION', 'LABOUR_RATE_ABOVE_LIMIT', 'LABOUR_HOURS_ABOVE_LIMIT', 'TRAVEL_ABOVE_CAP', 'UNKNOWN_PART_LINE'] as const;
export type LineReasonCode = (typeof LINE_REASON_CODES)[number];

/** The sale the claim's device goes back to, as the warranty card left it. */
export interface SaleFacts {
  dealerId: number;
  saleDate: string;
  /** pending: no card yet and still in time; recognised: card in time; not_recognised: card late or never. */
  warranty: 'pending' | 'recognised' | 'not_recognised';
  /** Last day of warranty, set when recognised. */
  warrantyEndsOn: string | null;
}

/** Reference data for the device's model (parts list, labour operations) and the policy's limits. */
export interface ClaimLimits {
  partsOnModel: readonly string[];
  /** Standard hours per labour operation, in hundredths of an hour. */
  operationHundredths: Readonly<Record<string, number>>;
  maxLabourRate: Money;
  travelCap: Money;
}

export interface ClaimToCheck {
  dealerId: number;
  deviceSerial: string;
  faultCode: string;
  repairDate: string;
  lines: readonly ClaimLineInput[];
}

/** An earlier live claim (not rejected) of the claiming dealer: the same device, fault and repair date is a duplicate. */
export interface EarlierClaim {
  deviceSerial: string;
  faultCode: string;
  repairDate: string;
}

export interface CheckResult {
  claimCodes: ClaimReasonCode[];
  /** One list per line, in line order. */
  lineCodes: LineReasonCode[][];
}

export function checkClaim(claim: ClaimToCheck, sale: SaleFacts | null, limits: ClaimLimits, earlier: readonly EarlierClaim[]): CheckResult {
  const claimCodes: ClaimReasonCode[] = [];
  if (!sale) claimCodes.push('NO_SALE_RECORD');
  // Another dealer's sale is its record, not the claimant's: its card and warranty dates stay unsaid.
  else if (sale.dealerId !== claim.dealerId) claimCodes.push('NOT_SOLD_BY_DEALER');
  else {
    if (sale.warranty === 'not_recognised') claimCodes.push('WARRANTY_NOT_RECOGNISED');
    else if (sale.warranty === 'pending') claimCodes.push('WARRANTY_PENDING_CARD');
    else if (claim.repairDate < sale.saleDate || sale.warrantyEndsOn === null || claim.repairDate > sale.warrantyEndsOn) claimCodes.push('WARRANTY_NOT_IN_FORCE');
  }
  const normalisedFault = claim.faultCode.trim().toLowerCase();
  if (earlier.some((other) => other.deviceSerial === claim.deviceSerial && other.repairDate === claim.repairDate && other.faultCode.trim().toLowerCase() === normalisedFault)) {
    claimCodes.push('DUPLICATE_CLAIM');
  }
  if (new Set(claim.lines.map(lineCurrency)).size > 1) claimCodes.push('MIXED_CURRENCIES');

  const lineCodes = claim.lines.map((line): LineReasonCode[] => {
    const codes: LineReasonCode[] = [];
    switch (line.kind) {
      case 'part':
        if (!limits.partsOnModel.includes(line.partNo)) codes.push('PART_NOT_ON_MODEL_LIST');
        break;
      case 'labour': {
        const standard = limits.operationHundredths[line.operation];
        if (standard === undefined) codes.push('UNKNOWN_OPERATION');
        else if (line.hundredthsOfHour > standard) codes.push('LABOUR_HOURS_ABOVE_LIMIT');
        if (line.rate.currency !== limits.maxLabourRate.currency || line.rate.amount > limits.maxLabourRate.amount) codes.push('LABOUR_RATE_ABOVE_LIMIT');
        if (line.partLineNo !== undefined && claim.lines[line.partLineNo - 1]?.kind !== 'part') codes.push('UNKNOWN_PART_LINE');
        break;
      }
      case 'travel':
        if (line.amount.currency !== limits.travelCap.currency || line.amount.amount > limits.travelCap.amount) codes.push('TRAVEL_ABOVE_CAP');
        break;
      case 'other':
        break;
    }
    return codes;
  });
  return { claimCodes, lineCodes };
}

/** A claim with a claim code is refused as a whole; a duplicate is refused before anything is written. */
export const claimRefused = (result: CheckResult): boolean => result.claimCodes.length > 0;

/**
 * The most the line may be written off for, within the policy limits: a labour line at the
 * standard hours and the maximum rate, travel at the cap; parts off the model's list, unknown
 * operations and labour for a part line that is not one: nothing.
 */
export function maxApprovable(line: ClaimLineInput, limits: ClaimLimits, codes: readonly LineReasonCode[]): Money {
  const claimed = lineAmount(line);
  const zero = { amount: 0, currency: claimed.currency };
  if (codes.includes('PART_NOT_ON_MODEL_LIST') || codes.includes('UNKNOWN_OPERATION') || codes.includes('UNKNOWN_PART_LINE')) return zero;
  switch (line.kind) {
    case 'labour': {
      if (line.rate.currency !== limits.maxLabourRate.currency) return zero;
      const hours = Math.min(line.hundredthsOfHour, limits.operationHundredths[line.operation] ?? 0);
      const rate = Math.min(line.rate.amount, limits.maxLabourRate.amount);
      return { amount: Math.min(claimed.amount, timesHundredths(rate, hours)), currency: claimed.currency };
    }
    case 'travel':
      if (line.amount.currency !== limits.travelCap.currency) return zero;
      return { amount: Math.min(line.amount.amount, limits.travelCap.amount), currency: claimed.currency };
    default:
      return claimed;
  }
}

// ---------------------------------------------------------------------------------------------
// Parts, appraisal, audit and decisions

export const APPRAISALS = ['quality_fault', 'not_quality_fault', 'usable', 'scrap'] as const;
export type Appraisal = (typeof APPRAISALS)[number];

/** A part line's old part: when it came back and what the appraiser found. */
export interface PartReturn {
  receivedOn: string | null;
  appraisal: Appraisal | null;
}

/**
 * A part missing on its due date is not written off, nor is the labour that fitted it
 * (`partLineNo`); the claim's other lines go on. Returns the 1-based numbers of the lines lost.
 */
export function linesLostToMissingParts(lines: readonly ClaimLineInput[], returns: ReadonlyMap<number, PartReturn>, dueDate: string, today: string): number[] {
  if (today <= dueDate) return [];
  const missing = new Set<number>();
  lines.forEach((line, index) => {
    const received = returns.get(index + 1)?.receivedOn;
    if (line.kind === 'part' && (received === null || received === undefined || received > dueDate)) missing.add(index + 1);
  });
  const lost = new Set(missing);
  lines.forEach((line, index) => {
    if (line.kind === 'labour' && line.partLineNo !== undefined && missing.has(line.partLineNo)) lost.add(index + 1);
  });
  return [...lost].sort((a, b) => a - b);
}

/**
 * Whether the sales audit samples this claim: a fixed hash of its id, so the same claim is always
 * in or out (a retried step decides alike) and about `rate` of claims are in.
 */
export function sampledForAudit(claimId: number, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  // Knuth's multiplicative hash spreads consecutive ids over [0, 2^32).
  const hashed = Number((BigInt(claimId) * 2654435761n) % 4294967296n);
  return hashed / 4294967296 < rate;
}

export type LineDecision =
  | { kind: 'approve' }
  | { kind: 'approve_part'; amount: Money }
  | { kind: 'reject'; reason: string }
  | { kind: 'send_back'; reason: string };

export interface LineState {
  line: ClaimLineInput;
  codes: readonly LineReasonCode[];
  /** For part lines: the old part. */
  partReturn?: PartReturn;
}

/** Why a decision on a line is refused: a code and the amounts it names (in major units: yuan, not fen). */
export interface DecisionRefusal {
  why: 'reasonRequired' | 'partNotReceived' | 'partNotAppraised' | 'noQualityFault' | 'aboveLimits' | 'currency' | 'notPositive' | 'aboveMax';
  codes: string | null;
  max: string | null;
  currency: string | null;
}

const refusedFor = (why: DecisionRefusal['why'], extra: Partial<Omit<DecisionRefusal, 'why'>> = {}): { refused: DecisionRefusal } => ({ refused: { why, codes: null, max: null, currency: null, ...extra } });

/** A decision's refusal as words, with its line (`lineDecision`) or on its own. */
export const decisionWords = (refused: DecisionRefusal, lineNo?: number): Words =>
  lineNo === undefined ? words('refusal.dealer.decision', { ...refused }) : words('refusal.dealer.lineDecision', { ...refused, lineNo });

/** Why a decision on a line is refused, or null when it stands: the approved amount it writes off. */
export function judgeDecision(state: LineState, decision: LineDecision, limits: ClaimLimits): { refused: DecisionRefusal } | { approved: Money | null } {
  if (decision.kind === 'reject' || decision.kind === 'send_back') {
    return decision.reason.trim() ? { approved: null } : refusedFor('reasonRequired');
  }
  if (state.line.kind === 'part') {
    if (!state.partReturn?.receivedOn) return refusedFor('partNotReceived');
    if (!state.partReturn.appraisal) return refusedFor('partNotAppraised');
    if (state.partReturn.appraisal === 'not_quality_fault') return refusedFor('noQualityFault');
  }
  const ceiling = maxApprovable(state.line, limits, state.codes);
  const max = { max: toDecimalString(ceiling), currency: ceiling.currency };
  if (decision.kind === 'approve') {
    const claimed = lineAmount(state.line);
    if (claimed.amount > ceiling.amount) return refusedFor('aboveLimits', { codes: state.codes.join(', ') || 'limit', ...max });
    return { approved: claimed };
  }
  if (decision.amount.currency !== ceiling.currency) return refusedFor('currency', { currency: ceiling.currency });
  if (decision.amount.amount <= 0) return refusedFor('notPositive');
  if (decision.amount.amount > ceiling.amount) return refusedFor('aboveMax', max);
  return { approved: decision.amount };
}

/**
 * A claim sent back may be amended and resubmitted once, within `dealer.resubmitWithin` of the
 * send-back; a window in working days is counted on `calendar`.
 */
export function resubmitRefusal(sentBackAt: Date, now: Date, resubmissions: number, within: Duration, calendar: BusinessCalendar | null = null): Words | null {
  if (resubmissions >= 1) return words('refusal.dealer.resubmitOnce');
  const deadline = dealerDeadlineAt(sentBackAt, within, calendar, 'dealer.resubmitWithin');
  if (now.getTime() > deadline.getTime()) return words('refusal.dealer.resubmitClosed', { closedAt: DateTime.fromJSDate(deadline, { zone: 'UTC' }).toISO() });
  return null;
}


// ---------------------------------------------------------------------------------------------
// The claim's state machine: which step a claim takes in which status, what a decision does

export const CLAIM_STATUSES = ['in_review', 'sent_back', 'decided', 'rejected'] as const;
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];
export const LINE_STATUSES = ['open', 'approved', 'rejected', 'sent_back', 'lost'] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

/**
 * What happens to a claim: the people's steps (by their route's path), and the two its process
 * applies when a date passes (the old parts' return date, the resubmission window).
 */
export const CLAIM_ACTIONS = ['parts-received', 'appraisal', 'audit', 'decision', 'resubmit', 'parts-deadline', 'resubmit-window'] as const;
export type ClaimAction = (typeof CLAIM_ACTIONS)[number];

/** The statuses each action is taken in; in any other the claim refuses it. */
const CLAIM_ACTION_FROM: Record<ClaimAction, readonly ClaimStatus[]> = {
  'parts-received': ['in_review'],
  appraisal: ['in_review'],
  audit: ['in_review'],
  decision: ['in_review'],
  resubmit: ['sent_back'],
  'parts-deadline': ['in_review', 'decided', 'sent_back'],
  // Taken in every status; it changes a claim still sent back only (claimActs).
  'resubmit-window': ['in_review', 'sent_back', 'decided', 'rejected'],
};

/** Why a claim in `status` refuses `action`, or null when it takes it. */
export function claimActionRefusal(status: ClaimStatus, action: ClaimAction): Words | null {
  return CLAIM_ACTION_FROM[action].includes(status) ? null : words('refusal.dealer.claimIs', { status });
}

/** Whether a claim in `status` takes `action` and is changed by it (the resubmission window closes on a claim sent back only). */
export function claimActs(status: ClaimStatus, action: ClaimAction): boolean {
  return claimActionRefusal(status, action) === null && (action !== 'resubmit-window' || status === 'sent_back');
}

/** The status a line takes on a decision. */
export function lineStatusAfter(decision: LineDecision): 'approved' | 'rejected' | 'sent_back' {
  return decision.kind === 'approve' || decision.kind === 'approve_part' ? 'approved' : decision.kind === 'reject' ? 'rejected' : 'sent_back';
}

/** A line as a decision finds it (undefined: the claim has no such line). */
export interface DecidedLine extends LineState {
  status: LineStatus;
}

/**
 * A decision on one line of a claim in review: refused (naming the decision's `lineNo`, the
 * decision itself, or neither) or what it writes on the line: its status, the amount approved
 * (null unless approved) and the reason (a rejection's or a send-back's).
 */
export function decideLine(
  lineNo: number,
  line: DecidedLine | undefined,
  auditPending: boolean,
  decision: LineDecision,
  limits: ClaimLimits,
): { refused: Words; field?: 'lineNo' | 'decision' } | { status: 'approved' | 'rejected' | 'sent_back'; approved: Money | null; reason: string | null } {
  if (!line) return { refused: words('refusal.dealer.noLine', { lineNo }), field: 'lineNo' };
  if (line.status !== 'open') return { refused: words('refusal.dealer.lineIs', { lineNo, status: line.status }), field: 'lineNo' };
  const status = lineStatusAfter(decision);
  if (status === 'approved' && auditPending) return { refused: words('refusal.dealer.auditFirst') };
  const judged = judgeDecision(line, decision, limits);
  if ('refused' in judged) return { refused: decisionWords(judged.refused, lineNo), field: 'decision' };
  return { status, approved: judged.approved, reason: 'reason' in decision ? decision.reason : null };
}

/**
 * The claim's status once its lines changed, or null when it stays as it is: decided when no line
 * is open or sent back; sent back (the resubmission window opens) when none is open and some are.
 */
export function claimStatusAfterLines(lines: readonly LineStatus[]): 'decided' | 'sent_back' | null {
  if (!lines.some((s) => s === 'open' || s === 'sent_back')) return 'decided';
  if (!lines.includes('open')) return 'sent_back';
  return null;
}
