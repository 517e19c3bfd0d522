/**
 * Applies domain/access.ts to routes: every route declares the rule it answers to (`access` in
 * defineRoute), and defineRoute enforces it before the handler runs.
 */
import type { Knex } from 'knex';
import { canRead, may, projectFacts, ticketFacts, reachOf, rolesReaching, scopeOf, type Action, type Principal, type ResourceFacts, type ResourceKind, type Scope } from '../../domain/access';
import { carePlanFacts, careTaskFacts } from '../db/reach/care';
import type { User } from '../../domain/people';
import { forbidden, notFound } from './errors';
import { words, type Words } from '../../domain/words';

/**
 * The access rule of a route:
 * - `public`: anyone, token or not;
 * - `self`: any signed-in user, about themselves only (e.g. GET /users/me);
 * - `collection`: the kind as a whole: a list (read; the handler answers only `scope`), starting a
 *   record (act) or configuration (administer). Roles reaching no record of the kind: 403 (lists: empty);
 * - `record`: the record the path names. Roles that may never do `action` on the kind: 403; a
 *   record out of the caller's reach answers 404, exactly like one that does not exist.
 */
export type RouteAccess =
  | { rule: 'public' }
  | { rule: 'self' }
  | { rule: 'collection'; resource: ResourceKind; action: Action }
  | { rule: 'record'; resource: ResourceKind; action: Action };

export function principalOf(user: User): Principal {
  return { userId: user.id, role: user.role, customerId: user.customerId, dealerId: user.dealerId };
}

type Params = Record<string, unknown>;

interface RecordLookup {
  /** The record's facts, or null when there is no such record. */
  facts(knex: Knex, params: Params): Promise<ResourceFacts | null>;
  /** What a 404 says: the same whether the record is missing or out of reach. */
  missing(params: Params): Words;
}

const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** A customer file's facts (its contacts share them): the customer, its project managers, its one-to-one engineer. */
async function customerFacts(knex: Knex, id: unknown, kind: 'customer' | 'contact'): Promise<ResourceFacts | null> {
  const row = (await knex('customers').where({ id }).first('id', 'engineer_user_id')) as { id: unknown; engineer_user_id: unknown } | undefined;
  if (!row) return null;
  const managers = (await knex('projects').where({ customer_id: id }).whereNotNull('project_manager_user_id').distinct('project_manager_user_id')) as { project_manager_user_id: unknown }[];
  const engineer = num(row.engineer_user_id);
  return { kind, customerId: Number(row.id), managerUserIds: managers.map((m) => Number(m.project_manager_user_id)), assigneeUserIds: engineer === null ? [] : [engineer] };
}

/** A record of a table with a dealer_id column, found by the path's `id`. */
function dealerOwned(kind: 'dealer_sale' | 'claim' | 'dealer_task' | 'settlement', table: string): Partial<Record<ResourceKind, RecordLookup>> {
  return {
    [kind]: {
      async facts(knex: Knex, { id }: Params) {
        const row = (await knex(table).where({ id }).first('dealer_id')) as { dealer_id: unknown } | undefined;
        return row ? { kind, dealerId: num(row.dealer_id) } : null;
      },
      missing: ({ id }: Params) => words(`api.notFound.${kind}`, { id: String(id) }),
    },
  };
}

/** How to find each kind's record from a route's path parameters. A later process adds its kinds here. */
const RECORD_LOOKUPS: Partial<Record<ResourceKind, RecordLookup>> = {
  project: {
    async facts(knex, { id }) {
      const row = (await knex('projects').where({ id }).first('customer_id', 'project_manager_user_id')) as { customer_id: unknown; project_manager_user_id: unknown } | undefined;
      return row ? projectFacts({ customerId: num(row.customer_id), projectManagerUserId: num(row.project_manager_user_id) }) : null;
    },
    missing: ({ id }) => words('api.notFound.project', { id: String(id) }),
  },
  doa_case: {
    async facts(knex, { id, serial }) {
      const row = (await knex('doa_cases as d')
        .join('projects as p', 'p.id', 'd.project_id')
        .where({ 'd.project_id': id, 'd.serial': serial })
        .first('p.customer_id', 'p.project_manager_user_id')) as { customer_id: unknown; project_manager_user_id: unknown } | undefined;
      return row ? projectFacts({ customerId: num(row.customer_id), projectManagerUserId: num(row.project_manager_user_id) }, 'doa_case') : null;
    },
    missing: ({ id, serial }) => words('api.notFound.doa_case', { id: String(id), serial: String(serial) }),
  },
  // A customer's file: its project managers manage it, its one-to-one engineer is assigned to it.
  customer: {
    facts: (knex, { id }) => customerFacts(knex, id, 'customer'),
    missing: ({ id }) => words('api.notFound.customer', { id: String(id) }),
  },
  // A contact person, found under its customer: belongs as the customer file does.
  contact: {
    async facts(knex, { id, contactId }) {
      const row = (await knex('customer_contacts').where({ id: contactId, customer_id: id }).first('id')) as { id: unknown } | undefined;
      return row ? customerFacts(knex, id, 'contact') : null;
    },
    missing: ({ id, contactId }) => words('api.notFound.contact', { id: String(id), contactId: String(contactId) }),
  },
  // Asset care: who a plan, visit or call belongs to comes from the reach views (migration 0020).
  care_plan: {
    facts: (knex, { id }) => carePlanFacts(knex, Number(id)),
    missing: ({ id }) => words('api.notFound.care_plan', { id: String(id) }),
  },
  care_visit: {
    facts: (knex, { id }) => careTaskFacts(knex, 'visit', Number(id)),
    missing: ({ id }) => words('api.notFound.care_visit', { id: String(id) }),
  },
  care_call: {
    facts: (knex, { id }) => careTaskFacts(knex, 'call', Number(id)),
    missing: ({ id }) => words('api.notFound.care_call', { id: String(id) }),
  },
  ticket: {
    async facts(knex, { id }) {
      const row = (await knex('tickets').where({ id }).first('customer_id', 'assignee_user_id')) as { customer_id: unknown; assignee_user_id: unknown } | undefined;
      return row ? ticketFacts({ customerId: Number(row.customer_id), assigneeUserId: num(row.assignee_user_id) }) : null;
    },
    missing: ({ id }) => words('api.notFound.ticket', { id: String(id) }),
  },
  user: {
    async facts(knex, { id }) {
      const row = (await knex('users').where({ id }).first('id', 'customer_id', 'dealer_id')) as { id: unknown; customer_id: unknown; dealer_id: unknown } | undefined;
      return row ? { kind: 'user', userId: num(row.id), customerId: num(row.customer_id), dealerId: num(row.dealer_id) } : null;
    },
    missing: ({ id }) => words('api.notFound.user', { id: String(id) }),
  },
  ledger: {
    async facts(knex, { id }) {
      const row = (await knex('dealers').where({ id }).first('id')) as { id: unknown } | undefined;
      return row ? { kind: 'ledger', dealerId: num(row.id) } : null;
    },
    missing: ({ id }) => words('api.notFound.dealer', { id: String(id) }),
  },
  // A dealer's parts plans are addressed by the dealer's id, like its ledger.
  parts_plan: {
    async facts(knex, { id }) {
      const row = (await knex('dealers').where({ id }).first('id')) as { id: unknown } | undefined;
      return row ? { kind: 'parts_plan', dealerId: num(row.id) } : null;
    },
    missing: ({ id }) => words('api.notFound.dealer', { id: String(id) }),
  },
  ...dealerOwned('dealer_sale', 'dealer_sales'),
  ...dealerOwned('claim', 'claims'),
  ...dealerOwned('dealer_task', 'dealer_tasks'),
  ...dealerOwned('settlement', 'settlements'),
  // An invitation is addressed by the person it invites: it belongs as their account does.
  invitation: {
    async facts(knex, { id }) {
      const row = (await knex('users').where({ id }).first('id', 'customer_id', 'dealer_id')) as { id: unknown; customer_id: unknown; dealer_id: unknown } | undefined;
      return row ? { kind: 'invitation', userId: num(row.id), customerId: num(row.customer_id), dealerId: num(row.dealer_id) } : null;
    },
    missing: ({ id }) => words('api.notFound.user', { id: String(id) }),
  },
  org_unit: {
    async facts(knex, { id }) {
      const row = (await knex('org_units').where({ id }).first('id')) as { id: unknown } | undefined;
      return row ? { kind: 'org_unit' } : null;
    },
    missing: ({ id }) => words('units.missing', { id: String(id) }),
  },
  api_token: {
    async facts(knex, { id }) {
      const row = (await knex('api_tokens').where({ id }).first('user_id')) as { user_id: unknown } | undefined;
      return row ? { kind: 'api_token', userId: num(row.user_id) } : null;
    },
    missing: ({ id }) => words('api.notFound.api_token', { id: String(id) }),
  },
};

/** Throws at start-up for a rule that cannot be enforced (a record kind without a lookup). */
export function checkRouteAccess(where: string, access: RouteAccess | undefined): void {
  if (!access) throw new Error(`${where}: declare its access rule (access: { rule: … }); every route must have one`);
  if (access.rule === 'record' && !RECORD_LOOKUPS[access.resource]) throw new Error(`${where}: no record lookup for ${access.resource} in api/access.ts`);
}

/** The roles a rule admits at all, for the OpenAPI document and the role gate; null: any signed-in user. */
export function rolesOfRule(access: RouteAccess): string[] | null {
  if (access.rule === 'public' || access.rule === 'self') return null;
  // Reads admit every signed-in user: a record out of reach is a 404, a list is filtered.
  if (access.action === 'read') return null;
  return rolesReaching(access.resource, access.action);
}

/** The scope of the caller for the route's resource (lists filter by it); `all` for public and self. */
export function scopeForRoute(access: RouteAccess, user: User | null): Scope {
  if (!user || access.rule === 'public' || access.rule === 'self') return { kind: 'all' };
  return scopeOf(principalOf(user), access.resource, access.action);
}

/** Before the input is read: 403 for a role that may never do this (reads are 404s later instead). */
export function requireRuleRole(access: RouteAccess, user: User | null): void {
  if (!user || access.rule === 'public' || access.rule === 'self' || access.action === 'read') return;
  if (reachOf(user.role, access.resource, access.action) === 'none') {
    throw forbidden(words('api.forbidden.records', { role: user.role, action: access.action, resource: access.resource, roles: rolesReaching(access.resource, access.action).join(', ') }));
  }
}

/** After the path parameters are valid: 404 unless the record exists and the caller reaches it. */
export async function requireRecord(access: RouteAccess, user: User | null, knex: Knex, params: Params): Promise<void> {
  if (access.rule !== 'record' || !user) return;
  const lookup = RECORD_LOOKUPS[access.resource]!;
  const facts = await lookup.facts(knex, params);
  const principal = principalOf(user);
  // Acting on a record needs reading it too: what one cannot read does not exist for them.
  const allowed = facts !== null && may(principal, 'read', facts) && may(principal, access.action, facts);
  if (!allowed) throw notFound(lookup.missing(params));
}

/** Whether a reader may open a linked record; each answer asked once per request (a queue of hundreds). */
export interface LinkReach {
  plan(id: number): Promise<boolean>;
  visit(id: number): Promise<boolean>;
  call(id: number): Promise<boolean>;
  dealerTask(id: number): Promise<boolean>;
  ticket(id: number): Promise<boolean>;
}

/**
 * The reach of one reader over records another record links to (a ticket's care plan, a care plan's
 * ticket, a dealer task's ticket), judged on the same facts as a route's record access, so a page
 * names a linked record exactly when its reader may open it.
 */
export function linkReach(knex: Knex, principal: Principal): LinkReach {
  const asked = new Map<string, Promise<boolean>>();
  const opens = (kind: ResourceKind, id: number): Promise<boolean> => {
    // A role reaching all or none of the kind is answered without a query.
    const reach = reachOf(principal.role, kind, 'read');
    if (reach === 'none' || reach === 'all') return Promise.resolve(reach === 'all');
    const key = `${kind}:${id}`;
    let answer = asked.get(key);
    if (!answer) {
      const lookup = RECORD_LOOKUPS[kind];
      answer = lookup ? lookup.facts(knex, { id }).then((found) => found !== null && canRead(principal, found)) : Promise.resolve(false);
      asked.set(key, answer);
    }
    return answer;
  };
  return {
    plan: (id) => opens('care_plan', id),
    visit: (id) => opens('care_visit', id),
    call: (id) => opens('care_call', id),
    dealerTask: (id) => opens('dealer_task', id),
    ticket: (id) => opens('ticket', id),
  };
}
