import { ROLES, type Role } from '../../domain/access';
import { kpiReach, seesServiceKpis } from '../../reports/kpis/rules';

describe('who reads the KPIs', () => {
  const principal = (role: Role, dealerId: number | null = null) => ({ role, dealerId });

  it('service manager, leadership and admin read every KPI', () => {
    for (const role of ['service_manager', 'leadership', 'admin'] as const) {
      expect(kpiReach(principal(role))).toEqual({ kind: 'all' });
      expect(seesServiceKpis(kpiReach(principal(role)))).toBe(true);
    }
  });

  it('finance reads the dealer KPIs of every dealer, not the service ones', () => {
    expect(kpiReach(principal('finance'))).toEqual({ kind: 'dealers' });
    expect(seesServiceKpis(kpiReach(principal('finance')))).toBe(false);
  });

  it('a dealer reads its own dealer figures only; a dealer user without a dealer reads none', () => {
    expect(kpiReach(principal('dealer', 7))).toEqual({ kind: 'own_dealer', dealerId: 7 });
    expect(seesServiceKpis(kpiReach(principal('dealer', 7)))).toBe(false);
    expect(kpiReach(principal('dealer', null))).toEqual({ kind: 'none' });
  });

  it('every other role reads none', () => {
    const others = ROLES.filter((role) => !['service_manager', 'leadership', 'admin', 'finance', 'dealer'].includes(role));
    expect(others).toEqual(['project_manager', 'dispatcher', 'engineer', 'senior_engineer', 'technical_appraiser', 'sales_clerk', 'customer']);
    for (const role of others) expect(kpiReach(principal(role, 3))).toEqual({ kind: 'none' });
  });
});
