import fc from 'fast-check';
import {
  ACTIONS,
  canAct,
  canRead,
  canStart,
  commercialFieldsIn,
  forbiddenPolicyFields,
  isCommercialPolicyField,
  may,
  projectFacts,
  ticketFacts,
  reachOf,
  readScope,
  RESOURCE_KINDS,
  rolesReaching,
  ROLES,
  scopeAdmits,
  scopeOf,
  type Principal,
  type Reach,
  type ResourceFacts,
  type ResourceKind,
  type Role,
} from '../../domain/access';

const BUSINESS: ResourceKind[] = ['project', 'doa_case', 'device', 'customer'];
const CONFIGURATION: ResourceKind[] = ['user', 'api_token', 'notice', 'policy_layer', 'calendar', 'dealer'];

const principal = (role: Role, extra: Partial<Principal> = {}): Principal => ({ userId: 10, role, customerId: null, dealerId: null, ...extra });

/** How much of a kind a reach covers, for "reads at least what X reads". */
const covers = (wide: Reach, narrow: Reach): boolean => wide === narrow || wide === 'all' || narrow === 'none';

describe('the rule tables', () => {
  it('admin administers accounts and configuration, reads everything, and takes no business step', () => {
    for (const kind of RESOURCE_KINDS) {
      expect(reachOf('admin', kind, 'read')).toBe('all');
      expect(reachOf('admin', kind, 'act')).toBe('none');
      expect(reachOf('admin', kind, 'assign')).toBe('none');
    }
    for (const kind of CONFIGURATION) expect(rolesReaching(kind, 'administer')).toEqual(kind === 'policy_layer' ? ['admin', 'service_manager'] : kind === 'api_token' ? [...ROLES] : ['admin']);
    for (const kind of BUSINESS) expect(rolesReaching(kind, 'administer')).toEqual([]);
  });

  it('only service managers and project managers act; only service managers assign', () => {
    for (const kind of BUSINESS) {
      expect(rolesReaching(kind, 'act')).toEqual(['project_manager', 'service_manager']);
      expect(reachOf('service_manager', kind, 'act')).toBe('all');
      expect(reachOf('project_manager', kind, 'act')).toBe('managed');
    }
    // Configuration is administered, not acted on; an engineer's own account (their calendar feed) is the one exception.
    for (const kind of CONFIGURATION) expect(rolesReaching(kind, 'act')).toEqual(kind === 'user' ? ['engineer', 'senior_engineer'] : []);
    expect(reachOf('engineer', 'user', 'act')).toBe('self');
    expect(RESOURCE_KINDS.filter((kind) => rolesReaching(kind, 'assign').length > 0)).toEqual(['project', 'customer', 'ticket', 'care_visit']);
    expect(rolesReaching('customer', 'assign')).toEqual(['service_manager']);
    expect(rolesReaching('project', 'assign')).toEqual(['service_manager']);
  });

  it('tickets: dispatchers and service managers run all, engineers those assigned to them, customers read their own', () => {
    expect(rolesReaching('ticket', 'act')).toEqual(['dispatcher', 'engineer', 'senior_engineer', 'service_manager']);
    expect(reachOf('engineer', 'ticket', 'act')).toBe('assigned');
    expect(reachOf('engineer', 'ticket', 'read')).toBe('assigned');
    expect(rolesReaching('ticket', 'assign')).toEqual(['dispatcher', 'service_manager']);
    expect(reachOf('customer', 'ticket', 'read')).toBe('own_customer');
    expect(reachOf('customer', 'ticket', 'act')).toBe('none');
    const facts = ticketFacts({ customerId: 5, assigneeUserId: 10 });
    expect(canAct(principal('engineer'), facts)).toBe(true);
    expect(canAct(principal('engineer', { userId: 11 }), facts)).toBe(false);
    expect(canRead(principal('customer', { customerId: 5 }), facts)).toBe(true);
    expect(canRead(principal('customer', { customerId: 6 }), facts)).toBe(false);
  });

  it('asset care: the service manager runs plans, engineers their visits, the service desk the calls; readers by their relation', () => {
    expect(rolesReaching('care_plan', 'act')).toEqual(['service_manager']);
    expect(rolesReaching('care_visit', 'act')).toEqual(['engineer', 'service_manager']);
    expect(reachOf('engineer', 'care_visit', 'act')).toBe('assigned');
    expect(rolesReaching('care_visit', 'assign')).toEqual(['service_manager']);
    expect(rolesReaching('care_call', 'act')).toEqual(['dispatcher', 'service_manager']);
    expect(reachOf('engineer', 'care_call', 'read')).toBe('none');
    expect(rolesReaching('contact', 'act')).toEqual(['project_manager', 'dispatcher', 'service_manager']);
    expect(reachOf('project_manager', 'care_plan', 'read')).toBe('managed');
    expect(reachOf('customer', 'care_plan', 'read')).toBe('own_customer');
    expect(reachOf('dealer', 'care_plan', 'read')).toBe('own_dealer');
    // A plan covering devices of two dealers is each one's to read.
    const plan: ResourceFacts = { kind: 'care_plan', customerId: 5, dealerIds: [7, 8] };
    expect(canRead(principal('dealer', { dealerId: 8 }), plan)).toBe(true);
    expect(canRead(principal('dealer', { dealerId: 9 }), plan)).toBe(false);
  });

  it('a project manager reads and acts on the projects they manage, with their DOA cases, devices and customers', () => {
    for (const kind of BUSINESS) expect(reachOf('project_manager', kind, 'read')).toBe('managed');
  });

  it('the service manager and the dispatcher read every project, DOA case, device and customer', () => {
    for (const kind of BUSINESS) {
      expect(reachOf('service_manager', kind, 'read')).toBe('all');
      expect(reachOf('dispatcher', kind, 'read')).toBe('all');
    }
  });

  it('an engineer reads the devices and customers of their assignments, no project', () => {
    expect(reachOf('engineer', 'device', 'read')).toBe('assigned');
    expect(reachOf('engineer', 'customer', 'read')).toBe('assigned');
    expect(reachOf('engineer', 'project', 'read')).toBe('none');
  });

  it.each(['senior_engineer', 'leadership'] as const)('%s reads at least what an engineer and a service manager read, and acts on nothing but tickets', (role) => {
    for (const kind of RESOURCE_KINDS) {
      for (const other of ['engineer', 'service_manager'] as const) {
        const mine = reachOf(role, kind, 'read');
        const theirs = reachOf(other, kind, 'read');
        // Everyone reads their own user record ('self'); the service manager's configuration reads
        // (policy layers), follow-ups (failed notices) and people administration (invitations) are theirs alone.
        if (kind === 'policy_layer' || kind === 'notice' || kind === 'invitation') continue;
        expect({ kind, other, covered: covers(mine, theirs) }).toEqual({ kind, other, covered: true });
      }
      // The senior engineer hears a ticket's second warning and may take it over.
      expect(reachOf(role, kind, 'act')).toBe(role === 'senior_engineer' && kind === 'ticket' ? 'all' : role === 'senior_engineer' && kind === 'user' ? 'self' : 'none');
    }
  });

  it('finance reads every money record (DOA charges) but not projects; appraisers and clerks read dealer records only', () => {
    expect(reachOf('finance', 'doa_case', 'read')).toBe('all');
    expect(reachOf('finance', 'project', 'read')).toBe('none');
    for (const role of ['technical_appraiser', 'sales_clerk', 'finance'] as const) {
      expect(reachOf(role, 'dealer', 'read')).toBe('all');
      for (const kind of ['project', 'device', 'customer'] as const) expect(reachOf(role, kind, 'read')).toBe('none');
    }
  });

  it('a customer reads its own organisation’s records only and acts on none; a dealer its own dealer’s', () => {
    for (const kind of BUSINESS) {
      expect(reachOf('customer', kind, 'read')).toBe('own_customer');
      // The one thing a customer administers is their own machine tokens.
      expect(ACTIONS.filter((action) => action !== 'read').map((action) => reachOf('customer', kind, action))).toEqual(kind === 'api_token' ? ['none', 'none', 'self'] : ['none', 'none', 'none']);
    }
    expect(reachOf('dealer', 'device', 'read')).toBe('own_dealer');
    expect(reachOf('dealer', 'dealer', 'read')).toBe('own_dealer');
    expect(reachOf('dealer', 'project', 'read')).toBe('none');
  });

  it('everyone reads their own user record and tokens; only admins read others’', () => {
    for (const role of ROLES) expect(reachOf(role, 'user', 'read')).toBe(role === 'admin' ? 'all' : 'self');
    for (const role of ROLES) expect(reachOf(role, 'api_token', 'read')).toBe(role === 'admin' ? 'all' : 'self');
  });

  it('starting a project is for the roles that act on projects', () => {
    expect(ROLES.filter((role) => canStart(principal(role), 'project'))).toEqual(['project_manager', 'service_manager']);
  });
});

describe('records: own and other', () => {
  const mine = projectFacts({ customerId: 1, projectManagerUserId: 10 });
  const theirs = projectFacts({ customerId: 2, projectManagerUserId: 11 });
  const unmanaged = projectFacts({ customerId: 1, projectManagerUserId: null });

  it('a project manager reads and acts on their project only', () => {
    const pm = principal('project_manager');
    expect([canRead(pm, mine), canAct(pm, mine)]).toEqual([true, true]);
    expect([canRead(pm, theirs), canAct(pm, theirs)]).toEqual([false, false]);
    expect([canRead(pm, unmanaged), canAct(pm, unmanaged)]).toEqual([false, false]);
  });

  it('a customer reads its organisation’s project, never another’s, and never acts', () => {
    const customer = principal('customer', { customerId: 1 });
    expect([canRead(customer, mine), canAct(customer, mine)]).toEqual([true, false]);
    expect(canRead(customer, theirs)).toBe(false);
    expect(canRead(customer, projectFacts({ customerId: 1, projectManagerUserId: 11 }, 'doa_case'))).toBe(true);
  });

  it('a customer or dealer user without an organisation reads nothing of it', () => {
    expect(readScope(principal('customer'), 'project')).toEqual({ kind: 'none' });
    expect(readScope(principal('dealer'), 'device')).toEqual({ kind: 'none' });
    expect(canRead(principal('customer'), { kind: 'project', customerId: null })).toBe(false);
    expect(canRead(principal('dealer'), { kind: 'device', dealerId: null })).toBe(false);
  });

  it('a dealer reads its own dealer’s devices only', () => {
    const dealer = principal('dealer', { dealerId: 5 });
    expect(canRead(dealer, { kind: 'device', customerId: 1, dealerId: 5 })).toBe(true);
    expect(canRead(dealer, { kind: 'device', customerId: 1, dealerId: 6 })).toBe(false);
  });

  it('an engineer reads the devices assigned to them only', () => {
    const engineer = principal('engineer');
    expect(canRead(engineer, { kind: 'device', assigneeUserIds: [3, 10] })).toBe(true);
    expect(canRead(engineer, { kind: 'device', assigneeUserIds: [3] })).toBe(false);
  });

  it('users read themselves; admins everyone', () => {
    expect(canRead(principal('finance'), { kind: 'user', userId: 10 })).toBe(true);
    expect(canRead(principal('finance'), { kind: 'user', userId: 11 })).toBe(false);
    expect(canRead(principal('admin'), { kind: 'user', userId: 11 })).toBe(true);
    expect(may(principal('admin'), 'administer', { kind: 'api_token', userId: 11 })).toBe(true);
    expect(may(principal('service_manager'), 'administer', { kind: 'api_token', userId: 10 })).toBe(true);
    expect(may(principal('service_manager'), 'administer', { kind: 'api_token', userId: 11 })).toBe(false);
  });
});

describe('properties over every role, kind and record', () => {
  const ids = fc.integer({ min: 1, max: 4 });
  const arbPrincipal = fc.record({ userId: ids, role: fc.constantFrom(...ROLES), customerId: fc.option(ids), dealerId: fc.option(ids) });
  const arbRecord: fc.Arbitrary<ResourceFacts> = fc.record({
    kind: fc.constantFrom(...RESOURCE_KINDS),
    customerId: fc.option(ids),
    dealerId: fc.option(ids),
    managerUserIds: fc.array(ids, { maxLength: 2 }),
    assigneeUserIds: fc.array(ids, { maxLength: 2 }),
    addresseeUserIds: fc.array(ids, { maxLength: 2 }),
    userId: fc.option(ids),
  });
  const runs = { numRuns: 2000 };

  it('what one may act on, one may read', () => {
    fc.assert(fc.property(arbPrincipal, arbRecord, (p, r) => !canAct(p, r) || canRead(p, r)), runs);
  });

  it('the scope a list applies admits exactly what a lookup allows', () => {
    fc.assert(fc.property(arbPrincipal, arbRecord, fc.constantFrom(...ACTIONS), (p, r, action) => scopeAdmits(scopeOf(p, r.kind, action), r) === may(p, action, r)), runs);
  });

  it('a customer user never reads another organisation’s record, nor any record without one', () => {
    fc.assert(fc.property(arbPrincipal, arbRecord, (p, r) => p.role !== 'customer' || r.kind === 'user' || r.kind === 'calendar' || r.kind === 'org_unit' || r.kind === 'api_token' || !canRead(p, r) || (r.customerId === p.customerId && r.customerId !== null)), runs);
  });

  it('a project manager never reads a business record managed only by others', () => {
    fc.assert(
      fc.property(arbPrincipal, arbRecord, (p, r) => p.role !== 'project_manager' || !BUSINESS.includes(r.kind) || !canRead(p, r) || (r.managerUserIds ?? []).includes(p.userId)),
      runs,
    );
  });

  it('nobody but an admin administers anything (the service manager keeps the policy layers, the appraiser the models’ claim reference data, people administration its inviters, everyone their own tokens), and admins take no business step', () => {
    // Invitations: whom each inviter administers is people/adminRules.ts (test/domain/peopleAdmin.test.ts).
    const inviters = ['service_manager', 'dispatcher', 'project_manager', 'dealer'];
    const keeps = (role: string, kind: string, own: boolean) => (role === 'service_manager' && kind === 'policy_layer') || (inviters.includes(role) && kind === 'invitation') || (role === 'technical_appraiser' && kind === 'claim') || (kind === 'api_token' && own);
    fc.assert(fc.property(arbPrincipal, arbRecord, (p, r) => (p.role === 'admin' ? !canAct(p, r) : !may(p, 'administer', r) || keeps(p.role, r.kind, r.userId === p.userId))), runs);
  });
});

describe('commercial policy terms', () => {
  it.each([
    ['warranty.length', true],
    ['warranty.startsAt', true],
    ['doa.returnWithin.workingDays', true],
    ['calendar', true],
    ['calendar.holidays', true],
    ['care.postWarrantyVisitsPerYear', true],
    ['dealer.settlementPeriod', true],
    ['delivery.lateFee', true],
    ['ticket.partsPrice', true],
    ['delivery.trialRun', false],
    ['delivery.weeklyReportEvery', false],
    ['sla.levels.1.respond', false],
    ['dealer.warrantyCardWithin', false],
    ['delivery.feedbackWithin', false],
    ['warrantyNote', false],
  ])('%s is commercial: %s', (field, expected) => {
    expect(isCommercialPolicyField(field)).toBe(expected);
  });

  it('names every commercial leaf of an override, in order', () => {
    const override = {
      delivery: { trialRun: 'P3M' },
      warranty: { length: 'P24M' },
      doa: { returnWithin: { workingDays: 20 } },
      calendar: { id: 'cn', holidays: ['2026-10-01'] },
      sla: { escalationChain: ['engineer'] },
    };
    expect(commercialFieldsIn(override)).toEqual(['warranty.length', 'doa.returnWithin.workingDays', 'calendar.id', 'calendar.holidays']);
    expect(commercialFieldsIn({ delivery: { trialRun: 'P3M' } })).toEqual([]);
    expect(commercialFieldsIn({ warranty: {} })).toEqual(['warranty']);
    expect(commercialFieldsIn(undefined)).toEqual([]);
  });

  it('only a service manager may set them', () => {
    const override = { warranty: { length: 'P24M' }, delivery: { trialRun: 'P1M' } };
    expect(forbiddenPolicyFields('service_manager', override)).toEqual([]);
    for (const role of ROLES.filter((r) => r !== 'service_manager')) expect(forbiddenPolicyFields(role, override)).toEqual(['warranty.length']);
  });
});
