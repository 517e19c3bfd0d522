/**
 * What makes a password acceptable (NIST SP 800-63B, OWASP ASVS 2.1): long enough, not one of the
 * most common passwords, not made of the person's own name or e-mail; no composition rules (no
 * "one digit, one capital"), no expiry. Pure: the list of common passwords is passed in.
 */

export const PASSWORD_MIN_LENGTH = 12;
/** Long passphrases are welcome; the cap only keeps one request from hashing megabytes. */
export const PASSWORD_MAX_LENGTH = 256;
/** Parts of a name or e-mail shorter than this are too common to refuse a password for (a "li" in "reliable"). */
const PERSONAL_PART_MIN_LENGTH = 3;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'personal';

export interface PasswordOwner {
  email: string | null;
  name: string | null;
}

/** Characters, as a person counts them (a Chinese character or an emoji is one). */
function length(text: string): number {
  return [...text].length;
}

/** The pieces of a person's name and e-mail local part a password must not contain, lower-cased. */
export function personalParts(owner: PasswordOwner): string[] {
  const local = owner.email?.split('@')[0]?.toLowerCase() ?? '';
  const name = owner.name?.toLowerCase() ?? '';
  const whole = [local, name.replace(/\s+/g, '')];
  const pieces = [...local.split(/[^\p{L}\p{N}]+/u), ...name.split(/[^\p{L}\p{N}]+/u)];
  const all = [...whole, ...pieces].filter((part) => length(part) >= PERSONAL_PART_MIN_LENGTH);
  return [...new Set(all)];
}

/** The first problem of a new password, or null when it is acceptable. */
export function passwordProblem(password: string, owner: PasswordOwner, isCommon: (lowerCased: string) => boolean): PasswordProblem | null {
  if (length(password) < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length(password) > PASSWORD_MAX_LENGTH) return 'too_long';
  const lower = password.toLowerCase();
  if (isCommon(lower)) return 'common';
  if (personalParts(owner).some((part) => lower.includes(part))) return 'personal';
  return null;
}
