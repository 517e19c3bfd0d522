/**
 * The second factor as the console pages and the API use it: enrolling, passing the gate with a
 * TOTP code or a recovery code, new recovery codes, turning it off, and an admin's reset.
 *
 * Secrets and codes never leave this module except where they must: the secret to the enrolment
 * page (its QR code and its text), fresh recovery codes to the page that shows them once. Results
 * say what happened, never what was typed.
 */
import type { Knex } from 'knex';
import { ApiError } from '../../platform/http/errors';
import { UsersRepository, type User } from '../repository';
import { ConsoleSessionsRepository } from '../sessions';
import { SecondFactorsRepository } from './repository';
import { codeKind, codeWaitMs, DEFAULT_CODE_MAX_WAIT_MS, FIRST_CODE_DELAY_MS, gateFor, mustEnrol, stepAcceptable, stepAt, type Gate, type SessionFacts } from './rules';
import { matchingStep, newRecoveryCodes, newTotpSecret, recoveryCodeHash, SecretBox, totpUri } from './secrets';

/** From configuration: AFTERCARE_SECOND_FACTOR_KEY (sealing secrets) and AFTERCARE_SECOND_FACTOR_MAX_WAIT. */
export interface SecondFactorSettings {
  key?: string;
  maxWaitMs: number;
}

export const DEFAULT_SECOND_FACTOR_SETTINGS: SecondFactorSettings = { maxWaitMs: DEFAULT_CODE_MAX_WAIT_MS };

export interface SecondFactorDeps {
  knex: Knex;
  settings?: SecondFactorSettings;
  now?: () => Date;
}

const clock = (deps: SecondFactorDeps) => (deps.now ?? (() => new Date()))();
const settingsOf = (deps: SecondFactorDeps) => deps.settings ?? DEFAULT_SECOND_FACTOR_SETTINGS;
const boxOf = (deps: SecondFactorDeps) => new SecretBox(settingsOf(deps).key);

/** Where a session stands before the console opens to it (rules.ts gateFor). */
export async function sessionGate(session: SessionFacts, user: User, deps: SecondFactorDeps): Promise<Gate> {
  // Open even for an enrolled person: decided without looking the factor up.
  if (gateFor(session, { role: user.role, enrolled: true }) === 'open') return 'open';
  return gateFor(session, { role: user.role, enrolled: await new SecondFactorsRepository(deps.knex).enrolled(user.id) });
}

export type FactorStatus = { enrolled: true; since: Date; recoveryCodesLeft: number; mayDisable: boolean } | { enrolled: false; mustEnrol: boolean };

export async function factorStatus(user: User, deps: SecondFactorDeps): Promise<FactorStatus> {
  const repo = new SecondFactorsRepository(deps.knex);
  const factor = await repo.get(user.id);
  if (!factor?.enrolledAt) return { enrolled: false, mustEnrol: mustEnrol(user.role) };
  return { enrolled: true, since: factor.enrolledAt, recoveryCodesLeft: await repo.unusedRecoveryCodes(user.id), mayDisable: !mustEnrol(user.role) };
}

/**
 * The pending enrolment's secret for this console session (a new one the first time, the same on
 * reload, a new one for another session), or null when enrolled. `started`: a new secret was made.
 */
export async function beginEnrolment(user: User, sessionId: number | null, deps: SecondFactorDeps): Promise<{ secret: string; uri: string; started: boolean } | null> {
  const box = boxOf(deps);
  const repo = new SecondFactorsRepository(deps.knex);
  let factor = await repo.startEnrolment(user.id, box.seal(newTotpSecret()), clock(deps), sessionId);
  if (factor.enrolledAt) return null;
  let secret = box.open(factor.sealedSecret);
  if (secret === null) {
    // Sealed under a key no longer configured: nothing was confirmed with it, so start afresh.
    await repo.remove(user.id);
    factor = await repo.startEnrolment(user.id, box.seal(newTotpSecret()), clock(deps), sessionId);
    secret = box.open(factor.sealedSecret)!;
  }
  return { secret, uri: totpUri(secret, user.email), started: factor.started };
}

export type CodeRefusal = 'malformed' | 'wrong' | 'reused' | 'recovery_used' | 'not_enrolled' | 'wait';
export type CodeCheck = { ok: true; via: 'totp' | 'recovery' } | { ok: false; reason: CodeRefusal; waitMs?: number };

/**
 * Checks a code of an enrolled person within the limits, using it up when good (a TOTP step or a
 * recovery code). `session` is the console session that passes with it, if any. All in one
 * transaction: a good code, its use and the session's pass are one step.
 */
async function checkCode(user: User, typed: string, options: { recovery: boolean; sessionRowId?: number | null }, deps: SecondFactorDeps): Promise<CodeCheck> {
  const kind = codeKind(typed);
  if (kind === 'malformed' || (kind === 'recovery' && !options.recovery)) return { ok: false, reason: 'malformed' };
  const now = clock(deps);
  const repo = new SecondFactorsRepository(deps.knex);
  const factor = await repo.get(user.id);
  if (!factor?.enrolledAt) return { ok: false, reason: 'not_enrolled' };
  const waitMs = codeWaitMs(factor.failedCodes, factor.lastFailedCodeAt, now, settingsOf(deps).maxWaitMs);
  if (waitMs > 0) return { ok: false, reason: 'wait', waitMs };
  // Counted before it is checked: tries sent at once get one check between them.
  if (!(await repo.countTry(user.id, factor.failedCodes, now))) return { ok: false, reason: 'wait', waitMs: FIRST_CODE_DELAY_MS };
  let step: number | null = null;
  if (kind === 'totp') {
    const secret = boxOf(deps).open(factor.sealedSecret);
    step = secret === null ? null : matchingStep(secret, typed, now.getTime());
    if (step === null) return { ok: false, reason: 'wrong' };
    if (!stepAcceptable(step, stepAt(now.getTime()), factor.lastStep)) return { ok: false, reason: 'reused' };
  }
  return deps.knex.transaction(async (trx): Promise<CodeCheck> => {
    const factors = new SecondFactorsRepository(trx);
    if (step !== null && !(await factors.acceptStep(user.id, step))) return { ok: false, reason: 'reused' };
    if (kind === 'recovery' && !(await factors.useRecoveryCode(user.id, recoveryCodeHash(typed), now))) return { ok: false, reason: 'recovery_used' };
    await factors.clearFailures(user.id);
    if (options.sessionRowId) await new ConsoleSessionsRepository(trx).markSecondFactorPassed(options.sessionRowId, now);
    return { ok: true, via: kind };
  });
}

/** The gate: a TOTP code or a recovery code lets this session through. */
export function passSecondFactor(user: User, typed: string, sessionRowId: number, deps: SecondFactorDeps): Promise<CodeCheck> {
  return checkCode(user, typed, { recovery: true, sessionRowId }, deps);
}

export type Enrolment = { ok: true; recoveryCodes: string[] } | { ok: false; reason: 'malformed' | 'wrong' | 'already' };

/**
 * Confirms the pending enrolment with a first code: the factor is on, the session that did it has
 * passed, and the person gets their recovery codes (shown once). A second submit finds it done.
 */
export async function confirmEnrolment(user: User, typed: string, sessionRowId: number | null, deps: SecondFactorDeps): Promise<Enrolment> {
  if (codeKind(typed) !== 'totp') return { ok: false, reason: 'malformed' };
  const now = clock(deps);
  const factor = await new SecondFactorsRepository(deps.knex).get(user.id);
  if (!factor) return { ok: false, reason: 'wrong' };
  if (factor.enrolledAt) return { ok: false, reason: 'already' };
  const secret = boxOf(deps).open(factor.sealedSecret);
  const step = secret === null ? null : matchingStep(secret, typed, now.getTime());
  if (step === null) return { ok: false, reason: 'wrong' };
  const codes = newRecoveryCodes();
  return deps.knex.transaction(async (trx): Promise<Enrolment> => {
    const factors = new SecondFactorsRepository(trx);
    if (!(await factors.confirm(user.id, step, now))) return { ok: false, reason: 'already' };
    await factors.replaceRecoveryCodes(user.id, codes.map((c) => c.hash), now);
    if (sessionRowId) await new ConsoleSessionsRepository(trx).markSecondFactorPassed(sessionRowId, now);
    return { ok: true, recoveryCodes: codes.map((c) => c.code) };
  });
}

/** New recovery codes for a current TOTP code; the old ones stop working. */
export async function regenerateRecoveryCodes(user: User, typed: string, deps: SecondFactorDeps): Promise<{ ok: true; recoveryCodes: string[] } | { ok: false; reason: CodeRefusal; waitMs?: number }> {
  const checked = await checkCode(user, typed, { recovery: false }, deps);
  if (!checked.ok) return checked;
  const codes = newRecoveryCodes();
  await new SecondFactorsRepository(deps.knex).replaceRecoveryCodes(user.id, codes.map((c) => c.hash), clock(deps));
  return { ok: true, recoveryCodes: codes.map((c) => c.code) };
}

/** Turns the factor off for a current TOTP code; refused for the roles that must keep one. */
export async function disableSecondFactor(user: User, typed: string, deps: SecondFactorDeps): Promise<{ ok: true } | { ok: false; reason: CodeRefusal | 'required'; waitMs?: number }> {
  if (mustEnrol(user.role)) return { ok: false, reason: 'required' };
  const checked = await checkCode(user, typed, { recovery: false }, deps);
  if (!checked.ok) return checked;
  await deps.knex.transaction((trx) => new SecondFactorsRepository(trx).remove(user.id));
  return { ok: true };
}

/**
 * An admin resets a person's factor (a lost phone): the factor and its recovery codes are gone and
 * every session of theirs ends, so they sign in again and enrol afresh. Whole or not at all.
 */
export async function resetSecondFactor(userId: number, caller: User, deps: SecondFactorDeps): Promise<{ user: User; hadFactor: boolean; sessionsEnded: number }> {
  if (caller.role !== 'admin') throw new ApiError(403, 'forbidden', 'Only an admin resets a second factor');
  const user = await new UsersRepository(deps.knex).get(userId);
  if (!user) throw new ApiError(404, 'not_found', `No user ${userId}`);
  const now = clock(deps);
  return deps.knex.transaction(async (trx) => {
    const hadFactor = await new SecondFactorsRepository(trx).remove(userId);
    const sessionsEnded = await new ConsoleSessionsRepository(trx).revokeAllForUser(userId, 'second_factor_reset', now);
    return { user, hadFactor, sessionsEnded };
  });
}
