/**
 * The second factor's rules (issue #21). Pure: the repository counts and stores, these decide.
 *
 * - Admins and finance must enrol a TOTP authenticator (RFC 6238: 6 digits, 30-second steps,
 *   HMAC-SHA1, as every authenticator app reads an otpauth:// URI); everyone else may.
 * - A code is good for its step and one step either side (clocks of phones drift), and never twice:
 *   a step at or before the last accepted one is refused, so a code seen over a shoulder is dead.
 * - Recovery codes: 10 at a time, 16 characters from an alphabet without look-alikes (80 bits), shown
 *   once; each works once.
 * - Wrong codes: the first FREE_CODE_FAILURES in a row cost nothing, then each further try waits a
 *   delay doubling from 1 s up to the configured cap (AFTERCARE_SECOND_FACTOR_MAX_WAIT, 15 min by
 *   default): at most a few hundred guesses a day against a million codes.
 * - The gate: a session a person opened by signing in must pass the second factor when they have
 *   one, and must enrol first when their role requires it. A session opened with an API token is
 *   held the same way when its person's role requires a factor (admin, finance): a token of theirs
 *   must not open a console their password alone could not. The one exception is the bootstrap
 *   admin token (people/tokenRules.ts isBootstrapToken), the documented machine path for scripts and
 *   the first start, to retire once a real admin exists (docs/security.md). Token sessions of other
 *   roles are a machine's and stay open.
 */
import type { Role } from '../../domain/access';

export const MUST_ENROL: readonly Role[] = ['admin', 'finance'];

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_S = 30;
/** Steps accepted either side of the current one. */
export const TOTP_WINDOW = 1;

export const RECOVERY_CODE_COUNT = 10;
export const RECOVERY_CODE_LENGTH = 16;
/** Lower-case letters and digits without 0/o, 1/l/i: read off paper without doubt. */
export const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export const FREE_CODE_FAILURES = 5;
export const FIRST_CODE_DELAY_MS = 1_000;
export const DEFAULT_CODE_MAX_WAIT_MS = 15 * 60_000;

export function mustEnrol(role: Role): boolean {
  return MUST_ENROL.includes(role);
}

/** What a person typed, as the rules read it: spaces and dashes dropped, lower case. */
export function normalizeCode(typed: string): string {
  return typed.replace(/[\s-]/g, '').toLowerCase();
}

export type CodeKind = 'totp' | 'recovery' | 'malformed';

/** Whether the typed text is a TOTP code, a recovery code, or neither (refused before any lookup). */
export function codeKind(typed: string): CodeKind {
  const code = normalizeCode(typed);
  if (new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(code)) return 'totp';
  if (code.length === RECOVERY_CODE_LENGTH && [...code].every((c) => RECOVERY_ALPHABET.includes(c))) return 'recovery';
  return 'malformed';
}

/** A recovery code as it is shown: four groups of four. */
export function formatRecoveryCode(code: string): string {
  return normalizeCode(code).replace(/(.{4})(?=.)/g, '$1-');
}

/** The 30-second step an instant falls in. */
export function stepAt(epochMs: number): number {
  return Math.floor(epochMs / 1000 / TOTP_PERIOD_S);
}

/**
 * Whether a code that matched `step` may be accepted now: within the window around the current
 * step and later than the last accepted one.
 */
export function stepAcceptable(step: number, currentStep: number, lastStep: number | null): boolean {
  if (Math.abs(step - currentStep) > TOTP_WINDOW) return false;
  return lastStep === null || step > lastStep;
}

/** The wait before the next code counts, after `failures` wrong codes in a row; 0: try now. */
export function codeWaitMs(failures: number, lastFailedAt: Date | null, now: Date, maxWaitMs: number = DEFAULT_CODE_MAX_WAIT_MS): number {
  if (lastFailedAt === null || !Number.isFinite(failures) || failures < FREE_CODE_FAILURES) return 0;
  const doublings = failures - FREE_CODE_FAILURES;
  // 2^30 s passes any sensible cap; larger exponents would only overflow.
  const delay = doublings >= 30 ? maxWaitMs : Math.min(maxWaitMs, FIRST_CODE_DELAY_MS * 2 ** doublings);
  return Math.max(0, lastFailedAt.getTime() + delay - now.getTime());
}

export interface SessionFacts {
  /** The API token it was opened with; null when a person signed in (password, OIDC). */
  apiTokenId: number | null;
  /** Opened with the bootstrap admin token (never held). */
  bootstrapToken: boolean;
  secondFactorAt: Date | null;
}

/** Where a session stands: free to go, held until it passes the second factor, or until the person enrols. */
export type Gate = 'open' | 'verify' | 'enrol';

export function gateFor(session: SessionFacts, person: { role: Role; enrolled: boolean }): Gate {
  if (session.secondFactorAt !== null) return 'open';
  if (session.apiTokenId !== null) {
    // The bootstrap token is the machine path to retire; other roles' tokens are machines' (scripts).
    if (session.bootstrapToken || !mustEnrol(person.role)) return 'open';
  }
  if (person.enrolled) return 'verify';
  return mustEnrol(person.role) ? 'enrol' : 'open';
}
