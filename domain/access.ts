/**
 * Authorization by resource: who may read, act on or administer which record. One rule set for
 * the API and the console; both ask these functions and never decide on a role by themselves.
 *
 * A rule is a *reach* per (resource kind, role, action):
 *   all           every record of the kind
 *   managed       records whose `managerUserIds` name the user (a project manager's projects)
 *   assigned      records whose `assigneeUserIds` name the user (an engineer's tickets and visits)
 *   addressed     records whose `addresseeUserIds` name the user (escalations)
 *   own_customer  records of the user's customer organisation (`users.customer_id`)
 *   own_dealer    records of the user's dealer (`users.dealer_id`)
 *   self          the user's own user record
 *   none          nothing
 *
 * A record outside the caller's reach must look as if it did not exist (404, absent from lists and
 * counts): `readScope` turns a reach into a filter a repository can apply in SQL, and
 * `scopeAdmits` is the same filter in memory, so a list and a lookup always agree.
 *
 * Later processes add a kind (ticket, visit, claim, statement…) to RESOURCE_KINDS and a row to
 * each table below; the compiler then asks for every role's reach.
 */

/** Who uses Aftercare (PRODUCT §1, plus the two escalation roles of the default SLA chain). */
export const ROLES = [
  'admin',
  'project_manager',
  'dispatcher',
  'engineer',
  'senior_engineer',
  'service_manager',
  'leadership',
  'technical_appraiser',
  'sales_clerk',
  'finance',
  'dealer',
  'customer',
] as const;

export type Role = (typeof ROLES)[number];

export const RESOURCE_KINDS = ['project', 'doa_case', 'device', 'customer', 'dealer', 'user', 'api_token', 'notice', 'policy_layer', 'calendar', 'dealer_sale', 'dealer_task', 'claim', 'settlement', 'ledger', 'parts_plan', 'ticket', 'care_plan', 'care_visit', 'care_call', 'contact', 'invitation', 'org_unit'] as const;

export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/**
 * read: see the record; act: take a business step on it (start it, record a step);
 * assign: name who works on it (its project manager, later its engineers); administer: configuration and accounts (users, tokens, calendars, policy layers, test notices).
 */
export const ACTIONS = ['read', 'act', 'assign', 'administer'] as const;

export type Action = (typeof ACTIONS)[number];

export const REACHES = ['all', 'managed', 'assigned', 'addressed', 'own_customer', 'own_dealer', 'self', 'none'] as const;

export type Reach = (typeof REACHES)[number];

/** The caller as the rules see them. */
export interface Principal {
  userId: number;
  role: Role;
  /** The customer organisation a `customer` user acts for. */
  customerId: number | null;
  /** The dealer a `dealer` user acts for. */
  dealerId: number | null;
}

/** What the rules need to know about one record: to whom it belongs and who works on it. */
export interface ResourceFacts {
  kind: ResourceKind;
  customerId?: number | null;
  dealerId?: number | null;
  managerUserIds?: readonly number[];
  assigneeUserIds?: readonly number[];
  addresseeUserIds?: readonly number[];
  /** The user a user record or token is (or belongs to). */
  userId?: number | null;
  /** A record of several dealers (a care plan covering devices several dealers sold): any of them reaches it. */
  dealerIds?: readonly number[];
}

/** A project's facts (its DOA cases share them): its customer and its manager. */
export function projectFacts(project: { customerId: number | null; projectManagerUserId: number | null }, kind: 'project' | 'doa_case' = 'project'): ResourceFacts {
  return { kind, customerId: project.customerId, managerUserIds: project.projectManagerUserId === null ? [] : [project.projectManagerUserId] };
}

type ReachTable = Readonly<Record<ResourceKind, Readonly<Record<Role, Reach>>>>;

// Shorthands for the tables: rows read left to right in ROLES order.
const row = (...reaches: Reach[]): Record<Role, Reach> => {
  if (reaches.length !== ROLES.length) throw new Error(`a rule row needs ${ROLES.length} reaches`);
  return Object.fromEntries(ROLES.map((role, i) => [role, reaches[i]!])) as Record<Role, Reach>;
};
const adminOnly = row('all', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none');
const nobody = row('none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none');
// Machine tokens: everyone keeps their own (makes, lists, revokes them); the admin everyone's.
const ownTokens = row('all', 'self', 'self', 'self', 'self', 'self', 'self', 'self', 'self', 'self', 'self', 'self');

// Columns: admin, project_manager, dispatcher, engineer, senior_engineer, service_manager, leadership,
// technical_appraiser, sales_clerk, finance, dealer, customer.
const READ: ReachTable = {
  project: row('all', 'managed', 'all',    'none',     'all',  'all',      'all',     'none',   'none',     'none', 'none',       'own_customer'),
  // DOA cases carry charges: a money record finance reads.
  doa_case: row('all', 'managed', 'all',    'none',     'all',  'all',      'all',     'none',   'none',     'all',  'none',       'own_customer'),
  device: row('all', 'managed', 'all',    'assigned', 'all',  'all',      'all',     'none',   'none',     'none', 'own_dealer', 'own_customer'),
  customer: row('all', 'managed', 'all',    'assigned', 'all',  'all',      'all',     'none',   'none',     'none', 'none',       'own_customer'),
  dealer: row('all', 'none',    'all',    'none',     'all',  'all',      'all',     'all',    'all',      'all',  'own_dealer', 'none'),
  user: row('all', 'self',    'self',   'self',     'self', 'self',     'self',    'self',   'self',     'self', 'self',       'self'),
  api_token: ownTokens,
  // Failed notices are the service manager's to follow up.
  notice: row('all', 'none',    'none',   'none',     'none', 'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  policy_layer: row('all', 'none',    'none',   'none',     'none', 'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  // Reference data (holidays): everyone counts working days on it.
  calendar: row('all', 'all',     'all',    'all',      'all',  'all',      'all',     'all',    'all',      'all',  'all',        'all'),
  // Dealer warranty (三包): a dealer sees its own; the company's clerks, appraisers and finance all.
  dealer_sale: row('all', 'none',  'none',   'none',     'none', 'none',     'all',     'all',    'all',      'all',  'own_dealer', 'none'),
  dealer_task: row('all', 'none',  'none',   'none',     'none', 'none',     'all',     'none',   'all',      'none', 'own_dealer', 'none'),
  claim: row('all', 'none',        'none',   'none',     'none', 'none',     'all',     'all',    'all',      'all',  'own_dealer', 'none'),
  settlement: row('all', 'none',   'none',   'none',     'none', 'none',     'all',     'none',   'all',      'all',  'own_dealer', 'none'),
  // A dealer's receivables ledger (its id is the dealer's): finance's books, and the dealer's own.
  ledger: row('all', 'none',       'none',   'none',     'none', 'none',     'all',     'none',   'none',     'all',  'own_dealer', 'none'),
  // A dealer's parts plans (their id is the dealer's): the sales clerks follow them up.
  parts_plan: row('all', 'none',   'none',   'none',     'none', 'none',     'all',     'none',   'all',      'none', 'own_dealer', 'none'),
  // Repair tickets and complaints (P3): engineers see those assigned to them; charges make them finance's too.
  ticket: row('all', 'none',    'all',    'assigned', 'all',  'all',      'all',     'none',   'none',     'all',  'none',       'own_customer'),
  // Asset care (P4): a plan is its project manager's to read, its engineers' (the customer's one-to-one
  // engineer, each visit's assignee), the customer's own, and a dealer's that sold one of its devices.
  care_plan: row('all', 'managed', 'all',  'assigned', 'all',  'all',      'all',     'none',   'none',     'none', 'own_dealer', 'own_customer'),
  care_visit: row('all', 'managed', 'all', 'assigned', 'all',  'all',      'all',     'none',   'none',     'none', 'none',       'own_customer'),
  // Return calls are the service desk's (dispatchers), not the engineers'.
  care_call: row('all', 'managed', 'all',  'none',     'all',  'all',      'all',     'none',   'none',     'none', 'none',       'own_customer'),
  // A customer's contact person: read as the customer file is.
  contact: row('all', 'managed', 'all',    'assigned', 'all',  'all',      'all',     'none',   'none',     'none', 'none',       'own_customer'),
  // An invitation is read by whoever administers the person it invites (people/adminRules.ts says whom).
  invitation: row('all', 'all', 'all', 'none', 'none', 'all', 'none', 'none', 'none', 'none', 'own_dealer', 'none'),
  // Organisational units: everyone sees the company's regions and teams.
  org_unit: row('all', 'all', 'all', 'all', 'all', 'all', 'all', 'all', 'all', 'all', 'all', 'all'),
};

const ACT: ReachTable = {
  project: row('none', 'managed', 'none',  'none',     'none', 'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  doa_case: row('none', 'managed', 'none',  'none',     'none', 'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  device: row('none', 'managed', 'none',  'none',     'none', 'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  customer: row('none', 'managed', 'none',  'none',     'none', 'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  dealer: nobody,
  // An engineer manages what belongs to their own account: the calendar feed of their visits.
  user: row('none', 'none', 'none', 'self', 'self', 'none', 'none', 'none', 'none', 'none', 'none', 'none'),
  api_token: nobody,
  notice: nobody,
  policy_layer: nobody,
  calendar: nobody,
  // Each role acts on its own steps only; the routes name which (api/dealerWarranty.ts).
  dealer_sale: row('none', 'none', 'none',  'none',     'none', 'none',     'none',    'none',   'all',      'none', 'own_dealer', 'none'),
  dealer_task: row('none', 'none', 'none',  'none',     'none', 'none',     'none',    'none',   'all',      'none', 'own_dealer', 'none'),
  claim: row('none', 'none',      'none',  'none',     'none', 'none',     'none',    'all',    'all',      'none', 'own_dealer', 'none'),
  settlement: row('none', 'none', 'none',  'none',     'none', 'none',     'none',    'none',   'none',     'all',  'own_dealer', 'none'),
  ledger: nobody,
  // Only the dealer submits its own parts plan.
  parts_plan: row('none', 'none', 'none',  'none',     'none', 'none',     'none',    'none',   'none',     'none', 'own_dealer', 'none'),
  // Dispatchers open and run tickets, engineers work the ones assigned to them.
  ticket: row('none', 'none',   'all',   'assigned', 'all',  'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  // Plans are started, contracted and ended by the service manager; visits are worked by their engineer,
  // calls by the service desk, which also corrects a contact flagged as a wrong number.
  care_plan: row('none', 'none', 'none',  'none',     'none', 'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  care_visit: row('none', 'none', 'none', 'assigned', 'none', 'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  care_call: row('none', 'none', 'all',   'none',     'none', 'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  contact: row('none', 'managed', 'all',  'none',     'none', 'all',      'none',    'none',   'none',     'none', 'none',       'none'),
  invitation: nobody,
  org_unit: nobody,
};

const ASSIGN: ReachTable = {
  project: row('none', 'none', 'none', 'none', 'none', 'all', 'none', 'none', 'none', 'none', 'none', 'none'),
  doa_case: nobody,
  device: nobody,
  // The one-to-one engineer of a customer (seed 000) is the service manager's choice.
  customer: row('none', 'none', 'none', 'none', 'none', 'all', 'none', 'none', 'none', 'none', 'none', 'none'),
  dealer: nobody,
  user: nobody,
  api_token: nobody,
  notice: nobody,
  policy_layer: nobody,
  calendar: nobody,
  dealer_sale: nobody,
  dealer_task: nobody,
  claim: nobody,
  settlement: nobody,
  ledger: nobody,
  parts_plan: nobody,
  ticket: row('none', 'none', 'all', 'none', 'none', 'all', 'none', 'none', 'none', 'none', 'none', 'none'),
  care_plan: nobody,
  // Who does a visit other than the customer's one-to-one engineer is the service manager's choice.
  care_visit: row('none', 'none', 'none', 'none', 'none', 'all', 'none', 'none', 'none', 'none', 'none', 'none'),
  care_call: nobody,
  contact: nobody,
  invitation: nobody,
  org_unit: nobody,
};

const ADMINISTER: ReachTable = {
  project: nobody,
  doa_case: nobody,
  device: nobody,
  customer: nobody,
  dealer: adminOnly,
  user: adminOnly,
  api_token: ownTokens,
  notice: adminOnly,
  // Layers set the numbers every new contract starts from: the service manager's job too (issue: policy layers through the API).
  policy_layer: row('all', 'none', 'none', 'none', 'none', 'all', 'none', 'none', 'none', 'none', 'none', 'none'),
  calendar: adminOnly,
  dealer_sale: nobody,
  dealer_task: nobody,
  // Models' parts lists and labour operations: reference data the admin or the technical appraiser keeps.
  claim: row('all', 'none', 'none', 'none', 'none', 'none', 'none', 'all', 'none', 'none', 'none', 'none'),
  settlement: nobody,
  ledger: nobody,
  parts_plan: nobody,
  ticket: nobody,
  care_plan: nobody,
  care_visit: nobody,
  care_call: nobody,
  contact: nobody,
  // Inviting and administering people (people/adminRules.ts says whom): admins; service managers for
  // staff below them; the service desk and project managers for customers' contacts; a dealer's
  // administrator for that dealer's users (the flag is checked by the use case).
  invitation: row('all', 'all', 'all', 'none', 'none', 'all', 'none', 'none', 'none', 'none', 'own_dealer', 'none'),
  org_unit: adminOnly,
};

const TABLES: Readonly<Record<Action, ReachTable>> = { read: READ, act: ACT, assign: ASSIGN, administer: ADMINISTER };

/** The reach of `role` over `kind` for `action`. */
export function reachOf(role: Role, kind: ResourceKind, action: Action): Reach {
  return TABLES[action][kind][role];
}

/** Roles that reach at least some record of `kind` for `action`: the roles a route on it admits. */
export function rolesReaching(kind: ResourceKind, action: Action): Role[] {
  return ROLES.filter((role) => reachOf(role, kind, action) !== 'none');
}

/** Starting a record (e.g. a project) is acting on the kind: a role reaching some of it may start one. */
export function canStart(principal: Principal, kind: ResourceKind): boolean {
  const reach = reachOf(principal.role, kind, 'act');
  return reach === 'all' || reach === 'managed';
}

/**
 * A filter over records of one kind, as a repository applies it. `none` when the reach needs an
 * organisation the user does not have (a customer user without a customer names nothing).
 */
export type Scope =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'customer'; customerId: number }
  | { kind: 'dealer'; dealerId: number }
  | { kind: 'manager'; userId: number }
  | { kind: 'assignee'; userId: number }
  | { kind: 'addressee'; userId: number }
  | { kind: 'user'; userId: number };

/**
 * Every row, said out loud: the scope of the system's own work (workflows' activities, schedules,
 * background jobs, reports run for everyone). A repository never assumes it: a caller that reads
 * without a person's scope passes this, so the call site shows it.
 */
export const ALL_ROWS: Scope = Object.freeze({ kind: 'all' });

export function scopeOf(principal: Principal, kind: ResourceKind, action: Action): Scope {
  const reach = reachOf(principal.role, kind, action);
  switch (reach) {
    case 'all':
      return { kind: 'all' };
    case 'none':
      return { kind: 'none' };
    case 'managed':
      return { kind: 'manager', userId: principal.userId };
    case 'assigned':
      return { kind: 'assignee', userId: principal.userId };
    case 'addressed':
      return { kind: 'addressee', userId: principal.userId };
    case 'self':
      return { kind: 'user', userId: principal.userId };
    case 'own_customer':
      return principal.customerId === null ? { kind: 'none' } : { kind: 'customer', customerId: principal.customerId };
    case 'own_dealer':
      return principal.dealerId === null ? { kind: 'none' } : { kind: 'dealer', dealerId: principal.dealerId };
  }
}

export const readScope = (principal: Principal, kind: ResourceKind): Scope => scopeOf(principal, kind, 'read');

/** The scope applied to one record in memory; repositories apply the same scope in SQL. */
export function scopeAdmits(scope: Scope, record: ResourceFacts): boolean {
  switch (scope.kind) {
    case 'all':
      return true;
    case 'none':
      return false;
    case 'customer':
      return record.customerId === scope.customerId;
    case 'dealer':
      return record.dealerId === scope.dealerId || (record.dealerIds ?? []).includes(scope.dealerId);
    case 'manager':
      return (record.managerUserIds ?? []).includes(scope.userId);
    case 'assignee':
      return (record.assigneeUserIds ?? []).includes(scope.userId);
    case 'addressee':
      return (record.addresseeUserIds ?? []).includes(scope.userId);
    case 'user':
      return record.userId === scope.userId;
  }
}

export function may(principal: Principal, action: Action, record: ResourceFacts): boolean {
  return scopeAdmits(scopeOf(principal, record.kind, action), record);
}

export const canRead = (principal: Principal, record: ResourceFacts): boolean => may(principal, 'read', record);

/** Acting on a record one cannot read is never allowed: the record does not exist for them. */
export const canAct = (principal: Principal, record: ResourceFacts): boolean => may(principal, 'act', record) && canRead(principal, record);

// ---------------------------------------------------------------------------------------------
// Commercial policy terms

/**
 * Policy fields that are commercial terms of a contract: what the customer is promised and what
 * is charged. Only a service manager may override them on a contract. Each entry covers the field
 * and everything under it.
 */
export const COMMERCIAL_POLICY_FIELDS = [
  'warranty',
  'doa',
  'calendar',
  'care.freeMaintenanceBeforeWarrantyEnd',
  'care.postWarrantyVisitsPerYear',
  'dealer.resubmitWithin',
  'dealer.settlementConfirmWithin',
  'dealer.settlementPeriod',
  'dealer.oldPartReturnDeadlines',
] as const;

/** Words that make a field money wherever it appears, so a future money term is commercial from day one. */
const MONEY_WORDS = new Set(['price', 'charge', 'charges', 'fee', 'fees', 'amount', 'cost', 'costs', 'discount', 'deposit', 'penalty', 'money']);

/** `catalogPrice` → catalog, price; `late_fee` → late, fee. */
const wordsOf = (segment: string): string[] => segment.split(/(?=[A-Z])|[_\-\s]+/).map((word) => word.toLowerCase());

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Dotted paths of the leaves of an override; arrays and scalars are leaves. */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (!isPlainObject(value)) return prefix ? [prefix] : [];
  const keys = Object.keys(value);
  if (keys.length === 0) return prefix ? [prefix] : [];
  return keys.flatMap((key) => leafPaths(value[key], prefix ? `${prefix}.${key}` : key));
}

export function isCommercialPolicyField(path: string): boolean {
  const covered = COMMERCIAL_POLICY_FIELDS.some((field) => path === field || path.startsWith(`${field}.`));
  return covered || path.split('.').some((segment) => wordsOf(segment).some((word) => MONEY_WORDS.has(word)));
}

/** The commercial fields an override sets, as dotted paths (e.g. `warranty.length`), in order. */
export function commercialFieldsIn(override: unknown): string[] {
  return leafPaths(override).filter(isCommercialPolicyField);
}

/** The commercial fields `role` may not set in a contract override: all of them unless it may. */
export function forbiddenPolicyFields(role: Role, override: unknown): string[] {
  return role === 'service_manager' ? [] : commercialFieldsIn(override);
}

/** Roles that may be assigned as a project's manager. */
/** The facts of a ticket the rules look at: its customer and its engineer. */
export function ticketFacts(ticket: { customerId: number; assigneeUserId: number | null }): ResourceFacts {
  return { kind: 'ticket', customerId: ticket.customerId, assigneeUserIds: ticket.assigneeUserId === null ? [] : [ticket.assigneeUserId] };
}

/** Roles a ticket may be assigned to. */
export const TICKET_ENGINEER_ROLES: readonly Role[] = ['engineer', 'senior_engineer'];

export const PROJECT_MANAGER_ROLES: readonly Role[] = ['project_manager'];
