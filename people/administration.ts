/**
 * People administration as both front ends use it (GET/PATCH /api/users…, the /people pages): list
 * with filters, one person, change their role and what they act for, resend an invitation (also the
 * upgrade path for accounts that never had a password), deactivate. Who may do what to whom is
 * people/adminRules.ts; an account one does not administer is answered like one that does not exist.
 */
import { words } from '../domain/words';
import { ApiError, notFound } from '../platform/http/errors';
import { AccountsRepository, type UserLink } from './accounts';
import { administers, administratorOf, fieldRefusal, peopleScopeOf, requireContact } from './adminChecks';
import { mayGive, type Administrator } from './adminRules';
import { PeopleDirectory, type PeopleFilter, type PersonListing } from './directory';
import { OrgUnitsRepository } from './orgUnits';
import { UsersRepository, type User } from './repository';
import type { Locale, Role } from './roles';
import { actsForChecked, DEFAULT_LINK_LIFETIMES, sendLink, type MailOutcome, type PeopleDeps } from './useCases';

const clock = (deps: PeopleDeps) => (deps.now ?? (() => new Date()))();

export interface PersonChange {
  name?: string;
  role?: Role;
  locale?: Locale;
  timeZone?: string | null;
  dealerId?: number | null;
  customerId?: number | null;
  orgUnitId?: number | null;
  dealerAdmin?: boolean;
}

/** The filter as asked: a unit stands for itself and every unit under it. */
export interface PeopleQuery extends Omit<PeopleFilter, 'unitIds'> {
  unitId?: number;
}

async function unitAndBelow(deps: PeopleDeps, unitId: number): Promise<number[]> {
  const units = await new OrgUnitsRepository(deps.knex).list();
  const ids = [unitId];
  for (let i = 0; i < ids.length; i += 1) ids.push(...units.filter((u) => u.parentId === ids[i] && !ids.includes(u.id)).map((u) => u.id));
  return ids;
}

export async function listPeople(query: PeopleQuery, caller: User, deps: PeopleDeps): Promise<{ people: PersonListing[]; total: number }> {
  const who = await administratorOf(deps.knex, caller);
  const scope = await peopleScopeOf(deps.knex, who);
  const { unitId, ...rest } = query;
  return new PeopleDirectory(deps.knex).list(scope, { ...rest, unitIds: unitId === undefined ? undefined : await unitAndBelow(deps, unitId) }, clock(deps));
}

/** The person, when `caller` administers them; else 404, as if there were none. */
async function administered(id: number, caller: User, deps: PeopleDeps): Promise<{ who: Administrator; person: PersonListing }> {
  const who = await administratorOf(deps.knex, caller);
  const person = await new PeopleDirectory(deps.knex).get(id, clock(deps));
  if (!person || !(await administers(deps.knex, who, { userId: person.id, role: person.role, dealerId: person.dealerId, customerId: person.customerId }))) throw notFound(words('api.notFound.user', { id }));
  // A dealer's administrator is the admin's to change, like the flag itself.
  if (person.dealerAdmin && who.role !== 'admin' && person.id !== who.userId) throw notFound(words('api.notFound.user', { id }));
  return { who, person };
}

export async function getPerson(id: number, caller: User, deps: PeopleDeps): Promise<PersonListing> {
  return (await administered(id, caller, deps)).person;
}

/**
 * Changes a person's account. A new role clears what the old one acted for unless the change names
 * it; the new shape must be one the caller may give. One transaction; nothing is written on a refusal.
 */
export async function changePerson(id: number, change: PersonChange, caller: User, deps: PeopleDeps): Promise<{ person: PersonListing; changes: Record<string, { from: unknown; to: unknown }> }> {
  const { who, person } = await administered(id, caller, deps);
  const role = change.role ?? person.role;
  const roleChanged = role !== person.role;
  const next = {
    role,
    customerId: change.customerId !== undefined ? change.customerId : roleChanged && role !== 'customer' ? null : person.customerId,
    dealerId: change.dealerId !== undefined ? change.dealerId : roleChanged && role !== 'dealer' ? null : person.dealerId,
    orgUnitId: change.orgUnitId !== undefined ? change.orgUnitId : roleChanged && (role === 'customer' || role === 'dealer') ? null : person.orgUnitId,
    dealerAdmin: change.dealerAdmin !== undefined ? change.dealerAdmin : roleChanged && role !== 'dealer' ? false : person.dealerAdmin,
  };
  if (!mayGive(who, next)) {
    const field = roleChanged ? 'role' : next.customerId !== person.customerId ? 'customerId' : 'dealerId';
    throw fieldRefusal(403, 'forbidden', field, words('people.grant.refused', { role }));
  }
  if (next.dealerAdmin !== person.dealerAdmin && who.role !== 'admin') throw fieldRefusal(403, 'forbidden', 'dealerAdmin', words('people.problem.dealerAdminByAdmin'));
  await actsForChecked(deps.knex, next);
  if (next.role === 'customer' && (roleChanged || next.customerId !== person.customerId)) await requireContact(deps.knex, who, next.customerId!, person.email);
  await deps.knex.transaction(async (trx) => {
    await new PeopleDirectory(trx).update(id, { ...next, name: change.name, locale: change.locale, timeZone: change.timeZone });
  });
  const after = (await new PeopleDirectory(deps.knex).get(id, clock(deps)))!;
  return { person: after, changes: changesBetween(person, after) };
}

const AUDITED_FIELDS = ['name', 'role', 'locale', 'timeZone', 'customerId', 'dealerId', 'orgUnitId', 'dealerAdmin'] as const;

/** A person's fields before and after a change, for the audit trail: only those that changed. */
function changesBetween(before: PersonListing, after: PersonListing): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of AUDITED_FIELDS) if (before[field] !== after[field]) changes[field] = { from: before[field] ?? null, to: after[field] ?? null };
  return changes;
}

export interface Resent {
  person: PersonListing;
  link: UserLink;
  mail: MailOutcome;
}

/**
 * A new invitation for someone who has not set a password: the old link stops working. This is also
 * how an account from before passwords (an API-token user) is brought to sign in as a person.
 */
export async function resendInvitation(id: number, caller: User, deps: PeopleDeps): Promise<Resent> {
  const { person } = await administered(id, caller, deps);
  if (!person.active) throw fieldRefusal(409, 'conflict', 'id', words('people.resend.inactive'));
  if (person.hasPassword) throw fieldRefusal(409, 'conflict', 'id', words('people.resend.hasPassword'));
  if (!deps.mail) throw new ApiError(503, 'unavailable', 'No mail configured for invitations');
  const now = clock(deps);
  const lifetimes = deps.lifetimes ?? DEFAULT_LINK_LIFETIMES;
  const { token, link } = await deps.knex.transaction((trx) => new AccountsRepository(trx).createLink(id, 'invitation', new Date(now.getTime() + lifetimes.invitationMs), caller.id, now));
  const user = (await new UsersRepository(deps.knex).get(id))!;
  const mail = await sendLink(deps, user, link, token, { inviterName: caller.name });
  return { person: (await new PeopleDirectory(deps.knex).get(id, clock(deps)))!, link, mail };
}

/** Deactivates a person: their tokens, console sessions and links end at once, in one transaction. */
export async function deactivatePerson(id: number, caller: User, deps: PeopleDeps): Promise<PersonListing> {
  const { person } = await administered(id, caller, deps);
  if (person.id === caller.id) throw fieldRefusal(409, 'conflict', 'id', words('people.deactivate.self'));
  const now = clock(deps);
  await deps.knex.transaction((trx) => new UsersRepository(trx).deactivate(id, now));
  return (await new PeopleDirectory(deps.knex).get(id, now))!;
}
