/**
 * Care records' reach: to whom plans, visits and calls belong, for the access scopes, the access
 * module's record lookups (platform/http/access.ts) and the care repository's queries. Beside the
 * other kinds' ownership, which the access module reads by table: who owns a record is the access
 * layer's to know, whichever process keeps it.
 */
import type { Knex } from 'knex';
import type { ResourceFacts, Scope } from '../../../domain/access';
import { whereInScope, type ScopeColumns } from '../scope';

/**
 * To whom plans, visits and calls belong, as derived tables the access scopes filter on (db/scope.ts):
 * one row per (record, relation), so a plan reached by its project manager, the customer's one-to-one
 * engineer, each visit's assignee and each dealer that sold one of its devices is found by any of them.
 * Computed in the query, not copied: a reassigned engineer or a sale recorded later counts at once.
 * (Not database views: SQLite's table rebuilds in later migrations refuse a view over the table.)
 */
const NULL = (db: Knex | Knex.Transaction, as: string) => db.raw(`NULL AS ${as}`);

export const CARE_REACH = {
  plan: {
    source: (db: Knex | Knex.Transaction): Knex.QueryBuilder =>
      db('care_plans as p')
        .join('customers as c', 'c.id', 'p.customer_id')
        .leftJoin('projects as pr', 'pr.id', 'p.project_id')
        .select('p.id as id', 'p.customer_id as customer_id', 'pr.project_manager_user_id as manager_user_id', 'c.engineer_user_id as assignee_user_id', NULL(db, 'dealer_id'))
        .unionAll(
          [
            db('care_visits as v').whereNotNull('v.assignee_user_id').select('v.plan_id as id', 'v.customer_id as customer_id', NULL(db, 'manager_user_id'), 'v.assignee_user_id as assignee_user_id', NULL(db, 'dealer_id')),
            db('care_plan_devices as d')
              .join('care_plans as pd', 'pd.id', 'd.plan_id')
              .join('devices as dv', 'dv.id', 'd.device_id')
              .join('dealer_sales as s', 's.device_serial', 'dv.serial')
              .select('d.plan_id as id', 'pd.customer_id as customer_id', NULL(db, 'manager_user_id'), NULL(db, 'assignee_user_id'), 's.dealer_id as dealer_id'),
          ],
          false,
        ),
    columns: { customer: 'customer_id', manager: 'manager_user_id', assignee: 'assignee_user_id', dealer: 'dealer_id' } as ScopeColumns,
  },
  visit: {
    source: (db: Knex | Knex.Transaction): Knex.QueryBuilder =>
      db('care_visits as t').leftJoin('projects as pr', 'pr.id', 't.project_id').select('t.id as id', 't.customer_id as customer_id', 'pr.project_manager_user_id as manager_user_id', 't.assignee_user_id as assignee_user_id'),
    columns: { customer: 'customer_id', manager: 'manager_user_id', assignee: 'assignee_user_id' } as ScopeColumns,
  },
  call: {
    source: (db: Knex | Knex.Transaction): Knex.QueryBuilder =>
      db('care_calls as t').leftJoin('projects as pr', 'pr.id', 't.project_id').select('t.id as id', 't.customer_id as customer_id', 'pr.project_manager_user_id as manager_user_id', 't.assignee_user_id as assignee_user_id'),
    columns: { customer: 'customer_id', manager: 'manager_user_id', assignee: 'assignee_user_id' } as ScopeColumns,
  },
} as const;

/** The ids `scope` admits among one kind's records, as a subquery. */
export const reachable = (db: Knex | Knex.Transaction, reach: (typeof CARE_REACH)[keyof typeof CARE_REACH], scope: Scope) => whereInScope(db.from(reach.source(db).as('reach')).distinct('id'), scope, reach.columns);

type Row = Record<string, unknown>;
const ids = (rows: Row[], column: string): number[] => [...new Set(rows.map((r) => r[column]).filter((v) => v !== null && v !== undefined).map(Number))];

/** Who a plan belongs to (domain/access.ts facts), as CARE_REACH says; null when there is no such plan. */
export async function carePlanFacts(db: Knex | Knex.Transaction, id: number): Promise<ResourceFacts | null> {
  const rows = (await db.from(CARE_REACH.plan.source(db).as('reach')).where({ id })) as Row[];
  if (rows.length === 0) return null;
  return { kind: 'care_plan', customerId: Number(rows[0]!.customer_id), managerUserIds: ids(rows, 'manager_user_id'), assigneeUserIds: ids(rows, 'assignee_user_id'), dealerIds: ids(rows, 'dealer_id') };
}

/** Who a visit or call belongs to; null when there is none. */
export async function careTaskFacts(db: Knex | Knex.Transaction, kind: 'visit' | 'call', id: number): Promise<ResourceFacts | null> {
  const rows = (await CARE_REACH[kind].source(db).where('t.id', id)) as Row[];
  if (rows.length === 0) return null;
  return { kind: kind === 'visit' ? 'care_visit' : 'care_call', customerId: Number(rows[0]!.customer_id), managerUserIds: ids(rows, 'manager_user_id'), assigneeUserIds: ids(rows, 'assignee_user_id') };
}
