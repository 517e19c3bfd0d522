/**
 * Machine tokens (API tokens made by a person for an integration). Pure.
 *
 * - A token acts with its creator's own role and for what they act for. Roles do not nest (an admin
 *   takes no business step, a service manager reads no claims), so a "lower" role could reach what
 *   its creator cannot; an integration that needs another role gets an account of that role, made by
 *   an admin (`POST /api/users`, whose answer carries its first token).
 * - It expires: after the default lifetime (AFTERCARE_TOKEN_VALID, 90 days) unless asked otherwise,
 *   never later than the longest (AFTERCARE_TOKEN_MAX_VALID, 365 days).
 * - It works while it is neither revoked nor expired, and while its holder still may hold its role.
 * - The bootstrap admin token (UsersRepository.ensureAdmin: the admin@localhost account's token
 *   labelled 'bootstrap', made by no one, never expiring) is the one machine path into the console
 *   the second factor does not hold; docs/security.md says how to retire it. A token someone names
 *   'bootstrap' is not it: tokens made through the API always have a maker and an expiry.
 */
import type { Role } from '../domain/access';

export const DAY_MS = 86_400_000;

export interface TokenLifetimes {
  /** When no expiry is asked for. */
  defaultMs: number;
  /** The longest a token may live. */
  maxMs: number;
}

export const DEFAULT_TOKEN_LIFETIMES: TokenLifetimes = { defaultMs: 90 * DAY_MS, maxMs: 365 * DAY_MS };

export const BOOTSTRAP_TOKEN_LABEL = 'bootstrap';
export const BOOTSTRAP_ADMIN_EMAIL = 'admin@localhost';

export interface TokenOrigin {
  label: string;
  createdByUserId: number | null;
  expiresAt: Date | null;
  /** Its holder's e-mail address. */
  holderEmail: string;
}

/** Whether a token is the bootstrap admin token ensureAdmin makes (and only it). */
export function isBootstrapToken(token: TokenOrigin): boolean {
  return token.label === BOOTSTRAP_TOKEN_LABEL && token.createdByUserId === null && token.expiresAt === null && token.holderEmail === BOOTSTRAP_ADMIN_EMAIL;
}

/** Whether someone with role `creator` may make a token acting as `role`: their own role only. */
export function mayDelegate(creator: Role, role: Role): boolean {
  return creator === role;
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
 * tokens had one: the holder's), or null when the holder's role has changed since it was made.
 */
export function actingRole(holder: Role, tokenRole: Role | null): Role | null {
  if (tokenRole === null) return holder;
  return mayDelegate(holder, tokenRole) ? tokenRole : null;
}
