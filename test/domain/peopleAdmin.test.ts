/** People administration's pure rules: who gives and changes which account, invitation states, and the unit tree. */
import { ROLES, type Role } from '../../domain/access';
import { actsForProblems, administersPeople, invitationState, mayAdminister, mayGive, offeredRoles, type Administrator } from '../../people/adminRules';
import { makesCycle, parentKindAllowed, treeOrder } from '../../people/unitRules';

const as = (role: Role, extra: Partial<Administrator> = {}): Administrator => ({ userId: 1, role, dealerId: null, dealerAdmin: false, ...extra });
const shape = (role: Role) => ({ role, dealerId: role === 'dealer' ? 7 : null, customerId: role === 'customer' ? 3 : null });
const code = (role: Role) => role.split('_').map((w) => w[0]).join('').toUpperCase();

/**
 * Who may give which role (rows: the one inviting; columns in ROLES order: admin, project_manager,
 * dispatcher, engineer, senior_engineer, service_manager, leadership, technical_appraiser,
 * sales_clerk, finance, dealer (of dealer 7), customer). A dealer's administrator is of dealer 7.
 */
const GIVES: Record<string, string> = {
  admin: 'YYYYYYYYYYYY',
  project_manager: '...........Y',
  dispatcher: '...........Y',
  engineer: '............',
  senior_engineer: '............',
  service_manager: '.YYYYY.YY..Y',
  leadership: '............',
  technical_appraiser: '............',
  sales_clerk: '............',
  finance: '............',
  dealer: '............',
  'dealer admin': '..........Y.',
  customer: '............',
};

describe('mayGive: the whole matrix of roles', () => {
  const inviters: Array<[string, Administrator]> = [...ROLES.map((r): [string, Administrator] => [r, as(r, r === 'dealer' ? { dealerId: 7 } : {})]), ['dealer admin', as('dealer', { dealerId: 7, dealerAdmin: true })]];
  it.each(inviters)('%s', (name, who) => {
    const row = ROLES.map((role) => (mayGive(who, shape(role)) ? 'Y' : '.')).join('');
    expect({ who: name, row }).toEqual({ who: name, row: GIVES[name] });
  });

  it('a dealer’s administrator gives only their own dealer; nobody gives a customer account without its customer', () => {
    expect(mayGive(as('dealer', { dealerId: 7, dealerAdmin: true }), { role: 'dealer', dealerId: 8, customerId: null })).toBe(false);
    expect(mayGive(as('dispatcher'), { role: 'customer', dealerId: null, customerId: null })).toBe(false);
    expect(offeredRoles(as('dealer', { dealerId: 7, dealerAdmin: true }), ROLES)).toEqual(['dealer']);
    expect(offeredRoles(as('service_manager'), ROLES).map(code)).toEqual(['PM', 'D', 'E', 'SE', 'SM', 'TA', 'SC', 'C']);
  });
});

describe('mayAdminister: changing, re-inviting, deactivating an account', () => {
  const account = (role: Role, extra: Partial<{ userId: number; dealerId: number | null; customerId: number | null }> = {}) => ({ userId: 2, ...shape(role), ...extra });
  it('a service manager changes staff strictly below them and customers’ users, never a peer, finance or an admin', () => {
    const sm = as('service_manager');
    expect(ROLES.filter((role) => mayAdminister(sm, account(role)))).toEqual(['project_manager', 'dispatcher', 'engineer', 'senior_engineer', 'technical_appraiser', 'sales_clerk', 'customer']);
  });
  it('a dealer’s administrator only their own dealer’s users; the service desk only customers’ users', () => {
    const dealerAdmin = as('dealer', { dealerId: 7, dealerAdmin: true });
    expect(ROLES.filter((role) => mayAdminister(dealerAdmin, account(role)))).toEqual(['dealer']);
    expect(mayAdminister(dealerAdmin, account('dealer', { dealerId: 8 }))).toBe(false);
    expect(ROLES.filter((role) => mayAdminister(as('dispatcher'), account(role)))).toEqual(['customer']);
    expect(ROLES.filter((role) => mayAdminister(as('dealer', { dealerId: 7 }), account(role)))).toEqual([]);
  });
  it('nobody but an admin administers their own account', () => {
    expect(mayAdminister(as('dealer', { dealerId: 7, dealerAdmin: true }), account('dealer', { userId: 1 }))).toBe(false);
    expect(mayAdminister(as('admin'), account('admin', { userId: 1 }))).toBe(true);
  });
  it('the people pages are for who administers anyone', () => {
    expect(ROLES.filter((role) => administersPeople(as(role)))).toEqual(['admin', 'project_manager', 'dispatcher', 'service_manager']);
    expect(administersPeople(as('dealer', { dealerId: 7, dealerAdmin: true }))).toBe(true);
  });
});

describe('what an account acts for follows its role', () => {
  it('names each field that does not fit', () => {
    expect(actsForProblems({ role: 'customer', customerId: null, dealerId: 4, orgUnitId: 1, dealerAdmin: true })).toEqual({ customerId: 'customerRequired', dealerId: 'dealerOnly', orgUnitId: 'unitStaffOnly', dealerAdmin: 'dealerAdminDealerOnly' });
    expect(actsForProblems({ role: 'engineer', customerId: 3, dealerId: null, orgUnitId: 1, dealerAdmin: false })).toEqual({ customerId: 'customerOnly' });
    expect(actsForProblems({ role: 'dealer', customerId: null, dealerId: null, orgUnitId: null, dealerAdmin: true })).toEqual({ dealerId: 'dealerRequired' });
    expect(actsForProblems({ role: 'dealer', customerId: null, dealerId: 7, orgUnitId: null, dealerAdmin: true })).toEqual({});
  });
});

describe('invitationState', () => {
  const now = new Date('2026-12-08T00:00:00Z');
  const later = new Date('2026-12-09T00:00:00Z');
  const earlier = new Date('2026-12-07T00:00:00Z');
  it('accepted, failed, expired, sent, or none', () => {
    expect(invitationState(null, now)).toBeNull();
    expect(invitationState({ usedAt: earlier, expiresAt: earlier, mailStatus: 'failed' }, now)).toBe('accepted');
    expect(invitationState({ usedAt: null, expiresAt: later, mailStatus: 'failed' }, now)).toBe('failed');
    expect(invitationState({ usedAt: null, expiresAt: now, mailStatus: 'sent' }, now)).toBe('expired');
    expect(invitationState({ usedAt: null, expiresAt: later, mailStatus: 'sent' }, now)).toBe('sent');
    expect(invitationState({ usedAt: null, expiresAt: later, mailStatus: null }, now)).toBe('sent');
  });
});

describe('units', () => {
  const parents = new Map<number, number | null>([
    [1, null],
    [2, 1],
    [3, 2],
    [4, null],
  ]);
  it('refuses cycles: under itself, under its own units at any depth', () => {
    expect(makesCycle(1, 1, parents)).toBe(true);
    expect(makesCycle(1, 3, parents)).toBe(true);
    expect(makesCycle(2, 3, parents)).toBe(true);
    expect(makesCycle(3, 1, parents)).toBe(false);
    expect(makesCycle(1, 4, parents)).toBe(false);
    expect(makesCycle(1, null, parents)).toBe(false);
    // A cycle already in the data (never written by the rules) still ends the walk.
    expect(makesCycle(9, 5, new Map([[5, 6], [6, 5]]))).toBe(true);
  });
  it('a region at the top or under a region; a team under a region or a team', () => {
    expect(parentKindAllowed('region', null)).toBe(true);
    expect(parentKindAllowed('region', 'region')).toBe(true);
    expect(parentKindAllowed('region', 'team')).toBe(false);
    expect(parentKindAllowed('team', 'region')).toBe(true);
    expect(parentKindAllowed('team', 'team')).toBe(true);
  });
  it('lists the tree in order with depths, siblings by name', () => {
    const order = treeOrder([
      { id: 1, parentId: null, name: 'South' },
      { id: 2, parentId: 1, name: 'Guangzhou team' },
      { id: 3, parentId: null, name: 'North' },
      { id: 4, parentId: 1, name: 'Fuzhou team' },
    ]);
    expect(order.map((u) => [u.name, u.depth])).toEqual([['North', 0], ['South', 0], ['Fuzhou team', 1], ['Guangzhou team', 1]]);
  });
});
