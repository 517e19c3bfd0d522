/**
 * Signing in through the provider, once it vouched for the person: the claims are matched to an
 * invited account (people/oidc/rules.ts), a session is opened for it as after a good password, and a
 * live invitation counts as accepted. Every refusal counts as a failed sign-in of the client's
 * address (people/signInRules.ts), as a wrong password does.
 */
import { AccountsRepository } from '../accounts';
import { UsersRepository, type User } from '../repository';
import { ConsoleSessionsRepository } from '../sessions';
import type { AddressLimit } from '../signInRules';
import { addressMaySignIn, recordAddressFailure, type PeopleDeps } from '../useCases';
import { accountRefusal, claimedEmail, claimsRefusal, type OidcRefusal } from './rules';

export type OidcSignInResult =
  | { ok: true; user: User; session: { id: number; sessionId: string }; acceptedInvitation: boolean }
  | { ok: false; reason: OidcRefusal; email: string | null; userId: number | null }
  | { ok: false; reason: 'address_limited'; email: string | null; userId: null };

const clock = (deps: PeopleDeps) => (deps.now ?? (() => new Date()))();

export async function signInWithOidc(claims: Readonly<Record<string, unknown>>, address: string, limit: AddressLimit, deps: PeopleDeps): Promise<OidcSignInResult> {
  const email = claimedEmail(claims);
  if (!(await addressMaySignIn(address, limit, deps))) return { ok: false, reason: 'address_limited', email, userId: null };
  const refused = async (reason: OidcRefusal, userId: number | null): Promise<OidcSignInResult> => {
    await recordAddressFailure(address, deps);
    return { ok: false, reason, email, userId };
  };
  const claimsProblem = claimsRefusal(claims);
  if (claimsProblem || email === null) return refused(claimsProblem ?? 'email_missing', null);
  // The database's collation folds accents as well as case (é = e): only the very address matches.
  const found = await new UsersRepository(deps.knex).getByEmail(email);
  const account = found && found.email === email ? found : null;
  const accountProblem = accountRefusal(account);
  if (accountProblem || !account) return refused(accountProblem ?? 'unknown_account', account?.id ?? null);
  const now = clock(deps);
  return deps.knex.transaction(async (trx) => {
    const accounts = new AccountsRepository(trx);
    // The provider proved the address the invitation went to: the invitation is accepted, its link used up.
    const live = (await accounts.listLinks(account.id)).filter((link) => link.purpose === 'invitation' && link.usedAt === null && link.expiresAt > now);
    let acceptedInvitation = false;
    for (const link of live) acceptedInvitation = (await accounts.useLink(link.id, now)) || acceptedInvitation;
    // As after a good password: the runs of failures of the account and of its address end.
    await accounts.clearFailures(account.id);
    await accounts.clearEmailFailures(email);
    const session = await new ConsoleSessionsRepository(trx).openForUser(account, now);
    return { ok: true as const, user: account, session: { id: session.id, sessionId: session.sessionId }, acceptedInvitation };
  });
}

/** A refusal that has no claims to match (the provider refused, was down, or the callback was not ours): counted against the address. */
export async function recordOidcFailure(address: string, deps: PeopleDeps): Promise<void> {
  await recordAddressFailure(address, deps);
}
