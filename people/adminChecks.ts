/**
 * What the people-administration rules (people/adminRules.ts) need from the database: the caller as
 * an administrator (the dealer-administrator flag), whom they may list, whether an address is one of
 * a customer's contacts, and the refusals, worded so the reader gets them in their own language.
 */
import type { Knex } from 'knex';
import { words, wordsAsText, type Words } from '../domain/words';
import { ApiError, type ErrorCode } from '../platform/http/errors';
import { ROLES, type Role } from './roles';
import { CONTACT_INVITERS, isDealerAdmin, mayAdminister, type AccountShape, type Administrator } from './adminRules';
import { isStaff, mayChange } from './roleRules';
import type { PeopleScope } from './directory';
import type { User } from './repository';

/** A refusal naming its field, said in the reader's language (the detail repeats the message, so both are translated). */
export function fieldRefusal(status: number, code: ErrorCode, field: string, said: Words): ApiError {
  const text = wordsAsText(said);
  return new ApiError(status, code, text, [{ field, message: text }], said);
}

export async function administratorOf(knex: Knex, user: User): Promise<Administrator> {
  const row = (await knex('users').where({ id: user.id }).first('dealer_admin')) as { dealer_admin: unknown } | undefined;
  return { userId: user.id, role: user.role, dealerId: user.dealerId, dealerAdmin: Boolean(Number(row?.dealer_admin ?? 0)) };
}

/** The customers whose projects a project manager manages: the ones whose contacts they may invite. */
export async function managedCustomerIds(knex: Knex, userId: number): Promise<number[]> {
  const rows = (await knex('projects').where({ project_manager_user_id: userId }).distinct('customer_id')) as Array<{ customer_id: unknown }>;
  return rows.map((row) => Number(row.customer_id));
}

/** Whom `who` may list and open: everyone for an admin; else the accounts they may administer. */
export async function peopleScopeOf(knex: Knex, who: Administrator): Promise<PeopleScope> {
  if (who.role === 'admin') return { kind: 'all' };
  if (isDealerAdmin(who)) return { kind: 'some', staffRoles: [], customers: [], dealerId: who.dealerId };
  const staffRoles = ROLES.filter((role: Role) => isStaff(role) && mayChange(who.role, role));
  const customers = !CONTACT_INVITERS.includes(who.role) ? [] : who.role === 'project_manager' ? await managedCustomerIds(knex, who.userId) : ('all' as const);
  return { kind: 'some', staffRoles, customers, dealerId: null };
}

/** mayAdminister, and for a project manager only their own customers' users. */
export async function administers(knex: Knex, who: Administrator, account: AccountShape & { userId: number }): Promise<boolean> {
  if (!mayAdminister(who, account)) return false;
  if (who.role === 'project_manager' && account.role === 'customer') return account.customerId !== null && (await managedCustomerIds(knex, who.userId)).includes(account.customerId);
  return true;
}

/**
 * Staff invite a customer's existing contacts only: the address must be one of the customer's
 * contacts, and a project manager's customer one of theirs. An admin invites anyone.
 */
export async function requireContact(knex: Knex, who: Administrator, customerId: number, email: string): Promise<void> {
  if (who.role === 'admin') return;
  if (who.role === 'project_manager' && !(await managedCustomerIds(knex, who.userId)).includes(customerId)) throw fieldRefusal(403, 'forbidden', 'customerId', words('people.problem.notYourCustomer', { id: customerId }));
  const contact = await knex('customer_contacts').where({ customer_id: customerId }).whereRaw('LOWER(email) = ?', [email.trim().toLowerCase()]).first('id');
  if (!contact) throw fieldRefusal(400, 'validation_failed', 'email', words('people.problem.notContact', { email: email.trim().toLowerCase() }));
}
