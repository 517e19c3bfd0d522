/**
 * People's accounts as both front ends use them: inviting a person, the links that let them set a
 * password (invitation, reset), and signing in with an e-mail and a password. The API routes and
 * the console pages only parse, call and render.
 *
 * Passwords and link tokens never leave this module except where they must: a token goes into the
 * one mail that carries its link (and is scrubbed from the outbox row once the mail is out), a
 * password only into argon2.
 */
import type { Knex } from 'knex';
import { CustomersRepository } from '../installedBase/customers';
import { DealersRepository } from '../installedBase/dealers';
import { words } from '../domain/words';
import type { Locale } from '../domain/locale';
import { ApiError } from '../platform/http/errors';
import type { NoticeOutbox } from '../platform/notices';
import { AccountsRepository, PASSWORD_PURPOSES, type LinkPurpose, type LinkState, type UserLink } from './accounts';
import { checkNewPassword, decoyHash, hashPassword, verifyPassword } from './passwords';
import type { PasswordProblem } from './passwordRules';
import type { Role } from './roles';
import { actsForProblems, isDealerAdmin, mayGive } from './adminRules';
import { administers, administratorOf, fieldRefusal, requireContact } from './adminChecks';
import { PeopleDirectory } from './directory';
import { UsersRepository, type User } from './repository';
import { ConsoleSessionsRepository } from './sessions';
import { addressMayTry, waitBeforeTryMs, type AddressLimit } from './signInRules';

/** How long links live: AFTERCARE_INVITATION_VALID (72 h) and AFTERCARE_RESET_VALID (1 h). */
export interface LinkLifetimes {
  invitationMs: number;
  resetMs: number;
  /** A reset asked again within this time sends no new mail (the last link still works). */
  resetResendMs?: number;
}

const DEFAULT_RESET_RESEND_MS = 2 * 60_000;

export const DEFAULT_LINK_LIFETIMES: LinkLifetimes = { invitationMs: 72 * 3_600_000, resetMs: 3_600_000, resetResendMs: DEFAULT_RESET_RESEND_MS };

/** Where the mails go out and what their links point at. */
export interface PeopleMail {
  outbox: NoticeOutbox;
  /** The console's address (AFTERCARE_PUBLIC_URL), without a trailing slash. */
  publicUrl: string;
}

export interface PeopleDeps {
  knex: Knex;
  mail?: PeopleMail;
  lifetimes?: LinkLifetimes;
  now?: () => Date;
}

/** The path of the page a link opens; the token travels in the query, never in a path that is logged or audited. */
export const PASSWORD_PAGE = '/password';

export const linkUrl = (publicUrl: string, token: string) => `${publicUrl}${PASSWORD_PAGE}?token=${encodeURIComponent(token)}`;

export interface InviteInput {
  email: string;
  name: string;
  role: Role;
  locale?: Locale;
  timeZone?: string;
  dealerId?: number;
  customerId?: number;
  /** The organisational unit a staff member acts for. */
  orgUnitId?: number;
  /** A dealer user who administers their dealer's users (only an admin sets it). */
  dealerAdmin?: boolean;
}

export type MailOutcome = 'sent' | 'failed';

export interface Invitation {
  user: User;
  link: UserLink;
  created: boolean;
  mail: MailOutcome;
}

const clock = (deps: PeopleDeps) => (deps.now ?? (() => new Date()))();

function refusedGrant(field: string, role: Role): ApiError {
  const text = `You may not give the role ${role}`;
  return new ApiError(403, 'forbidden', text, [{ field, message: text }], words('people.grant.refused', { role }));
}

/** What an account acts for, checked against its role and the records it names; the first problem is answered, naming its field. */
export async function actsForChecked(knex: Knex, shape: { role: Role; dealerId: number | null; customerId: number | null; orgUnitId: number | null; dealerAdmin: boolean }): Promise<void> {
  const [rule] = Object.entries(actsForProblems(shape));
  if (rule) throw fieldRefusal(400, 'validation_failed', rule[0], words(`people.problem.${rule[1]}`));
  if (shape.customerId !== null && !(await new CustomersRepository(knex).get(shape.customerId))) throw fieldRefusal(400, 'validation_failed', 'customerId', words('people.problem.noCustomer', { id: shape.customerId }));
  if (shape.dealerId !== null && !(await new DealersRepository(knex).get(shape.dealerId))) throw fieldRefusal(400, 'validation_failed', 'dealerId', words('people.problem.noDealer', { id: shape.dealerId }));
  if (shape.orgUnitId !== null && !(await knex('org_units').where({ id: shape.orgUnitId }).first('id'))) throw fieldRefusal(400, 'validation_failed', 'orgUnitId', words('people.problem.noUnit', { id: shape.orgUnitId }));
}

/**
 * Invites a person: creates their account (or updates the one with this e-mail) and mails them a
 * single-use link to set their password. Nobody gives an account they may not give
 * (people/adminRules.ts), nor touches an account they do not administer; staff invite a customer's
 * existing contacts only.
 */
export async function invite(input: InviteInput, caller: User, deps: PeopleDeps): Promise<Invitation> {
  const who = await administratorOf(deps.knex, caller);
  const shape = { role: input.role, dealerId: input.dealerId ?? null, customerId: input.customerId ?? null };
  if (!mayGive(who, shape)) throw refusedGrant(input.role === 'dealer' && isDealerAdmin(who) ? 'dealerId' : 'role', input.role);
  if (input.dealerAdmin && who.role !== 'admin') throw fieldRefusal(403, 'forbidden', 'dealerAdmin', words('people.problem.dealerAdminByAdmin'));
  // Checked before anything is written: an invitation nobody can receive is no invitation.
  if (!deps.mail) throw new ApiError(503, 'unavailable', 'No mail configured for invitations');
  const users = new UsersRepository(deps.knex);
  const existing = await users.getByEmail(input.email);
  if (existing) {
    const flags = await new PeopleDirectory(deps.knex).accountFlags(existing.id);
    // Refused without naming the account's role: an inviter learns no more of accounts they do not administer.
    const notYours = () => fieldRefusal(403, 'forbidden', 'email', words('people.problem.emailNotYours'));
    if (!(await administers(deps.knex, who, { userId: existing.id, role: existing.role, dealerId: existing.dealerId, customerId: existing.customerId }))) throw notYours();
    if (flags?.dealerAdmin && who.role !== 'admin') throw notYours();
  }
  await actsForChecked(deps.knex, { ...shape, orgUnitId: input.orgUnitId ?? null, dealerAdmin: input.dealerAdmin ?? false });
  if (input.role === 'customer') await requireContact(deps.knex, who, input.customerId!, input.email);
  const now = clock(deps);
  const lifetimes = deps.lifetimes ?? DEFAULT_LINK_LIFETIMES;
  const fields = {
    name: input.name,
    role: input.role,
    locale: input.locale ?? existing?.locale ?? 'zh-CN',
    timeZone: input.timeZone ?? existing?.timeZone ?? null,
    dealerId: input.dealerId ?? null,
    customerId: input.customerId ?? null,
  };
  const { user, token, link } = await deps.knex.transaction(async (trx) => {
    const repo = new UsersRepository(trx);
    const account = existing ? await repo.updateInvited(existing.id, fields) : await repo.create({ ...fields, email: input.email }, now);
    await new PeopleDirectory(trx).update(account.id, { orgUnitId: input.orgUnitId ?? null, dealerAdmin: input.dealerAdmin ?? false });
    const issued = await new AccountsRepository(trx).createLink(account.id, 'invitation', new Date(now.getTime() + lifetimes.invitationMs), caller.id, now);
    return { user: account, ...issued };
  });
  const mail = await sendLink(deps, user, link, token, { inviterName: caller.name });
  return { user, link, created: !existing, mail };
}

/**
 * Mails a link through the notice outbox (its template, the person's language, exactly once), then
 * blanks the stored copy of the mail: the outbox keeps who was mailed what and when, never a live link.
 */
export async function sendLink(deps: PeopleDeps, user: User, link: UserLink, token: string, extra: Record<string, unknown> = {}): Promise<MailOutcome> {
  if (!deps.mail) throw new ApiError(503, 'unavailable', 'No mail configured for links');
  const idempotencyKey = `user-${user.id}/${link.purpose}/${link.id}`;
  let outcome: MailOutcome = 'failed';
  try {
    const sent = await deps.mail.outbox.send({
      idempotencyKey,
      template: link.purpose === 'invitation' ? 'invitation' : 'password-reset',
      locale: user.locale,
      to: { email: user.email, name: user.name },
      timeZone: user.timeZone ?? undefined,
      context: { recipientName: user.name, email: user.email, link: linkUrl(deps.mail.publicUrl, token), expiresAt: link.expiresAt.toISOString(), ...extra },
    });
    outcome = sent.status;
  } catch {
    // SMTP trouble: the link is not resent by anyone, so the row is marked failed below and the
    // person asks again (a new invitation, or "forgot password").
    outcome = 'failed';
  } finally {
    await deps.knex('notice_outbox')
      .where({ idempotency_key: idempotencyKey })
      .update({ html: '', text: '', context: JSON.stringify({ link: '(removed once sent)' }) });
    if (outcome === 'failed') {
      await deps.knex('notice_outbox').where({ idempotency_key: idempotencyKey, status: 'pending' }).update({ status: 'failed', failed_at: clock(deps), last_error: 'the link could not be mailed; ask for a new one' });
    }
  }
  return outcome;
}

/**
 * Someone forgot their password (or their invitation expired): a reset link goes to the address when
 * an active account has it. The caller answers the same whatever happened, so nobody learns which
 * addresses have accounts.
 */
export async function requestReset(email: string, deps: PeopleDeps): Promise<void> {
  const user = await new UsersRepository(deps.knex).getByEmail(email);
  if (!user || !user.active) return;
  const now = clock(deps);
  const lifetimes = deps.lifetimes ?? DEFAULT_LINK_LIFETIMES;
  // One mail in a while: asking again at once sends nothing more (the last link still works), so nobody floods a mailbox.
  if (await new AccountsRepository(deps.knex).linkCreatedSince(user.id, 'reset', new Date(now.getTime() - (lifetimes.resetResendMs ?? DEFAULT_RESET_RESEND_MS)))) return;
  const { token, link } = await new AccountsRepository(deps.knex).createLink(user.id, 'reset', new Date(now.getTime() + lifetimes.resetMs), null, now);
  await sendLink(deps, user, link, token);
}

/** What a link's token stands for now, with the person it is for when it is live. */
export async function openLink(token: string, deps: PeopleDeps, purposes: readonly LinkPurpose[] = PASSWORD_PURPOSES): Promise<{ state: LinkState['state']; purpose: LinkPurpose | null; user: User | null }> {
  const found = await new AccountsRepository(deps.knex).linkState(token, clock(deps));
  // A link for something else (an e-mail change on the password page) is no link here.
  if (found.state === 'unknown' || !purposes.includes(found.link.purpose)) return { state: 'unknown', purpose: null, user: null };
  const user = await new UsersRepository(deps.knex).get(found.link.userId);
  // A link of a person deactivated since is as good as expired.
  if (!user?.active) return { state: 'expired', purpose: found.link.purpose, user: null };
  return { state: found.state, purpose: found.link.purpose, user: found.state === 'valid' ? user : null };
}

export type SetPasswordResult =
  | { ok: true; user: User; session: { id: number; sessionId: string }; purpose: LinkPurpose }
  | { ok: false; problem: PasswordProblem | 'mismatch' }
  | { ok: false; link: 'used' | 'expired' | 'unknown' };

/**
 * Sets the password through a live link: the link is used up, the person's other sessions end
 * (a reset after a stolen password must shut the thief out), and they are signed in.
 */
export async function setPasswordWithLink(token: string, password: string, confirmation: string, deps: PeopleDeps): Promise<SetPasswordResult> {
  const opened = await openLink(token, deps);
  if (opened.state !== 'valid' || !opened.user) return { ok: false, link: opened.state === 'valid' ? 'expired' : opened.state };
  const user = opened.user;
  const problem = checkNewPassword(password, { email: user.email, name: user.name });
  if (problem) return { ok: false, problem };
  if (password !== confirmation) return { ok: false, problem: 'mismatch' };
  const passwordHash = await hashPassword(password);
  const now = clock(deps);
  return deps.knex.transaction(async (trx): Promise<SetPasswordResult> => {
    const accounts = new AccountsRepository(trx);
    const found = await accounts.linkState(token, now);
    if (found.state !== 'unknown' && !PASSWORD_PURPOSES.includes(found.link.purpose)) return { ok: false, link: 'unknown' };
    if (found.state !== 'valid' || !(await accounts.useLink(found.link.id, now))) return { ok: false, link: found.state === 'valid' ? 'used' : found.state };
    await accounts.setPasswordHash(user.id, passwordHash, now);
    const sessions = new ConsoleSessionsRepository(trx);
    await sessions.revokeOthersForUser(user.id, null, 'password_changed', now);
    const session = await sessions.openForUser(user, now);
    return { ok: true, user, session, purpose: found.link.purpose };
  });
}

export type SignInResult =
  | { ok: true; user: User; session: { id: number; sessionId: string } }
  | { ok: false; reason: 'invalid'; userId: number | null }
  | { ok: false; reason: 'wait'; waitMs: number }
  | { ok: false; reason: 'address_limited' };

/**
 * Signs in with an e-mail and a password, within the limits of people/signInRules.ts: too many
 * failures from the address refuse it; an account past its free failures makes each try wait. A wrong
 * e-mail and a wrong password answer alike, and take as long (an unknown address is checked against
 * a decoy hash).
 */
export async function signInWithPassword(email: string, password: string, address: string, addressLimit: AddressLimit, deps: PeopleDeps): Promise<SignInResult> {
  const now = clock(deps);
  const accounts = new AccountsRepository(deps.knex);
  // Counted first: tries sent at once all count, so a burst cannot slip past the limits together.
  const tryId = await accounts.recordTry(address, email, now);
  if (!addressMayTry((await accounts.addressFailuresSince(address, new Date(now.getTime() - addressLimit.windowMs))) - 1, addressLimit)) return { ok: false, reason: 'address_limited' };
  // The delay runs per e-mail, with or without an account behind it: both answer alike.
  const run = await accounts.emailFailures(email, tryId);
  const waitMs = waitBeforeTryMs(run.count, run.lastAt, now);
  if (waitMs > 0) {
    // A try turned away does not count: a stranger hammering an address cannot keep its owner waiting longer.
    await accounts.forgetTry(tryId);
    return { ok: false, reason: 'wait', waitMs };
  }
  const record = await accounts.signInRecord(email);
  const good = await verifyPassword(record?.passwordHash ?? (await decoyHash()), password);
  if (!record || !good || !record.active || !record.passwordHash) return { ok: false, reason: 'invalid', userId: record?.userId ?? null };
  await accounts.clearEmailFailures(email);
  const user = (await new UsersRepository(deps.knex).get(record.userId))!;
  const session = await new ConsoleSessionsRepository(deps.knex).openForUser(user, now);
  return { ok: true, user, session };
}

/** Counts a failed sign-in of another kind (an API token) against the address. */
export async function recordAddressFailure(address: string, deps: PeopleDeps): Promise<void> {
  await new AccountsRepository(deps.knex).recordFailure(null, address, clock(deps));
}

/** Whether the address may still try to sign in (any kind). */
export async function addressMaySignIn(address: string, limit: AddressLimit, deps: PeopleDeps): Promise<boolean> {
  const now = clock(deps);
  return addressMayTry(await new AccountsRepository(deps.knex).addressFailuresSince(address, new Date(now.getTime() - limit.windowMs)), limit);
}


