/**
 * Machine tokens (API tokens made by a person for an integration). Pure.
 *
 * - A token acts with a role no higher than its creator's: their own role, or a staff role ranked
 *   strictly below theirs (a service manager makes an engineer's token, not a finance one). Dealer and
 *   customer users make tokens of their own role only: the token acts for what they act for.
 * - It expires: after the default lifetime (AFTERCARE_TOKEN_VALID, 90 days) unless asked otherwise,
 *   never later than the longest (AFTERCARE_TOKEN_MAX_VALID, 365 days).
 * - It works while it is neither revoked nor expired, and while its holder still may hold its role.
 */
import type { Role } from '../domain/access';
import { STAFF_RANK } from './roleRules';

export const DAY_MS = 86_400_000;

export interface TokenLifetimes {
  /** When no expiry is asked for. */
  defaultMs: number;
  /** The longest a token may live. */
  maxMs: number;
}

export const DEFAULT_TOKEN_LIFETIMES: TokenLifetimes = { defaultMs: 90 * DAY_MS, maxMs: 365 * DAY_MS };

/** Whether someone with role `creator` may make a token acting as `role`. */
export function mayDelegate(creator: Role, role: Role): boolean {
  if (creator === role) return true;
  const own = STAFF_RANK[creator];
  const wanted = STAFF_RANK[role];
  return own !== undefined && wanted !== undefined && wanted < own;
}

/** When a token made at `now` expires, or `too_long` when asked for longer than the longest allowed. */
export function tokenExpiry(now: Date, expiresInDays: number | undefined, lifetimes: TokenLifetimes = DEFAULT_TOKEN_LIFETIMES): Date | 'too_long' {
  const lifeMs = expiresInDays === undefined ? Math.min(lifetimes.defaultMs, lifetimes.maxMs) : expiresInDays * DAY_MS;
  if (lifeMs > lifetimes.maxMs) return 'too_long';
  return new Date(now.getTime() + lifeMs);
}

/** The longest lifetime, in whole days, as a form and an error name it. */
export const maxDays = (lifetimes: TokenLifetimes): number => Math.floor(lifetimes.maxMs / DAY_MS);

export interface TokenFacts {
  revokedAt: Date | null;
  /** Null: never (the bootstrap admin token). */
  expiresAt: Date | null;
}

export type TokenState = 'live' | 'revoked' | 'expired';

export function tokenState(token: TokenFacts, now: Date): TokenState {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && token.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'live';
}

/**
 * The role a live token acts with for a holder whose role is `holder` now: its own (null, from before
 * tokens had one: the holder's), or null when the holder may no longer delegate it (their role was lowered).
 */
export function actingRole(holder: Role, tokenRole: Role | null): Role | null {
  if (tokenRole === null) return holder;
  return mayDelegate(holder, tokenRole) ? tokenRole : null;
}
