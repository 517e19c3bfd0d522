/**
 * Dealer warranty (三包, PRODUCT §P5): the pure rules of warranty cards, claims, old-part return,
 * decisions and settlement statements. Dates a dealer writes on paper (sale, repair, card) are
 * local dates `YYYY-MM-DD` counted in calendar days; money is integer minor units (domain/money.ts).
 */
import { DateTime, Duration as LuxonDuration } from 'luxon';
import { addDuration, durationLabel, type Duration } from '../../domain/duration';
import { addWorkingDays, type BusinessCalendar } from '../../domain/calendar';
import type { Money } from '../../domain/money';

// ---------------------------------------------------------------------------------------------
// Local dates

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;

function localDate(text: string, field = 'date'): DateTime {
  const parsed = LOCAL_DATE.test(text) ? DateTime.fromISO(text, { zone: 'UTC' }) : null;
  if (!parsed || !parsed.isValid) throw new RangeError(`${field} must be a date YYYY-MM-DD, got '${text}'`);
  return parsed;
}

const isoDate = (value: DateTime): string => value.toISODate()!;

/** Calendar-day durations only: a dealer's paper deadlines are counted in days, not working days. */
function calendarDuration(duration: Duration, field: string): LuxonDuration {
  if (typeof duration !== 'string') throw new RangeError(`${field} must be an ISO-8601 duration in calendar days or months for dealer dates`);
  const parsed = LuxonDuration.fromISO(duration);
  if (!parsed.isValid) throw new RangeError(`${field} must be an ISO-8601 duration, got '${duration}'`);
  return parsed;
}

/**
 * An instant a dealer deadline falls due, `duration` after `from`. An ISO duration counts in UTC
 * calendar arithmetic (P30D is thirty days later, to the second); working days end at the close of
 * the n-th working day on the business calendar, as every process's working-day deadline does
 * (domain/duration.ts `addDuration`). Working days need the calendar; without it this throws.
 */
export function dealerDeadlineAt(from: Date, duration: Duration, calendar: BusinessCalendar | null, field: string): Date {
  if (typeof duration === 'string') return DateTime.fromJSDate(from, { zone: 'UTC' }).plus(calendarDuration(duration, field)).toJSDate();
  if (!calendar) throw new RangeError(`${field}: working days are counted on the business calendar, and none was given`);
  return addDuration(from, duration, calendar);
}

/** A duration as a record's reason shows it: the ISO text as written, or '5 working days'. */
export const durationText = (duration: Duration): string => (typeof duration === 'string' ? duration : durationLabel(duration, 'en'));

export function addToLocalDate(date: string, duration: Duration, field = 'duration'): string {
  return isoDate(localDate(date).plus(calendarDuration(duration, field)));
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round(localDate(to).diff(localDate(from), 'days').days);
}

// ---------------------------------------------------------------------------------------------
// Warranty card

export type CardStatus = 'in_time' | 'late';

/** The last day a card is in time: sale date + `dealer.warrantyCardWithin` (day 20 of 20 is in time). */
export const cardDueDate = (saleDate: string, within: Duration): string => addToLocalDate(saleDate, within, 'dealer.warrantyCardWithin');

/** A card completed on or before its due date registers the warranty; after it, the warranty is not recognised. */
export function cardStatus(saleDate: string, cardDate: string, within: Duration): CardStatus {
  if (daysBetween(saleDate, cardDate) < 0) throw new RangeError('the card cannot be completed before the sale');
  return cardDate <= cardDueDate(saleDate, within) ? 'in_time' : 'late';
}

/** Reminder dates (`dealer.warrantyCardRemindersAt` after the sale), only those before the due date, ascending. */
export function cardReminderDates(saleDate: string, remindersAt: readonly Duration[], within: Duration): string[] {
  const due = cardDueDate(saleDate, within);
  return [...new Set(remindersAt.map((at) => addToLocalDate(saleDate, at, 'dealer.warrantyCardRemindersAt')))].filter((date) => date < due).sort();
}

/**
 * A dealer-sold device's warranty starts on the sale date and lasts `length`: the last day it is in
 * force. A length in working days ends with the n-th working day after the sale date on `calendar`
 * (as a project's warranty does, domain `warrantyPeriod`).
 */
export function warrantyEndDate(saleDate: string, length: Duration, calendar: BusinessCalendar | null = null): string {
  if (typeof length !== 'string') {
    if (!calendar) throw new RangeError('warranty.length: working days are counted on the business calendar, and none was given');
    return addWorkingDays(localDate(saleDate, 'saleDate').toISODate()!, length.workingDays, calendar);
  }
  return isoDate(localDate(saleDate).plus(calendarDuration(length, 'warranty.length')).minus({ days: 1 }));
}

/** Noon of a local date in `timeZone`: an instant safely inside that day, to count working days from. */
export function middayOf(date: string, timeZone: string): Date {
  return new Date(startOfLocalDay(date, timeZone).getTime() + 12 * 3_600_000);
}

/** The local date a deadline closes in `timeZone`: one at exactly local midnight closes the day before. */
export function dayClosedBy(closesAt: Date, timeZone: string): string {
  return isoDate(DateTime.fromJSDate(new Date(closesAt.getTime() - 1), { zone: timeZone }));
}

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

/** Why a decision on a line is refused, or null when it stands: the approved amount it writes off. */
export function judgeDecision(state: LineState, decision: LineDecision, limits: ClaimLimits): { refused: string } | { approved: Money | null } {
  if (decision.kind === 'reject' || decision.kind === 'send_back') {
    return decision.reason.trim() ? { approved: null } : { refused: 'a reason is required' };
  }
  if (state.line.kind === 'part') {
    if (!state.partReturn?.receivedOn) return { refused: 'the old part has not been received' };
    if (!state.partReturn.appraisal) return { refused: 'the old part has not been appraised' };
    if (state.partReturn.appraisal === 'not_quality_fault') return { refused: 'the appraiser found no quality fault: the part cannot be written off' };
  }
  const ceiling = maxApprovable(state.line, limits, state.codes);
  if (decision.kind === 'approve') {
    const claimed = lineAmount(state.line);
    if (claimed.amount > ceiling.amount) return { refused: `the line exceeds the policy limits (${state.codes.join(', ') || 'limit'}): approve part of it, at most ${ceiling.amount}` };
    return { approved: claimed };
  }
  if (decision.amount.currency !== ceiling.currency) return { refused: `the amount must be in ${ceiling.currency}` };
  if (decision.amount.amount <= 0) return { refused: 'a partial approval must be more than zero' };
  if (decision.amount.amount > ceiling.amount) return { refused: `at most ${ceiling.amount} may be approved` };
  return { approved: decision.amount };
}

/**
 * A claim sent back may be amended and resubmitted once, within `dealer.resubmitWithin` of the
 * send-back; a window in working days is counted on `calendar`.
 */
export function resubmitRefusal(sentBackAt: Date, now: Date, resubmissions: number, within: Duration, calendar: BusinessCalendar | null = null): string | null {
  if (resubmissions >= 1) return 'a claim may be resubmitted only once';
  const deadline = dealerDeadlineAt(sentBackAt, within, calendar, 'dealer.resubmitWithin');
  if (now.getTime() > deadline.getTime()) return `the resubmission window closed at ${DateTime.fromJSDate(deadline, { zone: 'UTC' }).toISO()}`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Settlement

/** A settlement period: a calendar month in the settlement time zone, `YYYY-MM`. */
export function periodOf(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat('yyyy-MM');
}

/** The instants the period covers, [start, end), in its time zone. */
export function periodBounds(period: string, timeZone: string): { start: Date; end: Date } {
  const start = DateTime.fromFormat(period, 'yyyy-MM', { zone: timeZone });
  if (!/^\d{4}-\d{2}$/.test(period) || !start.isValid) throw new RangeError(`period must be YYYY-MM, got '${period}'`);
  return { start: start.toJSDate(), end: start.plus({ months: 1 }).toJSDate() };
}

export interface StatementLine {
  approved: Money;
  held: boolean;
}

/** Totals of the lines not held back, one per currency (sorted by code), exact in minor units. */
export function statementTotals(lines: readonly StatementLine[]): Money[] {
  const totals = new Map<string, number>();
  for (const line of lines) {
    if (line.held) continue;
    const sum = (totals.get(line.approved.currency) ?? 0) + line.approved.amount;
    if (!Number.isSafeInteger(sum)) throw new RangeError('statement total exceeds the exact integer range');
    totals.set(line.approved.currency, sum);
  }
  return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, amount]) => ({ amount, currency }));
}

// ---------------------------------------------------------------------------------------------
// Dealer tasks

/**
 * A 三包 request forwarded to a dealer (or taken by it directly) must be arranged within
 * `dealer.taskArrangeWithin` (2 h); the sales clerk's check falls due at `dealer.clerkCheckAt` (4 h).
 */
export function dealerTaskTimes(receivedAt: Date, arrangeWithin: Duration, clerkCheckAt: Duration): { arrangeDueAt: Date; clerkCheckAt: Date } {
  const from = DateTime.fromJSDate(receivedAt, { zone: 'UTC' });
  return {
    arrangeDueAt: from.plus(calendarDuration(arrangeWithin, 'dealer.taskArrangeWithin')).toJSDate(),
    clerkCheckAt: from.plus(calendarDuration(clerkCheckAt, 'dealer.clerkCheckAt')).toJSDate(),
  };
}

/** Why a dealer may not hand a customer back to the company: a 三包 customer is the selling dealer's to serve. */
export const HAND_BACK_REFUSAL = 'a dealer cannot hand a 三包 (warranty) customer back to the company: the selling dealer serves the customer under the 三包 terms';

// ---------------------------------------------------------------------------------------------
// Timers: the instants the dealer processes wait for

/** Workflow ids of the dealer processes; the deadline rows they keep are keyed by them too. */
export const warrantyCardWorkflowId = (saleId: number): string => `warranty-card-${saleId}`;
export const dealerTaskWorkflowId = (taskId: number): string => `dealer-task-${taskId}`;
export const dealerClaimWorkflowId = (claimId: number): string => `dealer-claim-${claimId}`;
export const settlementConfirmWorkflowId = (settlementId: number): string => `settlement-${settlementId}-confirm`;
/** Each review sends the statement again with its own confirmation due time: one deadline row per review. */
export const settlementConfirmKey = (dueAt: Date): string => `settlement_confirm:${dueAt.toISOString()}`;

/** True when an ISO-8601 duration counts hours, minutes or seconds rather than whole days. */
export function hasTimePart(duration: Duration): boolean {
  return typeof duration === 'string' && /T/.test(duration);
}

/** The instant a local date's day begins in `timeZone`. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  return localDate(date).setZone(timeZone, { keepLocalTime: true }).startOf('day').toJSDate();
}

/** The instant a local date's day ends in `timeZone`: a deadline "by 30 June" is met until midnight. */
export function endOfLocalDay(date: string, timeZone: string): Date {
  return localDate(date).setZone(timeZone, { keepLocalTime: true }).startOf('day').plus({ days: 1 }).toJSDate();
}

export interface CardClock {
  /** The card is in time until this instant. */
  dueAt: Date;
  /** The reminders still ahead of `recordedAt`, ascending. */
  reminders: Date[];
}

/**
 * When the warranty card of a sale falls due and when the dealer is reminded. Paper deadlines count
 * whole days from the sale date in the dealer's time zone: the card is in time to the end of day
 * `warrantyCardWithin` (day 20 of 20), a reminder goes out at the start of day 10 and day 17. A
 * policy in hours, minutes or seconds (tests, pilots) counts from the moment the sale was recorded.
 * Reminders already past when the sale is recorded are not sent.
 */
export function cardClock(saleDate: string, recordedAt: Date, policy: { warrantyCardWithin: Duration; warrantyCardRemindersAt: readonly Duration[] }, timeZone: string): CardClock {
  const at = (duration: Duration, field: string, endOfDay: boolean): Date => {
    if (hasTimePart(duration)) return DateTime.fromJSDate(recordedAt, { zone: 'UTC' }).plus(calendarDuration(duration, field)).toJSDate();
    const day = addToLocalDate(saleDate, duration, field);
    return endOfDay ? endOfLocalDay(day, timeZone) : startOfLocalDay(day, timeZone);
  };
  const dueAt = at(policy.warrantyCardWithin, 'dealer.warrantyCardWithin', true);
  const reminders = [...new Set(policy.warrantyCardRemindersAt.map((d) => at(d, 'dealer.warrantyCardRemindersAt', false).getTime()))]
    .filter((t) => t < dueAt.getTime() && t > recordedAt.getTime())
    .sort((a, b) => a - b)
    .map((t) => new Date(t));
  return { dueAt, reminders };
}

/** Whether a card recorded at `receivedAt` (dated `cardDate`) is in time: before the clock ran out and dated on or before the due day. */
export function cardInTime(saleDate: string, cardDate: string, receivedAt: Date, clock: CardClock, within: Duration): boolean {
  return receivedAt.getTime() < clock.dueAt.getTime() && cardStatus(saleDate, cardDate, within) === 'in_time';
}

// ---------------------------------------------------------------------------------------------
// Parts plan

/**
 * When each dealer's parts plan is due: `dealer.partsPlanLead` (30 days) before each configured sales
 * season (`MM-DD`, every year). Answers the next start of each season strictly after `today`, with its
 * due date, soonest first; a season whose due date already passed this year is still listed (overdue).
 */
export function partsPlanDueDates(seasonStarts: readonly string[], lead: Duration, today: string): Array<{ seasonStart: string; dueOn: string }> {
  const from = localDate(today, 'today');
  const leadDays = calendarDuration(lead, 'dealer.partsPlanLead');
  return seasonStarts
    .map((monthDay) => {
      const thisYear = localDate(`${from.year}-${monthDay}`, 'season start');
      const start = thisYear > from ? thisYear : localDate(`${from.year + 1}-${monthDay}`, 'season start');
      return { seasonStart: isoDate(start), dueOn: isoDate(start.minus(leadDays)) };
    })
    .sort((a, b) => a.seasonStart.localeCompare(b.seasonStart));
}

export interface PartsPlanClock {
  /** The plan is in time until this instant: the end of its due day in the settlement zone. */
  dueAt: Date;
  /** The dealer is reminded at this instant (`dealer.partsPlanRemindBefore` before the due day). */
  remindAt: Date;
}

/**
 * When one season's parts plan falls due and when the dealer is reminded. Paper deadlines count whole
 * days in the settlement zone: due by the end of `dueOn`, reminded at the start of the day
 * `partsPlanRemindBefore` earlier. A lead in hours, minutes or seconds (tests, pilots) counts from the
 * moment the plan was opened instead: due `lead` after it, reminded `remindBefore` before that.
 */
export function partsPlanClock(dueOn: string, openedAt: Date, policy: { partsPlanLead: Duration; partsPlanRemindBefore: Duration }, timeZone: string): PartsPlanClock {
  if (hasTimePart(policy.partsPlanLead)) {
    const dueAt = DateTime.fromJSDate(openedAt, { zone: 'UTC' }).plus(calendarDuration(policy.partsPlanLead, 'dealer.partsPlanLead'));
    return { dueAt: dueAt.toJSDate(), remindAt: dueAt.minus(calendarDuration(policy.partsPlanRemindBefore, 'dealer.partsPlanRemindBefore')).toJSDate() };
  }
  const remindOn = isoDate(localDate(dueOn, 'dueOn').minus(calendarDuration(policy.partsPlanRemindBefore, 'dealer.partsPlanRemindBefore')));
  return { dueAt: endOfLocalDay(dueOn, timeZone), remindAt: startOfLocalDay(remindOn, timeZone) };
}

/** The parts plan of one dealer and season is chased by one process, keyed by the plan's record. */
export const partsPlanWorkflowId = (planId: number): string => `parts-plan-${planId}`;

/** A plan's lines: parts by number with the quantity the dealer will order before the season. */
export interface PartsPlanLine {
  partNo: string;
  quantity: number;
}

/** Why a plan's lines are refused, with the field, or null: at least one line, each part once, quantities whole and positive. */
export function partsPlanRefusal(lines: readonly PartsPlanLine[]): { field: string; message: string } | null {
  if (lines.length === 0) return { field: 'lines', message: 'a parts plan needs at least one line' };
  const seen = new Set<string>();
  for (const [index, line] of lines.entries()) {
    if (!Number.isInteger(line.quantity) || line.quantity < 1) return { field: `lines.${index}.quantity`, message: 'must be a whole number of at least 1' };
    const key = line.partNo.trim();
    if (seen.has(key)) return { field: `lines.${index}.partNo`, message: `part ${key} is on the plan twice` };
    seen.add(key);
  }
  return null;
}
