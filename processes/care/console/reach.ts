/**
 * Who may see and work which care record in the console (P4), asked of the rules the API uses
 * (domain/access.ts: `care_plan`, `care_visit`, `care_call`) on the facts the reach views give
 * (db/repositories/care.ts): an engineer sees and works the visits assigned to them, the service
 * desk works the calls, the service manager assigns; a record out of reach looks as if it did not
 * exist (404).
 */
import type { Knex } from 'knex';
import { CareRepository, type CareCall, type CarePlan, type CareVisit } from '../repository';
import type { User } from '../../../people/repository';
import { canRead, may, reachOf, readScope, type Principal } from '../../../domain/access';

export type TaskAction = 'read' | 'act' | 'assign';

/** A step needs both: reaching the record to read it, and to take that action on it. */
const allows = (principal: Principal, action: TaskAction, facts: Parameters<typeof canRead>[1]) => canRead(principal, facts) && (action === 'read' || may(principal, action, facts));

/** The visit if `principal` may take `action` on it; null for a visit out of reach or missing alike. */
export async function visitFor(knex: Knex, principal: Principal, id: number, action: TaskAction = 'read'): Promise<CareVisit | null> {
  const care = new CareRepository(knex);
  const [visit, facts] = await Promise.all([care.getVisit(id), care.taskFacts('visit', id)]);
  return visit && facts && allows(principal, action, facts) ? visit : null;
}

export async function callFor(knex: Knex, principal: Principal, id: number, action: TaskAction = 'read'): Promise<CareCall | null> {
  const care = new CareRepository(knex);
  const [call, facts] = await Promise.all([care.getCall(id), care.taskFacts('call', id)]);
  return call && facts && allows(principal, action, facts) ? call : null;
}

/** The plan if `principal` may read it, or (`act`) take its own steps: the service manager's. */
export async function planFor(knex: Knex, principal: Principal, id: number, action: 'read' | 'act' = 'read'): Promise<CarePlan | null> {
  const care = new CareRepository(knex);
  const [plan, facts] = await Promise.all([care.getPlan(id), care.planFacts(id)]);
  return plan && facts && allows(principal, action, facts) ? plan : null;
}

/** Which steps of a record the principal may take: those of `act`, and those of `assign`. */
export async function taskActions(knex: Knex, principal: Principal, kind: 'visit' | 'call', id: number): Promise<Set<TaskAction>> {
  const facts = await new CareRepository(knex).taskFacts(kind, id);
  return new Set((['act', 'assign'] as const).filter((action) => facts !== null && allows(principal, action, facts)));
}

export const visitScope = (principal: Principal) => readScope(principal, 'care_visit');
export const callScope = (principal: Principal) => readScope(principal, 'care_call');
export const planScope = (principal: Principal) => readScope(principal, 'care_plan');

/** The navigation: visits for whoever reads some, the calls of the day for who works them, plans for their readers. */
export const showsVisits = (user: User) => reachOf(user.role, 'care_visit', 'read') !== 'none';
export const showsCalls = (user: User) => reachOf(user.role, 'care_call', 'act') !== 'none';
export const showsPlans = (user: User) => reachOf(user.role, 'care_plan', 'read') !== 'none';

/**
 * A role that never takes `action` on the kind: the API's step routes answer it 403 before looking at
 * the record (api/access.ts requireRuleRole), so the console's step forms do too; a record missing or
 * out of reach is then a 404 for both.
 */
export const neverTakes = (user: User, kind: 'care_plan' | 'care_visit' | 'care_call', action: 'act' | 'assign') => reachOf(user.role, kind, action) === 'none';
