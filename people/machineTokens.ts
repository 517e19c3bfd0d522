/**
 * Machine tokens as both front ends use them: a person makes a token for an integration (named, with
 * a role no higher than their own, an expiry), sees it once, lists their tokens with their last use,
 * and revokes one. The rules are people/tokenRules.ts; the API routes and /profile/tokens only parse,
 * call and render.
 */
import type { Knex } from 'knex';
import { words } from '../domain/words';
import type { Role } from '../domain/access';
import { ApiError } from '../platform/http/errors';
import { UsersRepository, type ApiToken, type User } from './repository';
import { DEFAULT_TOKEN_LIFETIMES, maxDays, mayDelegate, tokenExpiry, tokenState, type TokenLifetimes, type TokenState } from './tokenRules';

export interface TokenDeps {
  knex: Knex;
  tokenLifetimes?: TokenLifetimes;
  now?: () => Date;
}

export interface NewMachineToken {
  name: string;
  role?: Role;
  expiresInDays?: number;
  /** The request's key (Idempotency-Key, the console form's once-field): sent twice, it makes one token; the second answer is a 409. */
  creationKey?: string;
}

export interface ListedToken extends ApiToken {
  state: TokenState;
}

const clock = (deps: TokenDeps) => (deps.now ?? (() => new Date()))();

/** A 4xx naming the field, its message said in the reader's language. */
function refused(status: 400 | 403, field: string, text: string, said: ReturnType<typeof words>): ApiError {
  return new ApiError(status, status === 403 ? 'forbidden' : 'validation_failed', text, [{ field, message: text }], said);
}

/**
 * Makes a token for `caller` acting with `input.role` (by default the caller's own). Returns the
 * token (shown this once: only its hash is kept) and its record.
 */
export async function createMachineToken(input: NewMachineToken, caller: User, deps: TokenDeps): Promise<{ token: string; record: ListedToken }> {
  const role = input.role ?? caller.role;
  if (!mayDelegate(caller.role, role)) throw refused(403, 'role', `A token may not act above your own role (${role})`, words('tokens.problem.role', { role }));
  const lifetimes = deps.tokenLifetimes ?? DEFAULT_TOKEN_LIFETIMES;
  const now = clock(deps);
  const expiresAt = tokenExpiry(now, input.expiresInDays, lifetimes);
  if (expiresAt === 'too_long') throw refused(400, 'expiresInDays', `At most ${maxDays(lifetimes)} days`, words('tokens.problem.tooLong', { days: maxDays(lifetimes) }));
  const users = new UsersRepository(deps.knex);
  const issued = await users.issueMachineToken(caller.id, input.name, { role, expiresAt, createdByUserId: caller.id, creationKey: input.creationKey }, now);
  const record = (await users.getToken(issued.id))!;
  return { token: issued.token, record: { ...record, state: tokenState(record, now) } };
}

/** The caller's tokens, oldest first; an admin asking for `all` sees everyone's. */
export async function listMachineTokens(caller: User, all: boolean, deps: TokenDeps): Promise<ListedToken[]> {
  if (all && caller.role !== 'admin') throw refused(403, 'all', 'Only an admin lists everyone’s tokens', words('tokens.problem.all'));
  const users = new UsersRepository(deps.knex);
  const now = clock(deps);
  const tokens = all ? await users.listAllTokens() : await users.listTokens(caller.id);
  return tokens.map((token) => ({ ...token, state: tokenState(token, now) }));
}

/**
 * Revokes a token of the caller's (an admin: anyone's) and ends the console sessions it opened, at
 * once; revoking it again changes nothing. Another person's token looks as if it did not exist.
 */
export async function revokeMachineToken(id: number, caller: User, deps: TokenDeps): Promise<ListedToken> {
  const now = clock(deps);
  return deps.knex.transaction(async (trx) => {
    const users = new UsersRepository(trx);
    const token = await users.getToken(id);
    if (!token || (token.userId !== caller.id && caller.role !== 'admin')) {
      throw new ApiError(404, 'not_found', `no token ${id}`, [], words('api.notFound.api_token', { id: String(id) }));
    }
    if (await users.revokeTokenById(id, now)) {
      await trx('console_sessions').where({ api_token_id: id }).whereNull('revoked_at').update({ revoked_at: now, revoked_reason: 'token_revoked' });
    }
    const revoked = (await users.getToken(id))!;
    return { ...revoked, state: tokenState(revoked, now) };
  });
}
