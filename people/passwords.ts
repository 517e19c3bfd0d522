/**
 * Password hashes and the list of common passwords.
 *
 * Hashes are argon2id through @node-rs/argon2, with OWASP's Password Storage Cheat Sheet's first
 * choice of parameters: 19 MiB of memory, 2 iterations, 1 lane (a 16-byte random salt, a 32-byte
 * hash, in the PHC string form that carries its own parameters, so stronger ones can come later and
 * old hashes still verify). The common passwords are @zxcvbn-ts/language-common's list (the
 * zxcvbn-ts project's, kept up to date with it; about 49,000 entries, the most common first).
 */
import { Algorithm, hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { passwordProblem, type PasswordOwner, type PasswordProblem } from './passwordRules';

export const ARGON2_OPTIONS = { algorithm: Algorithm.Argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

/** False for a wrong password and for a hash that is not one (never throws on bad input). */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * A hash of a password nobody has: signing in with an unknown address verifies against it, so the
 * answer takes as long as for a known one and the timing tells no one which addresses exist.
 */
let decoy: Promise<string> | null = null;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(`decoy-${Math.random()}-${Date.now()}`);
  return decoy;
}

let common: Set<string> | null = null;

/** Whether the (lower-cased) password is on the list of common passwords. */
export function isCommonPassword(lowerCased: string): boolean {
  common ??= new Set((dictionary['passwords-common'] as string[]).map((entry) => entry.toLowerCase()));
  return common.has(lowerCased);
}

export function checkNewPassword(password: string, owner: PasswordOwner): PasswordProblem | null {
  return passwordProblem(password, owner, isCommonPassword);
}
