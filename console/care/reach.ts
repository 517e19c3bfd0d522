/**
 * Who may see and work which care record in the console (P4): one place, so the visit list, the
 * visit page and its forms always agree. A record out of reach looks as if it did not exist (404).
 *
 * - Visits: an engineer sees and works only the visits assigned to them; a customer's user sees
 *   their own organisation's; the service desk, the service manager, senior engineers, leadership
 *   and the admin see all. Assigning and cancelling a visit is the service manager's.
 * - Calls: the service desk's work (dispatchers) and the service manager's; leadership and the
 *   admin read them.
 * - Plans: as visits, and an engineer reads the plans that hold a visit assigned to them.
 * A dealer and every other role reach nothing.
 */
import type { Knex } from 'knex';
import type { CareCall, CarePlan, CareVisit } from '../../db/repositories/care';
import type { Principal, Role } from '../../domain/access';

/** Roles that see every care record of a kind. */
const SEES_ALL_VISITS: readonly Role[] = ['admin', 'dispatcher', 'senior_engineer', 'service_manager', 'leadership'];
const SEES_ALL_CALLS: readonly Role[] = ['admin', 'dispatcher', 'service_manager', 'leadership'];
/** Roles that record steps: an engineer on their own visits, these on any. */
const WORKS_ALL_VISITS: readonly Role[] = ['senior_engineer', 'service_manager'];
const WORKS_CALLS: readonly Role[] = ['dispatcher', 'service_manager'];

/** The roles shown the visits list ("my visits" for an engineer) and the calls of the day. */
export const VISIT_LIST_ROLES: Role[] = ['engineer', 'senior_engineer', 'service_manager', 'admin', 'leadership', 'dispatcher'];
export const CALL_LIST_ROLES: Role[] = [...SEES_ALL_CALLS];
export const PLAN_LIST_ROLES: Role[] = ['admin', 'dispatcher', 'senior_engineer', 'service_manager', 'leadership', 'customer'];

export type VisitAction = 'read' | 'act' | 'assign';

export function mayOnVisit(principal: Principal, visit: Pick<CareVisit, 'customerId' | 'assigneeUserId'>, action: VisitAction): boolean {
  const { role } = principal;
  if (action === 'assign') return role === 'service_manager';
  if (action === 'act') return WORKS_ALL_VISITS.includes(role) || (role === 'engineer' && visit.assigneeUserId === principal.userId);
  if (SEES_ALL_VISITS.includes(role)) return true;
  if (role === 'engineer') return visit.assigneeUserId === principal.userId;
  return role === 'customer' && principal.customerId !== null && visit.customerId === principal.customerId;
}

export function mayOnCall(principal: Principal, _call: Pick<CareCall, 'customerId'>, action: 'read' | 'act'): boolean {
  return action === 'act' ? WORKS_CALLS.includes(principal.role) : SEES_ALL_CALLS.includes(principal.role);
}

/** The visit-list filter a principal's reach makes: all, one assignee, one customer, or nothing. */
export function visitScope(principal: Principal): { assigneeUserId?: number; customerIds?: number[] } | null {
  if (SEES_ALL_VISITS.includes(principal.role)) return {};
  if (principal.role === 'engineer') return { assigneeUserId: principal.userId };
  if (principal.role === 'customer' && principal.customerId !== null) return { customerIds: [principal.customerId] };
  return null;
}

export async function mayReadPlan(knex: Knex, principal: Principal, plan: Pick<CarePlan, 'id' | 'customerId'>): Promise<boolean> {
  if (SEES_ALL_VISITS.includes(principal.role)) return true;
  if (principal.role === 'customer') return principal.customerId !== null && plan.customerId === principal.customerId;
  if (principal.role !== 'engineer') return false;
  return (await knex('care_visits').where({ plan_id: plan.id, assignee_user_id: principal.userId }).first('id')) !== undefined;
}

/** The plan list's filter: all, one customer, or nothing. */
export function planScope(principal: Principal): { customerIds?: number[] } | null {
  if (SEES_ALL_VISITS.includes(principal.role)) return {};
  if (principal.role === 'customer' && principal.customerId !== null) return { customerIds: [principal.customerId] };
  return null;
}
