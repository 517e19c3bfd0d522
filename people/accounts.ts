import crypto from 'node:crypto';
/**
 * What signing in as a person needs of the database: the password hash, the invitation and reset
 * links (only the sha256 of each link's token is stored), and the failed sign-ins that set the
 * limits (people/signInRules.ts). Pass a transaction as `db` to make several calls atomic.
 */
import type { Knex } from 'knex';
import { insertedId, toBool, toDate, toRequiredDate } from '../platform/db/mapping';
import { hashToken, randomToken } from '../platform/tokens';

/** invitation, reset and setup (the first admin) set a password; email_change confirms a new address. */
export type LinkPurpose = 'invitation' | 'reset' | 'setup' | 'email_change';

/** The links the password page takes. */
export const PASSWORD_PURPOSES: readonly LinkPurpose[] = ['invitation', 'reset', 'setup'];

export interface UserLink {
  id: number;
  userId: number;
  purpose: LinkPurpose;
  createdByUserId: number | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  /** The address an email_change link confirms; null for the others. */
  newEmail: string | null;
}

/** What a link's token stands for: a live link, one used or expired, or nothing we issued. */
export type LinkState = { state: 'valid'; link: UserLink } | { state: 'used'; link: UserLink } | { state: 'expired'; link: UserLink } | { state: 'unknown' };

export interface SignInRecord {
  userId: number;
  active: boolean;
  passwordHash: string | null;
  failedSignIns: number;
  lastFailedSignInAt: Date | null;
}

interface LinkRow {
  id: number;
  user_id: number;
  purpose: LinkPurpose;
  created_by_user_id: number | null;
  created_at: unknown;
  expires_at: unknown;
  used_at: unknown;
  new_email?: string | null;
}

const toLink = (row: LinkRow): UserLink => ({
  id: Number(row.id),
  userId: Number(row.user_id),
  purpose: row.purpose,
  createdByUserId: row.created_by_user_id === null ? null : Number(row.created_by_user_id),
  createdAt: toRequiredDate(row.created_at),
  expiresAt: toRequiredDate(row.expires_at),
  usedAt: toDate(row.used_at),
  newEmail: row.new_email ?? null,
});

export class AccountsRepository {
  constructor(private readonly db: Knex) {}

  /** The sign-in facts of the account with this e-mail (compared lower-cased), or null. */
  async signInRecord(email: string): Promise<SignInRecord | null> {
    const row = (await this.db('users')
      .where({ email: email.trim().toLowerCase() })
      .first('id', 'active', 'password_hash', 'failed_sign_ins', 'last_failed_sign_in_at')) as
      | { id: number; active: unknown; password_hash: string | null; failed_sign_ins: number; last_failed_sign_in_at: unknown }
      | undefined;
    if (!row) return null;
    return {
      userId: Number(row.id),
      active: toBool(row.active),
      passwordHash: row.password_hash,
      failedSignIns: Number(row.failed_sign_ins),
      lastFailedSignInAt: toDate(row.last_failed_sign_in_at),
    };
  }

  /** Whether the user has set a password yet. */
  async hasPassword(userId: number): Promise<boolean> {
    const row = (await this.db('users').where({ id: userId }).first('password_hash')) as { password_hash: string | null } | undefined;
    return Boolean(row?.password_hash);
  }

  /** Stores a new password hash and clears the account's failed sign-ins. */
  async setPasswordHash(userId: number, passwordHash: string, now: Date): Promise<void> {
    await this.db('users').where({ id: userId }).update({ password_hash: passwordHash, password_changed_at: now, failed_sign_ins: 0, last_failed_sign_in_at: null });
  }

  /** A failed sign-in: counted on the account (when there is one) and on the client address. */
  async recordFailure(userId: number | null, address: string, now: Date): Promise<void> {
    if (userId !== null) {
      await this.db('users')
        .where({ id: userId })
        .update({ failed_sign_ins: this.db.raw('?? + 1', ['failed_sign_ins']), last_failed_sign_in_at: now });
    }
    await this.db('sign_in_failures').insert({ address: address.slice(0, 64), at: now });
  }

  /** A successful sign-in ends the account's run of failures. */
  async clearFailures(userId: number): Promise<void> {
    await this.db('users').where({ id: userId }).where('failed_sign_ins', '>', 0).update({ failed_sign_ins: 0, last_failed_sign_in_at: null });
  }

  /**
   * A sign-in try, counted before its password is checked (so a burst of tries at once counts every
   * one): the client's address and the sha256 of the e-mail it names. Returns the row, which a try that
   * was not let through is forgotten by (`forgetTry`), and a good one clears (`clearEmailFailures`).
   */
  async recordTry(address: string, email: string, now: Date): Promise<number> {
    return insertedId(await this.db('sign_in_failures').insert({ address: address.slice(0, 64), email_hash: emailHash(email), at: now }));
  }

  async forgetTry(id: number): Promise<void> {
    await this.db('sign_in_failures').where({ id }).delete();
  }

  /** The failed tries of this e-mail (other than `exceptId`), however many and the last one's time. */
  async emailFailures(email: string, exceptId: number): Promise<{ count: number; lastAt: Date | null }> {
    const row = (await this.db('sign_in_failures').where({ email_hash: emailHash(email) }).whereNot({ id: exceptId }).count({ n: '*' }).max({ last: 'at' }).first()) as { n: number | string; last: unknown } | undefined;
    return { count: Number(row?.n ?? 0), lastAt: toDate(row?.last ?? null) };
  }

  /** A good sign-in ends the run of failures of its e-mail. */
  async clearEmailFailures(email: string): Promise<void> {
    await this.db('sign_in_failures').where({ email_hash: emailHash(email) }).delete();
  }

  /** Whether a link of this purpose was made for the user since `since`. */
  async linkCreatedSince(userId: number, purpose: LinkPurpose, since: Date): Promise<boolean> {
    return (await this.db('user_links').where({ user_id: userId, purpose }).where('created_at', '>=', since).first('id')) !== undefined;
  }

  /** Failed sign-ins from this address since `since`. */
  async addressFailuresSince(address: string, since: Date): Promise<number> {
    const row = (await this.db('sign_in_failures').where({ address: address.slice(0, 64) }).where('at', '>=', since).count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  }

  /** Deletes failures older than `before`: they count for nothing any more. */
  async pruneFailures(before: Date): Promise<number> {
    return this.db('sign_in_failures').where('at', '<', before).delete();
  }

  /**
   * A new single-use link for the user; the user's earlier live links of the same purpose end now,
   * so only the newest mail works. Returns the token (only its hash is stored) and the link.
   */
  async createLink(userId: number, purpose: LinkPurpose, expiresAt: Date, createdByUserId: number | null, now: Date, newEmail: string | null = null): Promise<{ token: string; link: UserLink }> {
    await this.db('user_links').where({ user_id: userId, purpose }).whereNull('used_at').where('expires_at', '>', now).update({ expires_at: now });
    const token = randomToken();
    const result = await this.db('user_links').insert({
      user_id: userId,
      purpose,
      token_hash: hashToken(token),
      created_by_user_id: createdByUserId,
      created_at: now,
      expires_at: expiresAt,
      new_email: newEmail,
    });
    const link = await this.getLink(insertedId(result));
    return { token, link: link! };
  }

  async getLink(id: number): Promise<UserLink | null> {
    const row = (await this.db('user_links').where({ id }).first()) as LinkRow | undefined;
    return row ? toLink(row) : null;
  }

  /** What a token from a link stands for now. */
  async linkState(token: string, now: Date): Promise<LinkState> {
    if (token.length === 0 || token.length > 100) return { state: 'unknown' };
    const row = (await this.db('user_links').where({ token_hash: hashToken(token) }).first()) as LinkRow | undefined;
    if (!row) return { state: 'unknown' };
    const link = toLink(row);
    if (link.usedAt) return { state: 'used', link };
    if (link.expiresAt.getTime() <= now.getTime()) return { state: 'expired', link };
    return { state: 'valid', link };
  }

  /** Marks a live link used; false when it was used (or had expired) meanwhile, so two tabs never both use it. */
  async useLink(id: number, now: Date): Promise<boolean> {
    const changed = await this.db('user_links').where({ id }).whereNull('used_at').where('expires_at', '>', now).update({ used_at: now });
    return changed > 0;
  }

  /** Ends every live link of the user now (deactivation). */
  async endLinks(userId: number, now: Date): Promise<number> {
    return this.db('user_links').where({ user_id: userId }).whereNull('used_at').where('expires_at', '>', now).update({ expires_at: now });
  }

  /** The user's links, newest first (tests and, later, the people page). */
  async listLinks(userId: number): Promise<UserLink[]> {
    const rows = (await this.db('user_links').where({ user_id: userId }).orderBy('id', 'desc')) as LinkRow[];
    return rows.map(toLink);
  }
}

/** The e-mail as failures keep it: normalized, then hashed (the table never holds who was tried). */
function emailHash(email: string): string {
  return crypto.createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}
