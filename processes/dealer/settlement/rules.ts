/** Settlement: periods and statement totals. */
import { DateTime } from 'luxon';
import type { Money } from '../../../domain/money';

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

