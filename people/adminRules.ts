/**
 * People administration: who may give which account (role and what it acts for), and who may change,
 * re-invite or deactivate which account. Pure; builds on people/roleRules.ts for the staff ranks.
 *
 * - An admin administers everyone and gives anything (and alone flags a dealer's administrator).
 * - Staff roles: as roleRules says (a service manager up to their own rank, never admin or finance).
 * - A customer's users: an admin, or staff of the service desk (service manager, dispatcher, project
 *   manager) for one of that customer's existing contacts (checked by the use case on the record).
 * - A dealer's users: an admin, or a user flagged as that dealer's administrator, for that dealer only,
 *   and only the dealer role.
 */
import type { Role } from '../domain/access';
import { isStaff, mayChange, mayGrant } from './roleRules';

/** The one administering, as the rules see them. */
export interface Administrator {
  userId: number;
  role: Role;
  dealerId: number | null;
  /** A dealer user who administers their dealer's users. */
  dealerAdmin: boolean;
}

/** An account as given or as it stands: its role and what it acts for. */
export interface AccountShape {
  role: Role;
  dealerId: number | null;
  customerId: number | null;
}

/** Staff who invite a customer's existing contacts (PRODUCT §1: the service desk and the customer's project managers). */
export const CONTACT_INVITERS: readonly Role[] = ['admin', 'service_manager', 'dispatcher', 'project_manager'];

export const isDealerAdmin = (who: Administrator): boolean => who.role === 'dealer' && who.dealerAdmin && who.dealerId !== null;

/** Whether `who` may give an account this shape (a new invitation, or a change to it). */
export function mayGive(who: Administrator, shape: AccountShape): boolean {
  if (who.role === 'admin') return true;
  if (shape.role === 'customer') return CONTACT_INVITERS.includes(who.role) && shape.customerId !== null;
  if (shape.role === 'dealer') return isDealerAdmin(who) && shape.dealerId === who.dealerId;
  if (isDealerAdmin(who)) return false;
  return mayGrant(who.role, shape.role);
}

/** Whether `who` may change, re-invite or deactivate an existing account of this shape. */
export function mayAdminister(who: Administrator, account: AccountShape & { userId: number }): boolean {
  if (who.role === 'admin') return true;
  // Nobody but an admin changes their own account here: a role or a unit is not one's own to pick.
  if (account.userId === who.userId) return false;
  if (account.role === 'customer') return CONTACT_INVITERS.includes(who.role);
  if (account.role === 'dealer') return isDealerAdmin(who) && account.dealerId === who.dealerId;
  if (isDealerAdmin(who)) return false;
  return mayChange(who.role, account.role);
}

/** Whether `who` administers anyone at all: the people pages and the list are theirs. */
export function administersPeople(who: Administrator): boolean {
  return who.role === 'admin' || CONTACT_INVITERS.includes(who.role) || isDealerAdmin(who);
}

/** Roles `who` may offer on a form (the page lists only these; the use case checks again). */
export function offeredRoles(who: Administrator, roles: readonly Role[]): Role[] {
  return roles.filter((role) => mayGive(who, { role, dealerId: role === 'dealer' ? who.dealerId : null, customerId: role === 'customer' ? 0 : null }));
}

export type ActsForProblem = 'customerRequired' | 'customerOnly' | 'dealerRequired' | 'dealerOnly' | 'unitStaffOnly' | 'dealerAdminDealerOnly';

/**
 * What an account acts for follows from its role: a customer user its customer, a dealer user its
 * dealer, a staff member at most one organisational unit. One problem per field, by field name.
 */
export function actsForProblems(shape: AccountShape & { orgUnitId: number | null; dealerAdmin: boolean }): Partial<Record<'customerId' | 'dealerId' | 'orgUnitId' | 'dealerAdmin', ActsForProblem>> {
  const problems: Partial<Record<'customerId' | 'dealerId' | 'orgUnitId' | 'dealerAdmin', ActsForProblem>> = {};
  if (shape.role === 'customer' && shape.customerId === null) problems.customerId = 'customerRequired';
  if (shape.role !== 'customer' && shape.customerId !== null) problems.customerId = 'customerOnly';
  if (shape.role === 'dealer' && shape.dealerId === null) problems.dealerId = 'dealerRequired';
  if (shape.role !== 'dealer' && shape.dealerId !== null) problems.dealerId = 'dealerOnly';
  if (!isStaff(shape.role) && shape.orgUnitId !== null) problems.orgUnitId = 'unitStaffOnly';
  if (shape.role !== 'dealer' && shape.dealerAdmin) problems.dealerAdmin = 'dealerAdminDealerOnly';
  return problems;
}

export const INVITATION_STATES = ['sent', 'failed', 'accepted', 'expired'] as const;
export type InvitationState = (typeof INVITATION_STATES)[number];

/** An account's latest invitation as stored: its link and the outbox row of its mail. */
export interface InvitationFacts {
  usedAt: Date | null;
  expiresAt: Date;
  /** The outbox row's status: 'failed' when the mail could not go out. */
  mailStatus: string | null;
}

/** Where an invitation stands: accepted once its link was used; failed when its mail never went; expired past its time. */
export function invitationState(facts: InvitationFacts | null, now: Date): InvitationState | null {
  if (!facts) return null;
  if (facts.usedAt) return 'accepted';
  if (facts.mailStatus === 'failed') return 'failed';
  if (facts.expiresAt.getTime() <= now.getTime()) return 'expired';
  return 'sent';
}
