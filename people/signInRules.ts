/**
 * How sign-in attempts are limited. Pure: the repository counts, these rules decide.
 *
 * - Per e-mail (whether or not an account has it, so both answer alike): the first FREE_FAILURES
 *   failures in a row cost nothing; after them each further try must wait a delay that doubles with
 *   every failure, up to MAX_DELAY_MS. A try turned away to wait does not count. There is no lockout:
 *   a stranger who knows an address can slow its owner down by at most MAX_DELAY_MS a try, never
 *   shut them out. A successful sign-in clears the run.
 * - Per client address: at most the configured number of failures in the window (100 per 15
 *   minutes by default), whatever accounts they tried.
 */

export const FREE_FAILURES = 5;
export const FIRST_DELAY_MS = 1_000;
export const MAX_DELAY_MS = 60_000;

/** The wait before the next try after `failures` failures in a row. */
export function signInDelayMs(failures: number): number {
  if (!Number.isFinite(failures) || failures < FREE_FAILURES) return 0;
  const doublings = failures - FREE_FAILURES;
  // 2^6 × 1 s already passes the cap; larger exponents would only overflow.
  return doublings >= 6 ? MAX_DELAY_MS : Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** doublings);
}

/** How long this account must still wait before a try counts, 0 when it may try now. */
export function waitBeforeTryMs(failures: number, lastFailedAt: Date | null, now: Date): number {
  if (lastFailedAt === null) return 0;
  return Math.max(0, lastFailedAt.getTime() + signInDelayMs(failures) - now.getTime());
}

export interface AddressLimit {
  attempts: number;
  windowMs: number;
}

export const DEFAULT_ADDRESS_LIMIT: AddressLimit = { attempts: 100, windowMs: 15 * 60_000 };

/** Whether an address with `failures` failed sign-ins within the window may try again. */
export function addressMayTry(failures: number, limit: AddressLimit): boolean {
  return failures < limit.attempts;
}
