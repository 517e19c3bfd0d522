/**
 * Who reads which KPIs (PRODUCT §5, 002). Service figures (clocks, fixes, satisfaction, complaints,
 * visits) are the service manager's and leadership's (and the admin's); dealer figures (claim
 * approval, days to settle) are also finance's. A dealer sees its own dealer figures only: its own
 * approval rate and settlement time are what it is measured on, the others' are not its business.
 * Everyone else reads no KPI page.
 */
import type { Principal, Role } from '../../domain/access';

export type KpiReach =
  /** Every KPI, every dealer, every engineer. */
  | { kind: 'all' }
  /** The dealer KPIs of every dealer. */
  | { kind: 'dealers' }
  /** The dealer KPIs of one dealer. */
  | { kind: 'own_dealer'; dealerId: number }
  | { kind: 'none' };

const ALL: readonly Role[] = ['admin', 'service_manager', 'leadership'];

export function kpiReach(principal: Pick<Principal, 'role' | 'dealerId'>): KpiReach {
  if (ALL.includes(principal.role)) return { kind: 'all' };
  if (principal.role === 'finance') return { kind: 'dealers' };
  if (principal.role === 'dealer' && principal.dealerId !== null) return { kind: 'own_dealer', dealerId: principal.dealerId };
  return { kind: 'none' };
}

/** Whether the reach includes the service KPIs (tickets, complaints, visits, engineers). */
export const seesServiceKpis = (reach: KpiReach): boolean => reach.kind === 'all';
