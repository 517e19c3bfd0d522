/** Dealer tasks: their due times, and the hand-back every 三包 customer is refused. */
import { DateTime } from 'luxon';
import type { Duration } from '../../../domain/duration';
import { words, type Words } from '../../../domain/words';
import { calendarDuration } from '../rules';

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
export const HAND_BACK_REFUSAL: Words = words('refusal.dealer.handBack');

