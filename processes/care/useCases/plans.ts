/**
 * P4 care plans through the API: starting one for equipment outside projects (the plan's row, its
 * devices, then its workflow), reading plans with their past and next tasks, and the plan's own steps
 * (a maintenance contract, the end, closing a follow-up, an extra visit). Every function here is what a
 * route runs, so the console takes the same steps through them.
 */
import type { UpdateDefinition } from '@temporalio/common';
import type { Knex } from 'knex';
import { DateTime, Duration } from 'luxon';
import { CareRepository, type CarePlan, type CareVisit, type CareCall, type CareFollowUp } from '../repository';
import { CustomersRepository, type Customer } from '../../../installedBase/customers';
import { PolicyLayersRepository } from '../../../schedule/policies/repository';
import { UsersRepository, type User } from '../../../people/repository';
import { ALL_ROWS, scopeOf, TICKET_ENGINEER_ROLES, type Scope } from '../../../domain/access';
import { principalOf } from '../../../platform/http/access';
import { linkReach } from '../../../platform/http/access';
import { resolvePolicy, type PolicyOverride, type ServicePolicy } from '../../../domain/policy';
import { carePlan } from '../carePlan.workflow';
import { addContractUpdate, addExtraVisitUpdate, closeFollowUpUpdate, endPlanUpdate, type Assignee, type CarePlanInput, type CareStepResult } from '../messages';
import { ApiError, conflict, unavailable, validationFailed, type FieldProblem } from '../../../platform/http/errors';
import type { ApiDeps } from '../../../platform/http/module';
import { DomainError } from '../../../domain/errors';
import { NotFoundError } from '../../../platform/db/errors';
import { words, wordsAsText } from '../../../domain/words';
import { say } from '../../../platform/i18n/catalogue';
import type { Locale } from '../../../people/roles';
import { createAndStart, stepFailureToApi, type StartAttempt } from '../../../platform/temporal/processStarts';
import type { z } from '../../../platform/http/zod';
import type { CarePlanDetailSchema, CarePlanSchema, CreateCarePlanBody, FollowUpSchema } from './schemas';
import { callDto, contactsOf, visitDto } from './taskViews';

export type CreateCarePlanInput = z.output<typeof CreateCarePlanBody>;

// ---------------------------------------------------------------------------------------------
// Views

export async function planDto(knex: Knex, plan: CarePlan, customerName?: string): Promise<z.input<typeof CarePlanSchema>> {
  const name = customerName ?? ((await knex('customers').where({ id: plan.customerId }).first('name')) as { name: string } | undefined)?.name ?? '';
  return {
    id: plan.id,
    status: plan.status,
    customerId: plan.customerId,
    customerName: name,
    siteId: plan.siteId,
    projectId: plan.projectId,
    customerClass: plan.customerClass,
    warrantyStartsAt: plan.anchorAt.toISOString(),
    warrantyEndsAt: plan.warrantyEndsAt?.toISOString() ?? null,
    contracts: plan.contracts as z.input<typeof CarePlanSchema>['contracts'],
    endReason: plan.endReason,
    endedAt: plan.endedAt?.toISOString() ?? null,
    createdAt: plan.createdAt.toISOString(),
  };
}

/** A follow-up as the API answers it, its summary said in `locale` (a row written before words: its stored line). */
export const followUpDto = (f: CareFollowUp, locale: Locale = 'en'): z.input<typeof FollowUpSchema> => ({
  id: f.id,
  key: f.key,
  reason: f.reason,
  status: f.status,
  summary: say(locale, f.words, f.summary),
  dueAt: f.dueAt.toISOString(),
  callId: f.callId,
  visitId: f.visitId,
  ticketId: f.ticketId,
  outcome: f.outcome,
  closedAt: f.closedAt?.toISOString() ?? null,
});

/**
 * A plan with its devices, next and past tasks, follow-ups and timeline. The caller has checked it may
 * read the plan; `reader` (absent: everything) narrows the tasks to those the reader may open one by
 * one, so a dealer or a project manager reading a plan sees no call's contacts it may not open.
 * Timeline and follow-up summaries are said in `locale`, the reader's language.
 */
export async function carePlanDetail(deps: ApiDeps, planId: number, now = new Date(), reader?: User, locale: Locale = 'en'): Promise<z.input<typeof CarePlanDetailSchema>> {
  const care = new CareRepository(deps.knex);
  const plan = await care.getPlan(planId);
  if (!plan) throw new NotFoundError(words('refusal.care.noPlan', { planId }));
  const devices = (await deps.knex('devices').whereIn('id', plan.deviceIds).orderBy('id').select('id', 'serial', 'model', 'warranty_ends_at')) as { id: number; serial: string; model: string; warranty_ends_at: unknown }[];
  const principal = reader ? principalOf(reader) : undefined;
  const visits = await care.listVisits({ planId, now, limit: 500, scope: principal ? scopeOf(principal, 'care_visit', 'read') : ALL_ROWS });
  const calls = await care.listCalls({ planId, now, limit: 500, scope: principal ? scopeOf(principal, 'care_call', 'read') : ALL_ROWS });
  const contacts = await contactsOf(deps.knex, plan.customerId);
  const open = (s: { status: string }) => s.status === 'due';
  const latestFirst = <T extends { dueAt: Date }>(a: T, b: T) => b.dueAt.getTime() - a.dueAt.getTime();
  const [followUps, timeline] = await Promise.all([care.followUps(planId), care.timeline(planId)]);
  // A ticket is named only to a reader who may read it (api/tickets/links.ts), as the ticket names the plan.
  const reach = principal ? linkReach(deps.knex, principal) : null;
  const readable = new Map<number, boolean>();
  const named = (data: unknown) => (data as { ticketId?: unknown } | null)?.ticketId;
  for (const id of [...calls.map((c) => c.ticketId), ...followUps.map((f) => f.ticketId), ...timeline.map((e) => named(e.data))]) {
    if (typeof id === 'number' && !readable.has(id)) readable.set(id, reach ? await reach.ticket(id) : true);
  }
  const ticket = (id: number | null) => (id !== null && readable.get(id) ? id : null);
  const call = (c: CareCall) => ({ ...callDto(c, contacts, now), ticketId: ticket(c.ticketId) });
  return {
    ...(await planDto(deps.knex, plan)),
    devices: devices.map((d) => ({ id: Number(d.id), serial: d.serial, model: d.model, warrantyEndsAt: d.warranty_ends_at ? new Date(d.warranty_ends_at as string).toISOString() : null })),
    nextTasks: { visits: visits.filter(open).map((v) => visitDto(v, now)), calls: calls.filter(open).map(call) },
    pastTasks: { visits: visits.filter((v) => !open(v)).sort(latestFirst).map((v) => visitDto(v, now)), calls: calls.filter((c) => !open(c)).sort(latestFirst).map(call) },
    followUps: followUps.map((f) => ({ ...followUpDto(f, locale), ticketId: ticket(f.ticketId) })),
    timeline: timeline.map((e) => {
      const id = named(e.data);
      const hidden = typeof id === 'number' && !readable.get(id);
      return { kind: e.kind, at: e.at.toISOString(), summary: say(locale, hidden ? words('carePlan.ticketEventHidden') : e.words, e.summary), data: hidden ? null : e.data };
    }),
  };
}

/** Plans the scope admits, by the list's filters. */
export async function listCarePlans(deps: ApiDeps, scope: Scope, filter: { status?: 'active' | 'ended'; customerId?: number; projectId?: number; serial?: string; limit: number; offset: number }): Promise<z.input<typeof CarePlanSchema>[]> {
  const plans = await new CareRepository(deps.knex).listPlans({ scope, status: filter.status, customerId: filter.customerId, projectId: filter.projectId, deviceSerial: filter.serial, limit: filter.limit, offset: filter.offset });
  const names = new Map(((await deps.knex('customers').whereIn('id', [...new Set(plans.map((p) => p.customerId))]).select('id', 'name')) as { id: number; name: string }[]).map((c) => [Number(c.id), c.name]));
  return Promise.all(plans.map((p) => planDto(deps.knex, p, names.get(p.customerId))));
}

// ---------------------------------------------------------------------------------------------
// Starting a plan for equipment outside projects

/** The policy a plan starts with: the stored layers, template → the first device's model → the customer's class. */
export async function carePolicyFor(knex: Knex, customerClass: string, model: string | null): Promise<ServicePolicy> {
  const layers = new PolicyLayersRepository(knex);
  const [template, byModel, klass] = await Promise.all([layers.get('template', 'default'), model ? layers.get('model', model) : null, layers.get('customer_class', customerClass)]);
  return resolvePolicy({ template: template?.override as PolicyOverride | undefined, model: byModel?.override as PolicyOverride | undefined, customerClass: klass?.override as PolicyOverride | undefined });
}

/** A checked request to start a plan: what exists, what will be registered, and when the warranty runs. */
export interface PreparedPlan {
  customer: Customer;
  siteId: number | null;
  /** Registered devices, and those to register (model given). */
  existing: { id: number; serial: string; model: string }[];
  added: { serial: string; model: string }[];
  anchorAt: Date;
  warrantyEndsAt: Date | null;
  policy: ServicePolicy;
  /** Devices already on an active plan (the request's index and the plan). */
  covered: { index: number; serial: string; planId: number }[];
}

const startOfDay = (date: string, timeZone: string) => DateTime.fromISO(date, { zone: timeZone }).startOf('day');

/**
 * Checks a request to start a plan against the records, naming every bad field under `prefix`
 * (`devices.2.serial`, or a CSV row's fields), each problem said in `locale`. Writes nothing.
 */
export async function preparePlan(knex: Knex, input: CreateCarePlanInput, field: (name: string) => string = (name) => name, locale: Locale = 'en'): Promise<{ problems: FieldProblem[]; prepared?: PreparedPlan }> {
  const problems: FieldProblem[] = [];
  const told = (key: string, params: Record<string, string | number>) => say(locale, words(key, params));
  const customer = await new CustomersRepository(knex).get(input.customerId);
  if (!customer) return { problems: [{ field: field('customerId'), message: told('refusal.care.noCustomer', { customerId: input.customerId }) }] };
  if (input.siteId !== undefined) {
    const site = (await knex('sites').where({ id: input.siteId, customer_id: customer.id }).first('id')) as unknown;
    if (!site) problems.push({ field: field('siteId'), message: told('refusal.care.noSite', { siteId: input.siteId, customerId: customer.id }) });
  }
  const serials = input.devices.map((d) => d.serial);
  const rows = (await knex('devices').whereIn('serial', serials).select('id', 'serial', 'model', 'customer_id')) as { id: number; serial: string; model: string; customer_id: number }[];
  const bySerial = new Map(rows.map((r) => [r.serial, r]));
  const existing: PreparedPlan['existing'] = [];
  const added: PreparedPlan['added'] = [];
  input.devices.forEach((device, i) => {
    if (serials.indexOf(device.serial) !== i) problems.push({ field: field(`devices.${i}.serial`), message: told('refusal.care.serialTwice', { serial: device.serial }) });
    const row = bySerial.get(device.serial);
    if (row && Number(row.customer_id) !== customer.id) problems.push({ field: field(`devices.${i}.serial`), message: told('refusal.care.otherCustomer', { serial: device.serial }) });
    else if (row) existing.push({ id: Number(row.id), serial: row.serial, model: row.model });
    else if (!device.model) problems.push({ field: field(`devices.${i}.model`), message: told('refusal.care.unregistered', { serial: device.serial }) });
    else added.push({ serial: device.serial, model: device.model });
  });
  if (input.warrantyEndsOn !== undefined && input.warrantyEndsOn < input.startDate) problems.push({ field: field('warrantyEndsOn'), message: told('refusal.care.warrantyBeforeStart', {}) });
  if (problems.length > 0) return { problems };

  const policy = await carePolicyFor(knex, customer.class, input.devices[0]!.model ?? existing[0]?.model ?? null);
  const anchor = startOfDay(input.startDate, customer.timeZone);
  const length = policy.warranty.length;
  // The day after the warranty's last day, when it ends; a working-day warranty length has no calendar end here.
  const warrantyEnd = input.warrantyEndsOn !== undefined ? startOfDay(input.warrantyEndsOn, customer.timeZone).plus({ days: 1 }) : typeof length === 'string' ? anchor.plus(Duration.fromISO(length)) : null;
  const coverage = await new CareRepository(knex).activeCoverage(existing.map((d) => d.id));
  const covered = coverage.map((c) => {
    const index = input.devices.findIndex((d) => d.serial === existing.find((e) => e.id === c.deviceId)!.serial);
    return { index, serial: input.devices[index]!.serial, planId: c.planId };
  }).sort((a, b) => a.index - b.index);
  return { problems, prepared: { customer, siteId: input.siteId ?? null, existing, added, anchorAt: anchor.toJSDate(), warrantyEndsAt: warrantyEnd?.toJSDate() ?? null, policy, covered } };
}

const personOf = (user: User): Assignee => ({ userId: user.id, name: user.name, email: user.email, locale: user.locale });

/**
 * Registers the new devices and the plan in one transaction (the customer's row locked, so two
 * requests for the same devices cannot both start a plan) with its workflow's pending start, then
 * starts the workflow; a start that fails now is the reconciler's (platform/temporal/processStarts.ts).
 */
export async function startPreparedPlan(deps: ApiDeps, prepared: PreparedPlan, attempt?: StartAttempt): Promise<CarePlan> {
  if (!deps.temporal) throw unavailable('No process engine configured');
  const now = new Date();
  const { customer } = prepared;
  const engineerId = customer.engineerUserId;
  const engineer = engineerId === null ? null : await new UsersRepository(deps.knex).get(engineerId);
  return createAndStart(deps.knex, deps.temporal, async (trx) => {
    await trx('customers').where({ id: customer.id }).forUpdate().first('id');
    const coverage = await new CareRepository(trx).activeCoverage(prepared.existing.map((d) => d.id));
    if (coverage.length > 0) throw conflict(words('refusal.care.devicesCovered', { serials: coverage.map((c) => prepared.existing.find((e) => e.id === c.deviceId)!.serial).join(', '), planId: coverage[0]!.planId }), coverage);
    // Registered meanwhile by a request that held the lock first: that one started the plan.
    const taken = prepared.added.length === 0 ? [] : ((await trx('devices').whereIn('serial', prepared.added.map((d) => d.serial)).pluck('serial')) as string[]);
    if (taken.length > 0) throw conflict(words('refusal.care.devicesRegistered', { serials: taken.join(', ') }));
    const addedIds: number[] = [];
    for (const device of prepared.added) {
      const [id] = await trx('devices').insert({ customer_id: customer.id, site_id: prepared.siteId, project_id: null, model: device.model, serial: device.serial, warranty_starts_at: prepared.anchorAt, warranty_ends_at: prepared.warrantyEndsAt, status: 'active', created_at: now, updated_at: now });
      addedIds.push(Number(id ?? (await trx('devices').where({ serial: device.serial }).first('id')).id));
    }
    const plan = await new CareRepository(trx).createPlan(
      { customerId: customer.id, siteId: prepared.siteId, projectId: null, customerClass: customer.class, anchorAt: prepared.anchorAt, warrantyEndsAt: prepared.warrantyEndsAt, policy: prepared.policy, deviceIds: [...prepared.existing.map((d) => d.id), ...addedIds] },
      now,
    );
    const input: CarePlanInput = {
      planId: plan.id,
      customerId: customer.id,
      customerName: customer.name,
      siteId: plan.siteId,
      projectId: null,
      deviceIds: plan.deviceIds,
      customerClass: customer.class,
      anchorAt: plan.anchorAt.toISOString(),
      warrantyEndsAt: plan.warrantyEndsAt?.toISOString() ?? null,
      timeZone: customer.timeZone,
      policy: prepared.policy,
      engineer: engineer && engineer.active && TICKET_ENGINEER_ROLES.includes(engineer.role) ? personOf(engineer) : null,
      customerContacts: customer.contacts.map((c) => ({ name: c.name, email: c.email, locale: c.locale })),
    };
    return { record: plan, start: { workflowType: carePlan.name, workflowId: plan.workflowId, input } };
  }, attempt);
}

/** `POST /api/care-plans`: checks, then starts; a device already on an active plan is a 409 naming it. */
export async function createCarePlan(deps: ApiDeps, input: CreateCarePlanInput, locale: Locale = 'en'): Promise<CarePlan> {
  const { problems, prepared } = await preparePlan(deps.knex, input, undefined, locale);
  if (problems.length > 0 || !prepared) throw validationFailed(problems);
  if (prepared.covered.length > 0) throw conflict(words('refusal.care.devicesCovered', { serials: prepared.covered.map((c) => c.serial).join(', '), planId: prepared.covered[0]!.planId }), prepared.covered.map((c) => ({ field: `devices.${c.index}.serial`, planId: c.planId })));
  return startPreparedPlan(deps, prepared);
}

// ---------------------------------------------------------------------------------------------
// The plan's own steps, each an update of its workflow

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyUpdate = UpdateDefinition<any, [any]>;

export const actorOf = (user: User) => ({ userId: user.id, name: user.name, role: user.role });

/** Runs one update on a plan's workflow; its rejections become 409 / 400 answers. */
export async function updatePlan(deps: ApiDeps, plan: CarePlan, update: AnyUpdate, payload: Record<string, unknown>, user: User, updateId?: string): Promise<CareStepResult> {
  if (!deps.temporal) throw unavailable('No process engine configured');
  const { occurredAt, ...rest } = payload as { occurredAt?: string } & Record<string, unknown>;
  const step = { ...rest, actor: actorOf(user), occurredAt: occurredAt ? new Date(occurredAt).toISOString() : new Date().toISOString() };
  try {
    return (await deps.temporal.client.workflow.getHandle(plan.workflowId).executeUpdate(update, { args: [step], ...(updateId ? { updateId } : {}) })) as CareStepResult;
  } catch (error) {
    // A plan whose workflow has ended answers so in the reader's language, like any refusal.
    const closed = words('refusal.care.planClosed', { planId: plan.id, status: plan.status });
    const answer = await stepFailureToApi(deps.knex, error, wordsAsText(closed));
    throw answer.message === wordsAsText(closed) && !answer.words ? new ApiError(answer.status, answer.code, answer.message, answer.details, closed) : answer;
  }
}

async function requirePlan(deps: ApiDeps, planId: number): Promise<CarePlan> {
  const plan = await new CareRepository(deps.knex).getPlan(planId);
  if (!plan) throw new NotFoundError(words('refusal.care.noPlan', { planId }));
  return plan;
}

export async function endCarePlan(deps: ApiDeps, user: User, planId: number, body: { reason: string; occurredAt?: string }, updateId?: string): Promise<CareStepResult> {
  const plan = await requirePlan(deps, planId);
  if (plan.status === 'ended') throw conflict(words('refusal.care.alreadyEnded', { planId }));
  return updatePlan(deps, plan, endPlanUpdate, body, user, updateId);
}

/** A maintenance contract on the plan; its id is its start date, so the same contract twice is a 409. */
export async function addMaintenanceContract(deps: ApiDeps, user: User, planId: number, body: { startsAt: string; endsAt: string; visitsPerYear: number; occurredAt?: string }, updateId?: string): Promise<CareStepResult> {
  const plan = await requirePlan(deps, planId);
  const customer = (await deps.knex('customers').where({ id: plan.customerId }).first('time_zone')) as { time_zone: string };
  const startsAt = new Date(body.startsAt).toISOString();
  const id = `C${DateTime.fromISO(startsAt, { zone: customer.time_zone }).toFormat('yyyyLLdd')}`;
  const contract = { id, startsAt, endsAt: new Date(body.endsAt).toISOString(), visitsPerYear: body.visitsPerYear };
  return updatePlan(deps, plan, addContractUpdate, { contract, occurredAt: body.occurredAt }, user, updateId);
}

/** Closes a follow-up with its outcome (what was done about it); a closed one is a 409. */
export async function closeFollowUp(deps: ApiDeps, user: User, planId: number, followUpId: number, body: { outcome: string; occurredAt?: string }, updateId?: string): Promise<CareStepResult> {
  const plan = await requirePlan(deps, planId);
  const followUp = await new CareRepository(deps.knex).getFollowUp(planId, followUpId);
  if (!followUp) throw new NotFoundError(words('refusal.care.noFollowUp', { followUpId, planId }));
  if (followUp.status !== 'open' && updateId === undefined) throw conflict(words('refusal.care.followUpClosed', { followUpId }));
  if (plan.status === 'ended') {
    // The plan's workflow is over (its deadlines dropped with it): the close is recorded directly, once.
    const at = body.occurredAt ? new Date(body.occurredAt) : new Date();
    await deps.knex.transaction(async (trx) => {
      const care = new CareRepository(trx);
      const said = words('timeline.care.follow_up_closed', { followUp: followUp.key, outcome: body.outcome });
      if (await care.addEvent(planId, { eventKey: `follow-up:${followUp.key}:closed`, kind: 'follow_up_closed', at, actor: actorOf(user), summary: say('en', said), words: said, data: { outcome: body.outcome } })) {
        await care.closeFollowUp(planId, followUp.key, { outcome: body.outcome, closedByUserId: user.id, at });
      }
    });
    return { status: 'closed', at: at.toISOString() };
  }
  return updatePlan(deps, plan, closeFollowUpUpdate, { followUpKey: followUp.key, outcome: body.outcome, occurredAt: body.occurredAt }, user, updateId);
}

/** Looks up an engineer a visit may go to: an active engineer or senior engineer; else a 400 naming `field`. */
export async function engineerFor(deps: ApiDeps, userId: number, field: string): Promise<Assignee> {
  const user = await new UsersRepository(deps.knex).get(userId);
  if (!user || !user.active || !TICKET_ENGINEER_ROLES.includes(user.role)) throw new DomainError(words('refusal.care.notEngineer', { userId }), field);
  return personOf(user);
}

/** An extra visit (before a customer's major event); it goes to the engineer named, else the customer's one-to-one engineer. */
export async function addExtraVisit(deps: ApiDeps, user: User, planId: number, body: { dueAt: string; reason: string; engineerUserId?: number; occurredAt?: string }, updateId?: string): Promise<CareStepResult> {
  const plan = await requirePlan(deps, planId);
  // By default the customer's one-to-one engineer, as the service manager last named them.
  const oneToOne = ((await deps.knex('customers').where({ id: plan.customerId }).first('engineer_user_id')) as { engineer_user_id: number | null } | undefined)?.engineer_user_id ?? null;
  const engineerId = body.engineerUserId ?? (oneToOne === null ? undefined : Number(oneToOne));
  const engineer = engineerId !== undefined ? await engineerFor(deps, engineerId, 'engineerUserId').catch((error) => (body.engineerUserId === undefined ? undefined : Promise.reject(error))) : undefined;
  return updatePlan(deps, plan, addExtraVisitUpdate, { dueAt: new Date(body.dueAt).toISOString(), reason: body.reason, ...(engineer ? { engineer } : {}), occurredAt: body.occurredAt }, user, updateId);
}

export type { CareVisit, CareCall };
