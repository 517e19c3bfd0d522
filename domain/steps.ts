/**
 * When a step happened. A step carries `occurredAt` (an engineer records a site visit afterwards),
 * and deadlines are judged on it, not on when a worker got round to processing it.
 */
import { DateTime } from 'luxon';
import { parseIsoDuration } from './duration';

/** Clocks of a phone and of the server differ a little: this much "future" is still now. */
export const CLOCK_SKEW_MS = 60_000;

/**
 * Why `occurredAt` cannot be accepted, or null: it must be an instant, not in the future, not older
 * than `backdateWithin` before `now`, and not before `notBefore` (the step that moved the process last).
 */
export function stepTimeProblem(occurredAt: string, now: Date, backdateWithin: string, notBefore?: string): string | null {
  const at = Date.parse(occurredAt);
  if (Number.isNaN(at)) return `occurredAt must be an ISO-8601 instant, got '${occurredAt}'`;
  if (at > now.getTime() + CLOCK_SKEW_MS) return `occurredAt ${occurredAt} is in the future`;
  const earliest = DateTime.fromJSDate(now, { zone: 'utc' }).minus(parseIsoDuration(backdateWithin)).toJSDate();
  if (at < earliest.getTime()) return `occurredAt ${occurredAt} is further back than the policy allows (${backdateWithin}, so not before ${earliest.toISOString()})`;
  // Within the clock skew, two people's steps received a moment apart are in order either way.
  if (notBefore !== undefined && at < Date.parse(notBefore) - CLOCK_SKEW_MS) return `occurredAt ${occurredAt} is before the step it follows (${notBefore})`;
  return null;
}

/** The instant a step happened, as recorded: at most now, so a small clock skew never records the future. */
export function recordedInstant(occurredAt: string, now: Date): string {
  return new Date(Math.min(Date.parse(occurredAt), now.getTime())).toISOString();
}
