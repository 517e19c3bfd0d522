/** Warranty cards: when a card falls due, whether it came in time, the warranty it gives. */
import { DateTime } from 'luxon';
import type { Duration } from '../../../domain/duration';
import { addWorkingDays, type BusinessCalendar } from '../../../domain/calendar';
import { addToLocalDate, calendarDuration, endOfLocalDay, isoDate, localDate, startOfLocalDay, daysBetween, hasTimePart } from '../rules';

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

