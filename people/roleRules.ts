/**
 * Who may give which role to a person (an invitation, later a change of role). Pure.
 *
 * - An admin grants any role.
 * - A service manager grants staff roles no higher than their own: not admin, not finance (only admins
 *   grant those two), not leadership (above them), not the outside roles (dealer, customer).
 * - Nobody else grants a role.
 *
 * The order of the company's roles, highest first: admin; leadership; service_manager and finance;
 * senior_engineer, project_manager, dispatcher, technical_appraiser, sales_clerk; engineer.
 * Dealer and customer users are outside the company and have no rank among its staff.
 */
import type { Role } from '../domain/access';

/** The rank of each staff role; the outside roles have none. */
export const STAFF_RANK: Readonly<Partial<Record<Role, number>>> = {
  admin: 5,
  leadership: 4,
  service_manager: 3,
  finance: 3,
  senior_engineer: 2,
  project_manager: 2,
  dispatcher: 2,
  technical_appraiser: 2,
  sales_clerk: 2,
  engineer: 1,
};

/** Roles only an admin grants, whatever the rank of the one granting. */
export const ADMIN_GRANTED: readonly Role[] = ['admin', 'finance'];

/** Roles that invite people at all. */
export const INVITERS: readonly Role[] = ['admin', 'service_manager'];

export function isStaff(role: Role): boolean {
  return STAFF_RANK[role] !== undefined;
}

/** Whether someone with role `granter` may give `role` to a person. */
export function mayGrant(granter: Role, role: Role): boolean {
  if (granter === 'admin') return true;
  if (!INVITERS.includes(granter)) return false;
  if (ADMIN_GRANTED.includes(role)) return false;
  const wanted = STAFF_RANK[role];
  const own = STAFF_RANK[granter];
  return wanted !== undefined && own !== undefined && wanted <= own;
}

/**
 * Whether someone with role `changer` may change (re-invite, give another role) an account that has
 * `current`: an admin any; anyone else only an account strictly below their own rank (a service
 * manager does not demote a peer).
 */
export function mayChange(changer: Role, current: Role): boolean {
  if (changer === 'admin') return true;
  if (!mayGrant(changer, current)) return false;
  return (STAFF_RANK[current] ?? Infinity) < (STAFF_RANK[changer] ?? 0);
}
