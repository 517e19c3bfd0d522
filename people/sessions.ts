import type { Knex } from 'knex';
import { sessionVerdict, type SessionEndReason, type SessionLimits, type SessionVerdict } from '../domain/consoleSessions';
import { insertedId, toBool, toDate, toRequiredDate } from '../platform/db/mapping';
import { UsersRepository, type User } from './repository';
import { hashToken, randomToken } from '../platform/tokens';
import type { Role } from '../domain/access';
import { actingRole, isBootstrapToken } from './tokenRules';

/** Each request of a live session would otherwise write; this often is enough to measure idleness. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

export interface ConsoleSession {
  id: number;
  userId: number;
  /** The API token it was opened with; null when it was opened with a password. */
  apiTokenId: number | null;
  /** Opened with the bootstrap admin token (tokenRules.ts isBootstrapToken). */
  bootstrapToken: boolean;
  createdAt: Date;
  lastSeenAt: Date;
  /** When the session passed the second factor (people/secondFactor/); null: not (yet). */
  secondFactorAt: Date | null;
}

interface SessionRow {
  id: number;
  user_id: number;
  api_token_id: number | null;
  created_at: unknown;
  last_seen_at: unknown;
  second_factor_at: unknown;
  revoked_at: unknown;
  revoked_reason: SessionEndReason | null;
  token_revoked_at: unknown;
  token_expires_at: unknown;
  token_role?: Role | null;
  token_label?: string | null;
  token_created_by?: number | null;
  user_email?: string;
  user_role: Role;
  user_active: unknown;
}


const TOKEN_COLUMNS = ['t.revoked_at as token_revoked_at', 't.expires_at as token_expires_at', 't.role as token_role', 't.label as token_label', 't.created_by_user_id as token_created_by', 'u.email as user_email'];

/** Whether the session's row (joined with its token and user) was opened with the bootstrap admin token. */
function openedWithBootstrapToken(row: SessionRow): boolean {
  if (row.api_token_id === null || row.token_label == null || row.user_email === undefined) return false;
  const createdBy = row.token_created_by == null ? null : Number(row.token_created_by);
  return isBootstrapToken({ label: row.token_label, createdByUserId: createdBy, expiresAt: toDate(row.token_expires_at), holderEmail: row.user_email });
}

/** Browser sessions of the web console. Pass a transaction as `db` to make several calls atomic. */
export class ConsoleSessionsRepository {
  constructor(private readonly db: Knex) {}

  /**
   * Signs in with an API token: a new session for the token's active user, or null when the token
   * is unknown, revoked, expired, its user inactive, or it acts with less than its user's role. The session id is returned once and never stored.
   */
  async open(apiToken: string, now: Date = new Date()): Promise<{ id: number; sessionId: string; user: User } | null> {
    const token = await this.db('api_tokens as t')
      .join('users as u', 'u.id', 't.user_id')
      .where('t.token_hash', hashToken(apiToken))
      .whereNull('t.revoked_at')
      .andWhere((q) => q.whereNull('t.expires_at').orWhere('t.expires_at', '>', now))
      .where('u.active', true)
      .first<{ id: number; user_id: number; role: Role | null } | undefined>('t.id', 't.user_id', 't.role');
    if (!token) return null;
    const user = await new UsersRepository(this.db).get(Number(token.user_id));
    if (!user) return null;
    // A session acts with its person's whole role: a machine token made for less must not open one.
    if (actingRole(user.role, token.role ?? null) !== user.role) return null;
    return this.insert(user, Number(token.id), now);
  }

  /** Signs in a person whose password was checked (or just set): a new session with no API token. */
  async openForUser(user: User, now: Date = new Date()): Promise<{ id: number; sessionId: string; user: User }> {
    return this.insert(user, null, now);
  }

  private async insert(user: User, apiTokenId: number | null, now: Date): Promise<{ id: number; sessionId: string; user: User }> {
    // 256 random bits; the cookie carries it, the table only its sha256.
    const sessionId = randomToken();
    const result = await this.db('console_sessions').insert({
      session_hash: hashToken(sessionId),
      user_id: user.id,
      api_token_id: apiTokenId,
      created_at: now,
      last_seen_at: now,
    });
    return { id: insertedId(result), sessionId, user };
  }

  /**
   * The user of a live session, marking it seen; otherwise null and why. A session whose token was
   * revoked or whose user was deactivated is ended on the spot, so it stays ended if they come back.
   */
  async resume(sessionId: string, limits: SessionLimits, now: Date = new Date()): Promise<{ user: User; session: ConsoleSession } | { user: null; verdict: SessionVerdict | null }> {
    const row = await this.db('console_sessions as s')
      .leftJoin('api_tokens as t', 't.id', 's.api_token_id')
      .join('users as u', 'u.id', 's.user_id')
      .where('s.session_hash', hashToken(sessionId))
      .first<SessionRow | undefined>('s.*', ...TOKEN_COLUMNS, 'u.role as user_role', 'u.active as user_active');
    if (!row) return { user: null, verdict: null };
    const session: ConsoleSession = {
      id: Number(row.id),
      userId: Number(row.user_id),
      apiTokenId: row.api_token_id === null ? null : Number(row.api_token_id),
      bootstrapToken: openedWithBootstrapToken(row),
      createdAt: toRequiredDate(row.created_at),
      lastSeenAt: toRequiredDate(row.last_seen_at),
      secondFactorAt: toDate(row.second_factor_at),
    };
    // A token past its expiry ends the sessions it opened as a revoked one does.
    const tokenExpiresAt = toDate(row.token_expires_at);
    // So does a token whose holder's role changed since: it acts with the role its maker had, no other.
    const tokenOutgrown = session.apiTokenId !== null && actingRole(row.user_role, row.token_role ?? null) !== row.user_role;
    const tokenEnded = toDate(row.token_revoked_at) !== null || (tokenExpiresAt !== null && tokenExpiresAt.getTime() <= now.getTime()) || tokenOutgrown;
    const verdict = sessionVerdict(
      { ...session, revokedReason: row.revoked_reason, tokenRevoked: tokenEnded, userActive: toBool(row.user_active) },
      now,
      limits,
    );
    if (!verdict.live) {
      if (verdict.revokeAs) await this.end(this.db('console_sessions').where({ id: session.id }), verdict.revokeAs, now);
      return { user: null, verdict };
    }
    const user = await new UsersRepository(this.db).get(session.userId);
    if (!user) return { user: null, verdict: null };
    if (now.getTime() - session.lastSeenAt.getTime() >= LAST_SEEN_RESOLUTION_MS) {
      await this.db('console_sessions').where({ id: session.id }).update({ last_seen_at: now });
      session.lastSeenAt = now;
    }
    return { user, session };
  }

  /** The session passed the second factor (people/secondFactor/): the console opens to it. */
  async markSecondFactorPassed(id: number, now: Date = new Date()): Promise<void> {
    await this.db('console_sessions').where({ id }).whereNull('second_factor_at').update({ second_factor_at: now });
  }

  /** Sign-out: the session's row id when it existed and was still open, else null. */
  async revoke(sessionId: string, now: Date = new Date()): Promise<number | null> {
    const id = await this.idOf(sessionId);
    if (id === null) return null;
    return (await this.end(this.db('console_sessions').where({ id }), 'signed_out', now)) > 0 ? id : null;
  }

  /** Ends every open session of a user (call it when deactivating them); returns how many. */
  async revokeAllForUser(userId: number, reason: SessionEndReason, now: Date = new Date()): Promise<number> {
    return this.end(this.db('console_sessions').where({ user_id: userId }), reason, now);
  }

  /** Ends every open session of a user but one (a new password ends the others); returns how many. */
  async revokeOthersForUser(userId: number, keepSessionRowId: number | null, reason: SessionEndReason, now: Date = new Date()): Promise<number> {
    const query = this.db('console_sessions').where({ user_id: userId });
    if (keepSessionRowId !== null) query.whereNot({ id: keepSessionRowId });
    return this.end(query, reason, now);
  }

  /** Ends every open session opened with an API token (call it when revoking the token); returns how many. */
  async revokeAllForToken(apiToken: string, now: Date = new Date()): Promise<number> {
    const ids = this.db('api_tokens').where({ token_hash: hashToken(apiToken) }).select('id');
    return this.end(this.db('console_sessions').whereIn('api_token_id', ids), 'token_revoked', now);
  }

  /** Deletes sessions past their absolute lifetime: nothing can bring them back. */
  async prune(limits: SessionLimits, now: Date = new Date()): Promise<number> {
    return this.db('console_sessions').where('created_at', '<', new Date(now.getTime() - limits.absoluteMs)).delete();
  }

  async get(id: number): Promise<(ConsoleSession & { revokedAt: Date | null; revokedReason: SessionEndReason | null }) | null> {
    const row = await this.db('console_sessions as s')
      .leftJoin('api_tokens as t', 't.id', 's.api_token_id')
      .join('users as u', 'u.id', 's.user_id')
      .where('s.id', id)
      .first<SessionRow | undefined>('s.*', ...TOKEN_COLUMNS, 'u.role as user_role', 'u.active as user_active');
    if (!row) return null;
    return {
      id: Number(row.id),
      userId: Number(row.user_id),
      apiTokenId: row.api_token_id === null ? null : Number(row.api_token_id),
      bootstrapToken: openedWithBootstrapToken(row),
      createdAt: toRequiredDate(row.created_at),
      lastSeenAt: toRequiredDate(row.last_seen_at),
      secondFactorAt: toDate(row.second_factor_at),
      revokedAt: toDate(row.revoked_at),
      revokedReason: row.revoked_reason,
    };
  }

  /** The id of the session with this cookie value, for tests and audits; null when unknown. */
  async idOf(sessionId: string): Promise<number | null> {
    const row = await this.db('console_sessions').where({ session_hash: hashToken(sessionId) }).first<{ id: number } | undefined>('id');
    return row ? Number(row.id) : null;
  }

  private async end(query: Knex.QueryBuilder, reason: SessionEndReason, now: Date): Promise<number> {
    return query.whereNull('revoked_at').update({ revoked_at: now, revoked_reason: reason });
  }
}

