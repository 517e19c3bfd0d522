import type { Knex } from 'knex';
import type { Locale, Role } from './roles';
import type { User } from '../domain/people';
import { ConflictError, isUniqueViolation } from '../platform/db/errors';
import { insertedId, toBool, toDate, toRequiredDate } from '../platform/db/mapping';
import { generateToken, hashToken } from '../platform/tokens';
import { words } from '../domain/words';
import { actingRole, BOOTSTRAP_ADMIN_EMAIL, BOOTSTRAP_TOKEN_LABEL } from './tokenRules';

export type { User } from '../domain/people';

export interface NewUser {
  name: string;
  email: string;
  role: Role;
  locale?: Locale;
  timeZone?: string | null;
  dealerId?: number | null;
  customerId?: number | null;
}

export interface ApiToken {
  id: number;
  /** Whose token it is: it acts for what they act for. */
  userId: number;
  label: string;
  /** The role it acts with (null: a token older than roles on tokens, acting with its user's). */
  role: Role | null;
  /** Who made it; null for tokens older than that record. */
  createdByUserId: number | null;
  createdAt: Date;
  /** Null: never (the bootstrap admin token). */
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** What a new token is: the role it acts with, its expiry (null: never) and who made it. */
export interface TokenTerms {
  role?: Role;
  expiresAt?: Date | null;
  createdByUserId?: number | null;
  /** The maker's key for this request: the same key again makes no second token (ConflictError). */
  creationKey?: string;
}

export { BOOTSTRAP_ADMIN_EMAIL };

/** Authentication runs on every request; writing last_used_at more often than this buys nothing. */
const LAST_USED_RESOLUTION_MS = 60_000;

interface UserRow {
  id: number;
  name: string;
  email: string;
  role: Role;
  locale: Locale;
  time_zone?: string | null;
  dealer_id: number | null;
  customer_id: number | null;
  active: unknown;
  created_at: unknown;
  dealer_admin?: unknown;
}

interface TokenRow {
  id: number;
  user_id: number;
  label: string;
  role: Role | null;
  created_by_user_id: number | null;
  created_at: unknown;
  expires_at: unknown;
  last_used_at: unknown;
  revoked_at: unknown;
}

function toUser(row: UserRow): User {
  return {
    id: Number(row.id),
    name: row.name,
    email: row.email,
    role: row.role,
    locale: row.locale,
    timeZone: row.time_zone ?? null,
    dealerId: row.dealer_id === null ? null : Number(row.dealer_id),
    customerId: row.customer_id === null || row.customer_id === undefined ? null : Number(row.customer_id),
    active: toBool(row.active),
    createdAt: toRequiredDate(row.created_at),
    ...(row.dealer_admin !== undefined && toBool(row.dealer_admin) ? { dealerAdmin: true } : {}),
  };
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    label: row.label,
    role: row.role ?? null,
    createdByUserId: row.created_by_user_id === null || row.created_by_user_id === undefined ? null : Number(row.created_by_user_id),
    createdAt: toRequiredDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    lastUsedAt: toDate(row.last_used_at),
    revokedAt: toDate(row.revoked_at),
  };
}

/** E-mails compare case-insensitively on both databases because they are stored lower-cased. */
function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}


/** Users and their API tokens. Pass a transaction as `db` to make several calls atomic. */
export class UsersRepository {
  constructor(private readonly db: Knex) {}

  async create(input: NewUser, now: Date = new Date()): Promise<User> {
    const email = normalizeEmail(input.email);
    try {
      const result = await this.db('users').insert({
        name: input.name,
        email,
        role: input.role,
        locale: input.locale ?? 'zh-CN',
        time_zone: input.timeZone ?? null,
        dealer_id: input.dealerId ?? null,
        customer_id: input.customerId ?? null,
        active: true,
        created_at: now,
      });
      return await this.require(insertedId(result));
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(words('people.emailTaken', { email }), { field: 'email' }, { cause: error });
      }
      throw error;
    }
  }

  async get(id: number): Promise<User | null> {
    const row = await this.db<UserRow>('users').where({ id }).first();
    return row ? toUser(row) : null;
  }

  async getByEmail(email: string): Promise<User | null> {
    const row = await this.db<UserRow>('users').where({ email: normalizeEmail(email) }).first();
    return row ? toUser(row) : null;
  }

  /** Active users with this role, oldest first: who is told when a role is alerted. */
  async listActiveWithRole(role: Role): Promise<User[]> {
    const rows = await this.db<UserRow>('users').where({ role, active: true }).orderBy('id');
    return rows.map(toUser);
  }

  /**
   * An invitation's account: its name, role, language, time zone and what it acts for, as the
   * inviter gives them; an inactive account is active again (its old tokens stay revoked).
   */
  async updateInvited(id: number, input: Required<Omit<NewUser, 'email'>>): Promise<User> {
    const wasActive = (await this.require(id)).active;
    await this.db('users')
      .where({ id })
      // A deactivated account invited again starts afresh: its old password must not sign it in before the link is used.
      .update({ name: input.name, role: input.role, locale: input.locale, time_zone: input.timeZone, dealer_id: input.dealerId, customer_id: input.customerId, active: true, ...(wasActive ? {} : { password_hash: null }) });
    return this.require(id);
  }

  /** The language the user reads the console and notices in. */
  async setLocale(userId: number, locale: Locale): Promise<User | null> {
    await this.db('users').where({ id: userId }).update({ locale });
    return this.get(userId);
  }

  /** Returns the plaintext token; it cannot be recovered later. It acts with its user's role and never expires. */
  async issueToken(userId: number, label: string, now: Date = new Date()): Promise<string> {
    return (await this.issueMachineToken(userId, label, {}, now)).token;
  }

  /**
   * A token on `terms` (its role, by default its user's; its expiry, by default never: the use cases
   * always give one; who made it). Returns the plaintext token, shown once, and its row's id.
   */
  async issueMachineToken(userId: number, label: string, terms: TokenTerms, now: Date = new Date()): Promise<{ token: string; id: number }> {
    const token = generateToken();
    const role = terms.role ?? (await this.require(userId)).role;
    try {
      const result = await this.db('api_tokens').insert({
        user_id: userId,
        token_hash: hashToken(token),
        label,
        role,
        created_by_user_id: terms.createdByUserId ?? null,
        created_at: now,
        expires_at: terms.expiresAt ?? null,
        creation_key: terms.creationKey ?? null,
      });
      return { token, id: insertedId(result) };
    } catch (error) {
      if (terms.creationKey !== undefined && isUniqueViolation(error)) throw new ConflictError(words('tokens.alreadyMade'), { field: 'Idempotency-Key' }, { cause: error });
      throw error;
    }
  }

  async listTokens(userId: number): Promise<ApiToken[]> {
    const rows = await this.db<TokenRow>('api_tokens').where({ user_id: userId }).orderBy('id');
    return rows.map(toToken);
  }

  /** Every token of everyone, oldest first (an admin's list). */
  async listAllTokens(): Promise<ApiToken[]> {
    const rows = await this.db<TokenRow>('api_tokens').orderBy('id');
    return rows.map(toToken);
  }

  async getToken(id: number): Promise<ApiToken | null> {
    const row = await this.db<TokenRow>('api_tokens').where({ id }).first();
    return row ? toToken(row) : null;
  }

  /** Ends a token now (revoked tokens never work again). True when it was live. */
  async revokeTokenById(id: number, now: Date = new Date()): Promise<boolean> {
    const changed = await this.db('api_tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: now });
    return changed > 0;
  }

  /**
   * The user stops working at once: authenticate refuses inactive users, their live tokens are
   * revoked too, so reactivating a user later never revives an old token, their console sessions
   * end and their unused links die. Null for an unknown user.
   */
  async deactivate(id: number, now: Date = new Date()): Promise<User | null> {
    await this.db('users').where({ id }).update({ active: false });
    await this.db('api_tokens').where({ user_id: id }).whereNull('revoked_at').update({ revoked_at: now });
    // Sessions would end at their next request anyway (resume checks the user); ended here, on the record, now.
    await this.db('console_sessions').where({ user_id: id }).whereNull('revoked_at').update({ revoked_at: now, revoked_reason: 'user_deactivated' });
    // An invitation or reset link sent before must not bring them back.
    await this.db('user_links').where({ user_id: id }).whereNull('used_at').where('expires_at', '>', now).update({ expires_at: now });
    return this.get(id);
  }

  /** True when the token existed and was live. */
  async revokeToken(token: string, now: Date = new Date()): Promise<boolean> {
    const changed = await this.db('api_tokens').where({ token_hash: hashToken(token) }).whereNull('revoked_at').update({ revoked_at: now });
    return changed > 0;
  }

  /**
   * The active user holding this live token (neither revoked nor expired), acting with the token's
   * role; null otherwise, and when its holder's role was lowered below the token's since.
   */
  async authenticate(token: string, now: Date = new Date()): Promise<User | null> {
    const tokenHash = hashToken(token);
    const row = await this.db('api_tokens as t')
      .join('users as u', 'u.id', 't.user_id')
      .where('t.token_hash', tokenHash)
      .whereNull('t.revoked_at')
      .andWhere((q) => q.whereNull('t.expires_at').orWhere('t.expires_at', '>', now))
      .where('u.active', true)
      .first<(UserRow & { token_id: number; token_role: Role | null }) | undefined>('u.*', 't.id as token_id', 't.role as token_role');
    if (!row) return null;
    const role = actingRole(row.role, row.token_role ?? null);
    if (role === null) return null;
    await this.db('api_tokens')
      .where({ id: row.token_id })
      .andWhere((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', new Date(now.getTime() - LAST_USED_RESOLUTION_MS)))
      .update({ last_used_at: now });
    return { ...toUser(row), role };
  }

  /**
   * Bootstrap: makes `token` a token of the admin user admin@localhost, creating either as needed.
   * Safe to run on every start and from several processes at once. An existing admin@localhost or
   * a revoked bootstrap token is left as the operators made it.
   */
  async ensureAdmin(token: string, now: Date = new Date()): Promise<User> {
    const admin = (await this.getByEmail(BOOTSTRAP_ADMIN_EMAIL)) ?? (await this.createIgnoringRace({ name: 'Administrator', email: BOOTSTRAP_ADMIN_EMAIL, role: 'admin', locale: 'en' }, now));
    const tokenHash = hashToken(token);
    const existing = await this.db('api_tokens').where({ token_hash: tokenHash }).first('id');
    if (!existing) {
      try {
        // It never expires: scripts rely on it. docs/security.md says how to retire it.
        await this.db('api_tokens').insert({ user_id: admin.id, token_hash: tokenHash, label: BOOTSTRAP_TOKEN_LABEL, role: 'admin', created_by_user_id: null, created_at: now, expires_at: null });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    return admin;
  }

  private async createIgnoringRace(input: NewUser, now: Date): Promise<User> {
    try {
      return await this.create(input, now);
    } catch (error) {
      const winner = error instanceof ConflictError ? await this.getByEmail(input.email) : null;
      if (!winner) throw error;
      return winner;
    }
  }

  private async require(id: number): Promise<User> {
    const user = await this.get(id);
    if (!user) throw new Error(`User ${id} vanished right after insert`);
    return user;
  }
}
