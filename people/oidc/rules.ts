/**
 * Who may sign in through single sign-on (OpenID Connect). Pure: the client hands over the claims
 * the provider vouched for, the repository the account with that address; these rules decide.
 *
 * - The provider must say the address is verified (`email_verified: true`; Entra ID says so with its
 *   optional claim `xms_edov`, "e-mail domain owner verified"). An address a person merely typed into
 *   their profile at the provider signs nobody in.
 * - The address is compared lower-cased and trimmed, as accounts store it.
 * - Only an existing, active account: a sign-in alone never creates one (people are invited).
 * - Only staff: dealer and customer users sign in with their password (single sign-on is the
 *   company's own directory).
 */
import type { Role } from '../../domain/access';
import { isStaff } from '../roleRules';

/** Why a sign-in through the provider was refused. */
export type OidcRefusal = 'email_missing' | 'email_unverified' | 'unknown_account' | 'deactivated' | 'not_staff';

/** The account with the claimed address, as the rule needs it; null when there is none. */
export interface OidcCandidate {
  active: boolean;
  role: Role;
}

/** The claimed address, normalized, when it is one; else null. */
export function claimedEmail(claims: Readonly<Record<string, unknown>>): string | null {
  const email = claims.email;
  if (typeof email !== 'string') return null;
  const normalized = email.trim().toLowerCase();
  // One address: something@something, no spaces; the account lookup does the rest.
  return /^[^\s@]+@[^\s@]+$/.test(normalized) && normalized.length <= 191 ? normalized : null;
}

/** Whether the provider vouches for the address: `email_verified` true (or Entra ID's `xms_edov`), as a boolean or the string "true" some providers send. */
export function emailVerified(claims: Readonly<Record<string, unknown>>): boolean {
  const yes = (value: unknown) => value === true || value === 'true';
  return yes(claims.email_verified) || yes(claims.xms_edov);
}

/** The refusal before an account is looked up, or null when the claims carry a verified address. */
export function claimsRefusal(claims: Readonly<Record<string, unknown>>): 'email_missing' | 'email_unverified' | null {
  if (claimedEmail(claims) === null) return 'email_missing';
  return emailVerified(claims) ? null : 'email_unverified';
}

/** Whether the account found may sign in through the provider; null when it may. */
export function accountRefusal(account: OidcCandidate | null): 'unknown_account' | 'deactivated' | 'not_staff' | null {
  if (account === null) return 'unknown_account';
  if (!account.active) return 'deactivated';
  return isStaff(account.role) ? null : 'not_staff';
}

/** How long a started sign-in may take at the provider before its callback is refused. */
export const PENDING_SIGN_IN_MS = 10 * 60_000;

/** Whether a sign-in started at `startedAt` may still finish at `now` (a clock set back counts as stale too). */
export function pendingIsFresh(startedAt: number, now: number): boolean {
  return Number.isFinite(startedAt) && now >= startedAt - 60_000 && now - startedAt <= PENDING_SIGN_IN_MS;
}
