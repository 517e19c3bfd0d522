/** Settlement: periods and statement totals. */
import { DateTime } from 'luxon';
import { toDecimalString, type Money } from '../../../domain/money';
import { words, type Words } from '../../../domain/words';

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
// The statement's state machine: finance's review, the dealer's confirmation or dispute

export const SETTLEMENT_STATUSES = ['review', 'sent', 'confirmed', 'disputed'] as const;
export type SettlementStatus = (typeof SETTLEMENT_STATUSES)[number];

/** The steps on a statement, by their route's path. */
export const SETTLEMENT_ACTIONS = ['review', 'confirm', 'dispute'] as const;
export type SettlementAction = (typeof SETTLEMENT_ACTIONS)[number];

/** Each step: the statuses it is taken in, and the status it leaves. */
const SETTLEMENT_TRANSITIONS: Record<SettlementAction, { from: readonly SettlementStatus[]; to: SettlementStatus }> = {
  review: { from: ['review', 'disputed'], to: 'sent' },
  confirm: { from: ['sent'], to: 'confirmed' },
  dispute: { from: ['sent'], to: 'disputed' },
};

/** Why a statement in `status` refuses `action`, or null when it takes it. */
export function settlementActionRefusal(status: SettlementStatus, action: SettlementAction): Words | null {
  return SETTLEMENT_TRANSITIONS[action].from.includes(status) ? null : words('refusal.dealer.statementIs', { status });
}

/** The status a statement is left in by `action`. */
export const settlementStatusAfter = (action: SettlementAction): SettlementStatus => SETTLEMENT_TRANSITIONS[action].to;

/**
 * What finance's review does to the statement's head: on a disputed statement it is the answer (a
 * reason required), and held or corrected lines make a new version the dealer confirms again
 * (none: finance stands firm, the same version); a statement in review is sent as it is versioned.
 */
export function reviewOutcome(
  statement: { status: SettlementStatus; version: number },
  review: { answer?: string | undefined; changesLines: boolean },
): { refused: Words; field: 'answer' } | { version: number; disputeAnswer: string | null } {
  if (statement.status !== 'disputed') return { version: statement.version, disputeAnswer: null };
  if (!review.answer?.trim()) return { refused: words('refusal.dealer.answerDispute'), field: 'answer' };
  return { version: review.changesLines ? statement.version + 1 : statement.version, disputeAnswer: review.answer };
}

/** Why finance's correction of a line is refused (more than was claimed, said in major units), or null. */
export function correctionRefusal(claimLineId: number, amount: number, claimed: number, currency = 'CNY'): Words | null {
  return amount > claimed ? words('refusal.dealer.correctionAbove', { claimLineId, claimed: toDecimalString({ amount: claimed, currency }), currency }) : null;
}

/** Why the dealer's confirmation of `version` is refused (the statement is at another), or null. */
export function confirmRefusal(current: number, version: number): Words | null {
  return current === version ? null : words('refusal.dealer.versionMismatch', { current, version });
}

/** A statement's total: the sum of its lines' amounts, exact in minor units. */
export function statementTotal(amounts: readonly number[]): number {
  const total = amounts.reduce((sum, amount) => sum + amount, 0);
  if (!Number.isSafeInteger(total)) throw new RangeError('statement total exceeds the exact integer range');
  return total;
}
