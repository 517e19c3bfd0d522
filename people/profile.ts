/**
 * A person's own account, as the profile page uses it: their name, language and time zone, a new
 * password (the current one required; their other sessions end), their sessions (see them, end any
 * other), and a new e-mail address, which changes only when the link mailed to it is opened (the old
 * address is told). Every step is one transaction; doing it twice changes nothing more.
 */
import type { Locale } from '../domain/locale';
import { toRequiredDate } from '../platform/db/mapping';
import type { SessionLimits } from '../domain/consoleSessions';
import { AccountsRepository, type UserLink } from './accounts';
import { checkNewPassword, hashPassword, verifyPassword } from './passwords';
import type { PasswordProblem } from './passwordRules';
import { UsersRepository, type User } from './repository';
import { ConsoleSessionsRepository } from './sessions';
import type { PeopleDeps } from './useCases';
import { profileProblems, type ProfileInput, type ProfileProblem } from './profileRules';

/** The page that confirms a new address; the token travels in the query, never in a path. */
export const EMAIL_CONFIRM_PAGE = '/profile/email/confirm';

/** How long a link to confirm a new address lives: as long as a reset link (AFTERCARE_RESET_VALID) but at least a day, people read mail late. */
const emailChangeValidMs = (deps: PeopleDeps) => Math.max(deps.lifetimes?.resetMs ?? 0, 24 * 3_600_000);

const clock = (deps: PeopleDeps) => (deps.now ?? (() => new Date()))();

/** Saves name, language and time zone (empty: the console's, Asia/Shanghai); nothing when the form has problems. */
export async function updateProfile(user: User, input: ProfileInput, deps: PeopleDeps): Promise<{ ok: true; user: User } | { ok: false; problems: ProfileProblem[] }> {
  const problems = profileProblems(input);
  if (problems.length > 0) return { ok: false, problems };
  const timeZone = input.timeZone.trim() === '' ? null : input.timeZone.trim();
  await deps.knex('users').where({ id: user.id }).update({ name: input.name.trim(), locale: input.locale as Locale, time_zone: timeZone });
  return { ok: true, user: (await new UsersRepository(deps.knex).get(user.id))! };
}

export type PasswordChangeResult = { ok: true; endedSessions: number } | { ok: false; field: 'current' | 'password' | 'confirm'; problem: PasswordProblem | 'mismatch' | 'wrongCurrent' };

/**
 * A new password: the current one must be given (when there is one), the new one pass the rules; then
 * every other session of the person ends and this one (`keepSessionRowId`) stays.
 */
export async function changePassword(user: User, input: { current: string; password: string; confirm: string }, keepSessionRowId: number | null, deps: PeopleDeps): Promise<PasswordChangeResult> {
  const accounts = new AccountsRepository(deps.knex);
  const record = await accounts.signInRecord(user.email);
  if (record?.passwordHash && !(await verifyPassword(record.passwordHash, input.current))) return { ok: false, field: 'current', problem: 'wrongCurrent' };
  const problem = checkNewPassword(input.password, { email: user.email, name: user.name });
  if (problem) return { ok: false, field: 'password', problem };
  if (input.password !== input.confirm) return { ok: false, field: 'confirm', problem: 'mismatch' };
  const passwordHash = await hashPassword(input.password);
  const now = clock(deps);
  return deps.knex.transaction(async (trx) => {
    await new AccountsRepository(trx).setPasswordHash(user.id, passwordHash, now);
    const endedSessions = await new ConsoleSessionsRepository(trx).revokeOthersForUser(user.id, keepSessionRowId, 'password_changed', now);
    return { ok: true as const, endedSessions };
  });
}

export interface OwnSession {
  id: number;
  createdAt: Date;
  lastSeenAt: Date;
  /** Opened with a token rather than a password. */
  withToken: boolean;
  current: boolean;
}

/** The person's live sessions (open, and within `limits`: a session past them ends at its next request), newest first, this one marked. */
export async function listOwnSessions(userId: number, currentRowId: number | null, limits: SessionLimits, deps: PeopleDeps): Promise<OwnSession[]> {
  const now = clock(deps).getTime();
  const rows = (await deps.knex('console_sessions')
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .where('last_seen_at', '>', new Date(now - limits.idleMs))
    .where('created_at', '>', new Date(now - limits.absoluteMs))
    .orderBy('id', 'desc')
    .select('id', 'created_at', 'last_seen_at', 'api_token_id')) as {
    id: number;
    created_at: unknown;
    last_seen_at: unknown;
    api_token_id: number | null;
  }[];
  return rows.map((row) => ({
    id: Number(row.id),
    createdAt: toRequiredDate(row.created_at),
    lastSeenAt: toRequiredDate(row.last_seen_at),
    withToken: row.api_token_id !== null,
    current: Number(row.id) === currentRowId,
  }));
}

/** Ends one of the person's own sessions (not this one: that is signing out). False when it was not theirs or already ended. */
export async function endOwnSession(userId: number, sessionRowId: number, currentRowId: number | null, deps: PeopleDeps): Promise<boolean> {
  if (sessionRowId === currentRowId) return false;
  const changed = await deps.knex('console_sessions').where({ id: sessionRowId, user_id: userId }).whereNull('revoked_at').update({ revoked_at: clock(deps), revoked_reason: 'signed_out' });
  return changed > 0;
}

export type EmailChangeRequest = { ok: true; link: UserLink; mail: 'sent' | 'failed' } | { ok: false; field: 'email' | 'current'; problem: 'invalid' | 'same' | 'taken' | 'noMail' | 'wrongCurrent' };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Mails a link to the new address; the address changes only when it is opened. The current password
 * is asked first (when the person has one): whoever holds a session for a moment must not be able to
 * move the account to an address of theirs and then reset its password.
 */
export async function requestEmailChange(user: User, newEmail: string, currentPassword: string, deps: PeopleDeps): Promise<EmailChangeRequest> {
  const record = await new AccountsRepository(deps.knex).signInRecord(user.email);
  if (record?.passwordHash && !(await verifyPassword(record.passwordHash, currentPassword))) return { ok: false, field: 'current', problem: 'wrongCurrent' };
  const email = newEmail.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 191) return { ok: false, field: 'email', problem: 'invalid' };
  if (email === user.email) return { ok: false, field: 'email', problem: 'same' };
  if (await new UsersRepository(deps.knex).getByEmail(email)) return { ok: false, field: 'email', problem: 'taken' };
  if (!deps.mail) return { ok: false, field: 'email', problem: 'noMail' };
  const now = clock(deps);
  const { token, link } = await new AccountsRepository(deps.knex).createLink(user.id, 'email_change', new Date(now.getTime() + emailChangeValidMs(deps)), user.id, now, email);
  const mail = await sendOnce(deps, `user-${user.id}/email_change/${link.id}`, 'email-change', user, email, {
    recipientName: user.name,
    email,
    oldEmail: user.email,
    link: `${deps.mail.publicUrl}${EMAIL_CONFIRM_PAGE}?token=${encodeURIComponent(token)}`,
    expiresAt: link.expiresAt.toISOString(),
  });
  return { ok: true, link, mail };
}

/** What a confirmation link stands for: the person and the address, when it is live. */
export async function openEmailChange(token: string, deps: PeopleDeps): Promise<{ state: 'valid' | 'used' | 'expired' | 'unknown'; newEmail: string | null; user: User | null }> {
  const found = await new AccountsRepository(deps.knex).linkState(token, clock(deps));
  if (found.state === 'unknown' || found.link.purpose !== 'email_change') return { state: 'unknown', newEmail: null, user: null };
  const user = await new UsersRepository(deps.knex).get(found.link.userId);
  if (!user?.active) return { state: 'expired', newEmail: null, user: null };
  return { state: found.state, newEmail: found.link.newEmail, user: found.state === 'valid' ? user : null };
}

export type EmailChangeResult = { ok: true; user: User; oldEmail: string; linkId: number; changedAt: Date } | { ok: false; state: 'used' | 'expired' | 'unknown' | 'taken' };

/** Changes the address through a live link (once), then tells the old address it changed. */
export async function confirmEmailChange(token: string, deps: PeopleDeps): Promise<EmailChangeResult> {
  const now = clock(deps);
  const result = await deps.knex.transaction(async (trx): Promise<EmailChangeResult> => {
    const accounts = new AccountsRepository(trx);
    const found = await accounts.linkState(token, now);
    if (found.state === 'unknown' || found.link.purpose !== 'email_change' || !found.link.newEmail) return { ok: false, state: 'unknown' };
    if (found.state !== 'valid') return { ok: false, state: found.state };
    const users = new UsersRepository(trx);
    const user = await users.get(found.link.userId);
    if (!user?.active) return { ok: false, state: 'expired' };
    if (await users.getByEmail(found.link.newEmail)) return { ok: false, state: 'taken' };
    if (!(await accounts.useLink(found.link.id, now))) return { ok: false, state: 'used' };
    await trx('users').where({ id: user.id }).update({ email: found.link.newEmail });
    // Links sent to the old address (a reset) must not outlive it.
    await trx('user_links').where({ user_id: user.id }).whereNot({ id: found.link.id }).whereNull('used_at').where('expires_at', '>', now).update({ expires_at: now });
    return { ok: true, user: (await users.get(user.id))!, oldEmail: user.email, linkId: found.link.id, changedAt: now };
  });
  if (result.ok) {
    await sendOnce(deps, `user-${result.user.id}/email_changed/${result.linkId}`, 'email-changed', result.user, result.oldEmail, {
      recipientName: result.user.name,
      email: result.user.email,
      oldEmail: result.oldEmail,
      changedAt: result.changedAt,
    });
  }
  return result;
}

/** Sends one mail through the outbox, then blanks its stored copy (a link must not stay in the outbox). */
async function sendOnce(deps: PeopleDeps, idempotencyKey: string, template: string, user: User, to: string, context: Record<string, unknown>): Promise<'sent' | 'failed'> {
  if (!deps.mail) return 'failed';
  let outcome: 'sent' | 'failed' = 'failed';
  try {
    outcome = (await deps.mail.outbox.send({ idempotencyKey, template, locale: user.locale, to: { email: to, name: user.name }, timeZone: user.timeZone ?? undefined, context })).status;
  } catch {
    outcome = 'failed';
  } finally {
    await deps.knex('notice_outbox').where({ idempotency_key: idempotencyKey }).update({ html: '', text: '', context: JSON.stringify({ link: '(removed once sent)' }) });
    if (outcome === 'failed') await deps.knex('notice_outbox').where({ idempotency_key: idempotencyKey, status: 'pending' }).update({ status: 'failed', failed_at: clock(deps), last_error: 'the mail could not be sent; ask again' });
  }
  return outcome;
}
