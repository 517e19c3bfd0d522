/**
 * P3 repair tickets and complaints: intake (entitlement and the policy from the records, the clocks
 * set), the steps (each an update on the ticket's workflow), a ticket with its clocks, and work queues.
 */
import type { UpdateDefinition } from '@temporalio/common';
import type { Knex } from 'knex';
import { CustomersRepository } from '../../../installedBase/customers';
import { DevicesRepository } from '../../../installedBase/devices';
import { PolicyLayersRepository } from '../../../schedule/policies/repository';
import { TicketsRepository, type NewTicket, type Ticket } from '../repository';
import { CareRepository } from '../../care/repository';
import { DealerWarrantyRepository, type DealerTask } from '../../dealer/repository';
import { isUniqueViolation } from '../../../platform/db/errors';
import { dealerPolicy, dealerTaskStart, type NewDealerTask } from '../../dealer/api';
import type { Customer } from '../../../installedBase/customers';
import type { Device } from '../../../installedBase/devices';
import { UsersRepository, type User } from '../../../people/repository';
import { rolesReaching, TICKET_ENGINEER_ROLES } from '../../../domain/access';
import { fromJson } from '../../../platform/db/mapping';
import { resolvePolicy, type PolicyOverride, type ServicePolicy } from '../../../domain/policy';
import { clockLength, clockLengths, entitlementOf, type FaultLevel, type TicketClocksRecord } from '../rules';
import { ticketView as view } from '../useCases/view';
import { careOriginAsSeen, linkReach, returnCallsAsSeen, timelineAsSeen } from '../useCases/links';
import { principalOf } from '../../../platform/http/access';
import { createAndStart, type ProcessStart } from '../../../platform/temporal/processStarts';
import { serviceTicket } from '../serviceTicket.workflow';
import {
  acknowledgeTicketUpdate,
  arriveTicketUpdate,
  assignTicketUpdate,
  closeTicketUpdate,
  holdTicketUpdate,
  levelTicketUpdate,
  resolveTicketUpdate,
  backupUnitTicketUpdate,
  factoryRepairTicketUpdate,
  quoteAcceptedTicketUpdate,
  quoteRefusedTicketUpdate,
  quoteTicketUpdate,
  reopenTicketUpdate,
  replaceTicketUpdate,
  resumeTicketUpdate,
  surveyTicketUpdate,
  ticketWorkflowId,
  COMPLAINT_CATEGORIES,
  type Assignee,
  type ServiceTicketInput,
} from '../messages';
import type { AuditTarget } from '../../../platform/http/audit';
import { conflict, unavailable, validationFailed } from '../../../platform/http/errors';
import { COLUMN, EmailSchema, IdSchema, line, MAX_ID, MoneySchema, optionalLine, prose } from '../../../platform/http/fields';
import { updateIdFor } from '../../../platform/http/idempotency';
import { apiModule, type ApiDeps } from '../../../platform/http/module';
import { defineRoute } from '../../../platform/http/route';
import { updateFailureToApi } from '../../../platform/http/temporalErrors';
import { z } from '../../../platform/http/zod';

const CHANNELS = ['phone', 'email', 'web', 'on_site'] as const;
export const LevelSchema = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)], { error: 'must be a fault level 1, 2, 3 or 4' });

export const ContactSchema = z.strictObject({ name: line(), email: EmailSchema, phone: optionalLine(COLUMN.phone).optional(), locale: z.enum(['zh-CN', 'en']).optional() });

const CreateTicketBody = z
  .strictObject({
    kind: z.enum(['repair', 'complaint']).default('repair'),
    customerId: IdSchema,
    serial: line(COLUMN.key).optional().openapi({ description: 'The device; its warranty decides the entitlement' }),
    model: line().optional().openapi({ description: 'When the serial is unknown' }),
    symptom: prose(),
    level: LevelSchema.default(3),
    channel: z.enum(CHANNELS),
    contact: ContactSchema,
    engineerUserId: IdSchema.optional().openapi({ description: 'The engineer to dispatch at once; by default a repair goes to the customer’s one-to-one engineer, when one is set' }),
    category: z.enum(COMPLAINT_CATEGORIES).optional().openapi({ description: 'A complaint’s category: quality, not_quality or other (its responsible person is its assignee)' }),
  })
  .openapi('CreateTicket');

const TicketIdParams = z.object({ id: z.coerce.number().int().min(1).max(MAX_ID) });

const StepTime = { occurredAt: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant with a zone' }).optional() };

const ClockSchema = z.object({
  name: z.string(),
  round: z.number().openapi({ description: '0, or n for the resolve clock started anew by the n-th reopen' }),
  startedAt: z.string(),
  lengthMs: z.number(),
  dueAt: z.string().nullable(),
  elapsedMs: z.number(),
  pausedMs: z.number(),
  status: z.enum(['ok', 'warning', 'breached', 'paused', 'met', 'met_late']),
  stoppedAt: z.string().nullable(),
});

export const TicketSchema = z
  .object({
    id: z.number(),
    kind: z.enum(['repair', 'complaint']),
    status: z.string(),
    onHold: z.boolean(),
    level: z.number(),
    customerId: z.number(),
    serial: z.string().nullable(),
    model: z.string().nullable(),
    channel: z.string(),
    symptom: z.string(),
    entitlement: z.string(),
    assigneeUserId: z.number().nullable(),
    repeatOfTicketId: z.number().nullable(),
    carePlanId: z.number().nullable().openapi({ description: 'Opened from asset care: the care plan (null, like the follow-up, for a caller who may not read that plan; channel asset_care still says where it came from)' }),
    careFollowUpId: z.number().nullable().openapi({ description: 'Opened from asset care: the follow-up it answers (a return call’s low score or unsolved problem, or a visit’s finding)' }),
    dealerTaskId: z.number().nullable().openapi({ description: '三包: routed at intake to this dealer task (the ticket is closed as it opens); null for a caller who may not read that task (the timeline’s routed_to_dealer says it went to the dealer)' }),
    openedAt: z.string(),
    resolvedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    charges: z.unknown(),
    progress: z.record(z.string(), z.unknown()).openapi({ description: 'quote, backup unit, factory repair, replacement, surveys (and when one is due)' }),
    clocks: z.array(ClockSchema),
  })
  .openapi('Ticket');

const TicketDetailSchema = TicketSchema.extend({
  timeline: z.array(z.object({ kind: z.string(), at: z.string(), actor: z.string().nullable(), summary: z.string(), data: z.unknown() })),
  returnCalls: z
    .array(z.object({ callId: z.number(), carePlanId: z.number(), taskKey: z.string(), status: z.string(), dueAt: z.string() }))
    .openapi({ description: 'The return calls its close put on the device’s care plan, those the caller may read (the timeline’s return_call_scheduled says one was planned)' }),
  careOrigin: z
    .object({ carePlanId: z.number(), followUpId: z.number(), reason: z.string(), callId: z.number().nullable(), visitId: z.number().nullable(), finding: z.number().nullable() })
    .nullable()
    .openapi({ description: 'Opened from asset care: the follow-up, and the return call or the visit (and which finding) behind it; null for a caller who may not read the plan, the call or visit null for one who may not read it' }),
}).openapi('TicketDetail');

const StepResultSchema = z.object({ status: z.string(), level: z.number(), onHold: z.boolean(), at: z.string() }).openapi('TicketStepResult');

// ---------------------------------------------------------------------------------------------

async function policyFor(deps: ApiDeps, customer: { id: number; class: string }, model: string | null): Promise<{ policy: ServicePolicy; maintenance: boolean }> {
  const layers = new PolicyLayersRepository(deps.knex);
  // The customer's maintenance contract, when there is one, sets its terms on top of the current layers.
  const contract = (await deps.knex('contracts').where({ customer_id: customer.id, kind: 'maintenance' }).orderBy('id', 'desc').first('policy_overrides')) as { policy_overrides: unknown } | undefined;
  const [template, byModel, klass] = await Promise.all([layers.get('template', 'default'), model ? layers.get('model', model) : null, layers.get('customer_class', customer.class)]);
  const policy = resolvePolicy({
    template: template?.override as PolicyOverride | undefined,
    model: byModel?.override as PolicyOverride | undefined,
    customerClass: klass?.override as PolicyOverride | undefined,
    contract: contract ? fromJson<PolicyOverride>(contract.policy_overrides) : undefined,
  });
  return { policy, maintenance: contract !== undefined };
}

async function engineerOf(deps: ApiDeps, userId: number, field: string): Promise<Assignee> {
  const user = await new UsersRepository(deps.knex).get(userId);
  if (!user || !user.active || !TICKET_ENGINEER_ROLES.includes(user.role)) throw validationFailed([{ field, message: `user ${userId} is not an active engineer` }]);
  return { userId: user.id, name: user.name, email: user.email, locale: user.locale };
}

/**
 * Who takes a new ticket: the engineer named in the request; else the engineer opening it on site;
 * else, for a repair, the customer's one-to-one engineer (000: dispatched to them first); else nobody
 * yet, and the dispatcher assigns. A complaint does not go to the one-to-one engineer by itself: it
 * may be about them.
 */
async function dispatchAtIntake(deps: ApiDeps, body: TicketIntake, customerId: number, user: User): Promise<Assignee | undefined> {
  if (body.engineerUserId !== undefined) return engineerOf(deps, body.engineerUserId, 'engineerUserId');
  if (TICKET_ENGINEER_ROLES.includes(user.role)) return engineerOf(deps, user.id, 'engineerUserId');
  if (body.kind !== 'repair') return undefined;
  const oneToOne = await new CustomersRepository(deps.knex).engineerOf(customerId);
  const found = oneToOne === null ? null : await new UsersRepository(deps.knex).get(oneToOne);
  // One who is no longer an engineer leaves the ticket to the dispatcher.
  return found && found.active && TICKET_ENGINEER_ROLES.includes(found.role) ? { userId: found.id, name: found.name, email: found.email, locale: found.locale } : undefined;
}

/** Where a ticket came from, recorded with it (and on the other side) in the row's own transaction. */
export interface TicketLinks {
  /**
   * Opened from asset care: the care plan and the follow-up it answers (a return call's), or a visit's
   * finding, whose own follow-up (reason `finding`) is written with the ticket.
   */
  care?: { planId: number; customerId: number; what: string } & ({ followUpId: number } | { finding: { visitId: number; taskKey: string; index: number; summary: string } });
}

/** What intake takes: the API's body, or one asset care fills in (its own channel). */
export type TicketIntake = Omit<z.output<typeof CreateTicketBody>, 'channel'> & { channel: string };

export async function openTicket(deps: ApiDeps, body: TicketIntake, user: User, links: TicketLinks = {}): Promise<Ticket> {
  if (!deps.temporal) throw unavailable('No process engine configured');
  const customer = await new CustomersRepository(deps.knex).get(body.customerId);
  if (!customer) throw validationFailed([{ field: 'customerId', message: `no customer ${body.customerId}` }]);
  const device = body.serial ? await new DevicesRepository(deps.knex).getBySerial(body.serial) : null;
  if (body.serial && (!device || device.customerId !== customer.id)) throw validationFailed([{ field: 'serial', message: `no device ${body.serial} of customer ${customer.id}` }]);
  if (body.kind === 'repair' && !body.serial && !body.model) throw validationFailed([{ field: 'serial', message: 'name the device by its serial, or its model when the serial is unknown' }]);
  if (body.kind === 'repair' && body.category) throw validationFailed([{ field: 'category', message: 'only a complaint has a category' }]);
  await requireUnanswered(deps, links);
  // 三包: a dealer-sold device under its recognised card is the dealer's to repair (PRODUCT §P5.2).
  if (body.kind === 'repair' && device) {
    const routed = await routeToDealer(deps, body, customer, device, user, links);
    if (routed) return routed;
  }
  const engineer = await dispatchAtIntake(deps, body, customer.id, user);
  const model = device?.model ?? body.model ?? null;
  const { policy, maintenance } = await policyFor(deps, customer, model);
  const openedAt = new Date();
  const entitlement = entitlementOf({ at: openedAt, warrantyStartsAt: device?.warrantyStartsAt ?? null, warrantyEndsAt: device?.warrantyEndsAt ?? null, maintenanceContract: maintenance });
  const clocks: TicketClocksRecord = {
    startedAt: openedAt.toISOString(),
    clock: policy.sla.clock,
    calendar: policy.calendar,
    timeZone: customer.timeZone,
    warnAt: [...policy.sla.warnAt],
    holds: [],
    clocks: clockLengths(body.kind, body.level as FaultLevel, policy.sla),
  };
  const tickets = new TicketsRepository(deps.knex);
  const repeatOf = device && body.kind === 'repair' ? await tickets.lastRepairOf(device.serial, new Date(openedAt.getTime() - clockLength(policy.ticket.repeatRepairWindow, { kind: '24x7' })), openedAt) : null;
  const ticket = await recordIntake(
    deps,
    { kind: body.kind, customerId: customer.id, deviceId: device?.id ?? null, serial: device?.serial ?? null, model, channel: body.channel, symptom: body.symptom, faultLevel: body.level, entitlement, assigneeUserId: engineer?.userId ?? null, contact: body.contact, clockState: clocks, repeatOfTicketId: repeatOf?.id ?? null, openedAt, ...(body.kind === 'complaint' ? { progress: { complaint: body.category ? { category: body.category } : {} } } : {}) },
    links,
    // The ticket's process, started once the ticket stands (platform/temporal/processStarts.ts).
    async (ticket, trx) => {
      const input: ServiceTicketInput = {
        ticketId: ticket.id,
        kind: body.kind,
        ...(body.kind === 'complaint' ? { complaint: body.category ? { category: body.category } : {} } : {}),
        customer: { id: customer.id, name: customer.name, timeZone: customer.timeZone, contacts: [{ name: body.contact.name, email: body.contact.email, locale: body.contact.locale ?? customer.locale }] },
        ...(device ? { device: { serial: device.serial, model: device.model } } : {}),
        symptom: body.symptom,
        level: body.level as FaultLevel,
        entitlement,
        ...(engineer ? { engineer } : {}),
        clocks,
        policy,
        openedAt: openedAt.toISOString(),
      };
      const workflowId = ticketWorkflowId(ticket.id);
      await new TicketsRepository(trx).setWorkflowId(ticket.id, workflowId);
      return { workflowType: serviceTicket.name, workflowId, input };
    },
  );
  return (await tickets.get(ticket.id))!;
}

/**
 * The ticket's row and, for a ticket from asset care, both sides of the link, in one transaction: the
 * ticket names the plan and follow-up, the follow-up names the ticket, both timelines say so. A
 * follow-up another ticket already answers is a 409 naming it, and nothing is written.
 */
/** A follow-up (or finding) a ticket already answers is a 409 naming it, before anything starts. */
async function requireUnanswered(deps: ApiDeps, links: TicketLinks): Promise<void> {
  const care = links.care;
  if (!care) return;
  const query = deps.knex('care_follow_ups').where({ plan_id: care.planId }).whereNotNull('ticket_id');
  const taken = (await ('followUpId' in care ? query.where({ id: care.followUpId }) : query.where({ visit_id: care.finding.visitId, finding: care.finding.index })).first('ticket_id')) as { ticket_id: number } | undefined;
  if (taken) throw conflict(`${care.what} is already answered by ticket ${taken.ticket_id}`, [{ field: 'followUpId' in care ? 'followUpId' : 'finding', message: `answered by ticket ${taken.ticket_id}` }]);
}

type IntakeEvent = Parameters<TicketsRepository['addEvent']>[1];

/**
 * What a 三包 intake writes in the ticket's own transaction: the dealer task, and what the ticket says
 * of it. A refused intake (the follow-up answered meanwhile, 409) or a failed one rolls it back with
 * the ticket: no dealer task stands without its ticket.
 */
type IntakeRouting = (trx: Knex.Transaction) => Promise<{ row: Partial<NewTicket>; events: IntakeEvent[] }>;

/** The process an intake starts (the ticket's, or a routed one's dealer task), its start written with the ticket. */
type IntakeProcess = (ticket: Ticket, trx: Knex.Transaction) => Promise<ProcessStart>;

async function recordIntake(deps: ApiDeps, row: NewTicket, links: TicketLinks, process: IntakeProcess, route?: IntakeRouting): Promise<Ticket> {
  const care = links.care;
  let followUpId: number | undefined;
  try {
    return await createAndStart(deps.knex, deps.temporal!, async (trx) => {
      const plans = new CareRepository(trx);
      if (care) {
        followUpId =
          'followUpId' in care
            ? care.followUpId
            : (await plans.findingFollowUp({ id: care.planId, customerId: care.customerId }, { id: care.finding.visitId, taskKey: care.finding.taskKey }, care.finding.index, care.finding.summary, row.openedAt, row.openedAt)).id;
      }
      const routed = route ? await route(trx) : { row: {}, events: [] };
      const ticket = await new TicketsRepository(trx).create({ ...row, ...routed.row, ...(care ? { carePlanId: care.planId, careFollowUpId: followUpId! } : {}) }, row.openedAt);
      for (const event of routed.events) await new TicketsRepository(trx).addEvent(ticket.id, event);
      if (care) {
        if (!(await plans.linkTicket(followUpId!, ticket.id))) throw new FollowUpTaken();
        const noun = ticket.kind === 'complaint' ? 'complaint' : 'ticket';
        await new TicketsRepository(trx).addEvent(ticket.id, { eventKey: 'origin:care', kind: 'opened_from_care', at: row.openedAt, summary: `opened from care plan ${care.planId}: ${care.what}`, data: { carePlanId: care.planId, followUpId } });
        await plans.addEvent(care.planId, { eventKey: `ticket:${ticket.id}`, kind: 'ticket_opened', at: row.openedAt, summary: `${noun} ${ticket.id} opened for ${care.what}`, data: { ticketId: ticket.id, kind: ticket.kind, followUpId } });
      }
      return { record: ticket, start: await process(ticket, trx) };
    });
  } catch (error) {
    if (care && (error instanceof FollowUpTaken || isUniqueViolation(error))) {
      const taken = followUpId === undefined ? null : await new CareRepository(deps.knex).getFollowUp(care.planId, followUpId);
      const answered = `already answered by ticket ${taken?.ticketId ?? '?'}`;
      throw conflict(`${care.what} is ${answered}`, [{ field: 'followUpId' in care ? 'followUpId' : 'finding', message: answered }]);
    }
    throw error;
  }
}

class FollowUpTaken extends Error {}

/**
 * A repair on a dealer-sold device whose card is recognised and whose warranty still runs goes to the
 * dealer as a 三包 task (the dealerTask process chases it); the ticket records that and is closed as it
 * opens: no company clocks run for it. Null when the device is not such a device.
 *
 * The task and its process's pending start are written in the ticket's transaction, so an intake
 * refused (a concurrent one answered the same follow-up first: 409) or failed leaves no task; the
 * process starts once both stand (a start that fails now is the reconciler's).
 */
async function routeToDealer(deps: ApiDeps, body: TicketIntake, customer: Customer, device: Device, user: User, links: TicketLinks): Promise<Ticket | null> {
  const terms = await dealerPolicy(deps);
  const openedAt = new Date();
  const today = openedAt.toLocaleDateString('sv-SE', { timeZone: terms.dealer.settlementTimeZone });
  const sale = await new DealerWarrantyRepository(deps.knex).saleInWarranty(device.serial, today);
  if (!sale) return null;
  const request: NewDealerTask = { dealerId: sale.dealerId, deviceSerial: device.serial, customerName: customer.name, ...(body.contact.phone ? { customerPhone: body.contact.phone } : {}), customerEmail: body.contact.email, customerLocale: body.contact.locale ?? customer.locale, request: body.symptom.slice(0, 2000) };
  const { policy } = await policyFor(deps, customer, device.model);
  const clocks: TicketClocksRecord = { startedAt: openedAt.toISOString(), clock: policy.sla.clock, calendar: policy.calendar, timeZone: customer.timeZone, warnAt: [...policy.sla.warnAt], holds: [], clocks: [] };
  let task: DealerTask | undefined;
  const ticket = await recordIntake(
    deps,
    { kind: 'repair', customerId: customer.id, deviceId: device.id, serial: device.serial, model: device.model, channel: body.channel, symptom: body.symptom, faultLevel: body.level, entitlement: 'warranty', assigneeUserId: null, contact: body.contact, clockState: clocks, repeatOfTicketId: null, openedAt, closed: true },
    links,
    async () => dealerTaskStart(task!, request, terms, openedAt),
    async (trx) => {
      task = await new DealerWarrantyRepository(trx).createTask(request, terms.dealer, user.id, openedAt);
      const routed: IntakeEvent = {
        eventKey: 'routed:dealer',
        kind: 'routed_to_dealer',
        at: openedAt,
        actor: { userId: user.id, name: user.name, role: user.role },
        summary: `三包: sold by dealer ${sale.dealerId} (sale ${sale.id}, warranty until ${sale.warrantyEndsOn}); dealer task ${task.id} takes the repair`,
        data: { dealerId: sale.dealerId, saleId: sale.id, dealerTaskId: task.id },
      };
      return { row: { dealerTaskId: task.id }, events: [routed] };
    },
  );
  return ticket;
}

// ---------------------------------------------------------------------------------------------

const create = defineRoute(
  {
    method: 'post',
    path: '/tickets',
    roles: rolesReaching('ticket', 'act'),
    access: { rule: 'collection', resource: 'ticket', action: 'act' },
    summary: 'Open a repair ticket or a complaint: entitlement from the records, clocks from the policy',
    tags: ['tickets'],
    body: CreateTicketBody,
    responses: { 201: { description: 'Opened; its clocks run', body: TicketSchema } },
    errors: { 503: 'No process engine configured; nothing was recorded' },
  },
  async ({ body, deps, res, user }) => {
    const ticket = await openTicket(deps, body, user);
    res.locals.audit = { entityType: 'ticket', entityId: ticket.id } satisfies AuditTarget;
    return { status: 201, body: await view(deps.knex, ticket, new Date(), linkReach(deps.knex, principalOf(user))) };
  },
);

const QUEUES = ['mine', 'unassigned', 'breaching_soon', 'breached', 'open', 'all'] as const;
const ListQuery = z.object({
  queue: z.enum(QUEUES).default('open').openapi({ description: 'mine: assigned to me; unassigned; breaching_soon: a clock past its first warning; breached; open: not closed; all' }),
  kind: z.enum(['repair', 'complaint']).optional(),
  customerId: z.coerce.number().int().min(1).max(MAX_ID).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
  offset: z.coerce.number().int().min(0).default(0),
});

const OPEN_STATUSES = ['open', 'assigned', 'acknowledged', 'on_site', 'resolved'] as const;

const list = defineRoute(
  {
    method: 'get',
    path: '/tickets',
    roles: 'authenticated',
    access: { rule: 'collection', resource: 'ticket', action: 'read' },
    summary: 'Work queues of tickets the caller may read, each with its clocks',
    tags: ['tickets'],
    query: ListQuery,
    responses: { 200: { description: 'Tickets, oldest first', body: z.object({ tickets: z.array(TicketSchema) }) } },
  },
  async ({ query, deps, scope, user }) => {
    const now = new Date();
    const tickets = await new TicketsRepository(deps.knex).list({
      scope,
      status: query.queue === 'all' ? undefined : [...OPEN_STATUSES],
      ...(query.queue === 'mine' ? { assigneeUserId: user.id } : query.queue === 'unassigned' ? { assigneeUserId: null } : {}),
      kind: query.kind,
      customerId: query.customerId,
      limit: query.queue === 'breaching_soon' || query.queue === 'breached' ? 5000 : query.limit,
      offset: query.queue === 'breaching_soon' || query.queue === 'breached' ? 0 : query.offset,
    });
    const reach = linkReach(deps.knex, principalOf(user));
    let views = await Promise.all(tickets.map((t) => view(deps.knex, t, now, reach)));
    if (query.queue === 'breached') views = views.filter((v) => v.clocks.some((c) => c.status === 'breached'));
    if (query.queue === 'breaching_soon') views = views.filter((v) => v.clocks.some((c) => c.status === 'warning') && !v.clocks.some((c) => c.status === 'breached'));
    if (query.queue === 'breaching_soon' || query.queue === 'breached') views = views.slice(query.offset, query.offset + query.limit);
    return { status: 200, body: { tickets: views } };
  },
);

const read = defineRoute(
  {
    method: 'get',
    path: '/tickets/:id',
    roles: 'authenticated',
    access: { rule: 'record', resource: 'ticket', action: 'read' },
    summary: 'A ticket: state, each clock (due, elapsed, paused, status), charges and timeline',
    tags: ['tickets'],
    params: TicketIdParams,
    responses: { 200: { description: 'The ticket', body: TicketDetailSchema } },
  },
  async ({ params, deps, user }) => {
    const tickets = new TicketsRepository(deps.knex);
    const ticket = (await tickets.get(params.id))!;
    // Its links name only what this caller may open (./links.ts).
    const reach = linkReach(deps.knex, principalOf(user));
    const timeline = (await timelineAsSeen(await tickets.timeline(ticket.id), reach)).map((e) => ({ kind: e.kind, at: e.at.toISOString(), actor: e.actor?.name ?? null, summary: e.summary, data: e.data }));
    const returnCalls = (await returnCallsAsSeen(deps.knex, ticket.id, reach)).shown.map(({ planReachable: _, ...call }) => call);
    return { status: 200, body: { ...(await view(deps.knex, ticket, new Date(), reach)), timeline, returnCalls, careOrigin: (await careOriginAsSeen(deps.knex, ticket, reach)).origin } };
  },
);

// ---------------------------------------------------------------------------------------------
// Steps

// Each update is typed by its own payload; the route only forwards it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyUpdate = UpdateDefinition<any, [any]>;

const STEP_ERRORS = { 409: 'Not possible in the ticket’s current state, or already done (replace: the new serial is already registered)', 503: 'The step could not be recorded; nothing changed, try again' };

const PartSchema = z.strictObject({ partNumber: line(64), quantity: z.number().int().min(1).max(10_000), unitCost: MoneySchema });

const STEPS: { path: string; summary: string; body: z.ZodObject; update: AnyUpdate; action?: 'assign'; prepare?: (body: Record<string, unknown>, deps: ApiDeps) => Promise<Record<string, unknown>> }[] = [
  {
    path: 'assign',
    summary: 'Dispatch (or reassign) the ticket to an engineer; the clocks keep running',
    body: z.strictObject({ engineerUserId: IdSchema, ...StepTime }),
    update: assignTicketUpdate,
    action: 'assign',
    prepare: async ({ engineerUserId, ...rest }, deps) => ({ ...rest, engineer: await engineerOf(deps, engineerUserId as number, 'engineerUserId') }),
  },
  { path: 'acknowledge', summary: 'The engineer responds (a complaint: it is answered); stops the respond or reply clock', body: z.strictObject({ ...StepTime }), update: acknowledgeTicketUpdate },
  { path: 'arrive', summary: 'The engineer is on site; stops the on-site clock', body: z.strictObject({ ...StepTime }), update: arriveTicketUpdate },
  { path: 'hold', summary: 'Waiting for the customer or for parts: every running clock pauses', body: z.strictObject({ reason: z.enum(['customer', 'parts', 'other']), note: optionalLine(500).optional(), ...StepTime }), update: holdTicketUpdate },
  { path: 'resume', summary: 'Work goes on: the clocks run again, the hold time excluded', body: z.strictObject({ ...StepTime }), update: resumeTicketUpdate },
  { path: 'level', summary: 'Change the fault level: running clocks re-targeted from intake minus holds', body: z.strictObject({ level: LevelSchema, reason: prose(500), ...StepTime }), update: levelTicketUpdate },
  {
    path: 'resolve',
    summary: 'The repair record: diagnosis, work, parts, labour, travel; charges by entitlement',
    body: z.strictObject({
      diagnosis: prose(),
      workDone: prose(),
      qualityFault: z.boolean(),
      parts: z.array(PartSchema).max(100).default([]),
      labourMinutes: z.number().int().min(0).max(60_000).openapi({ description: 'Labour time in whole minutes' }),
      labourRate: MoneySchema,
      travel: MoneySchema,
      customerSignature: optionalLine().optional(),
      ...StepTime,
    }),
    update: resolveTicketUpdate,
  },
  {
    path: 'close',
    summary: 'Close a resolved ticket (its survey is then due), or a complaint the customer confirmed, with its root cause and resolution',
    body: z.strictObject({
      rootCause: prose().optional().openapi({ description: 'A complaint: required' }),
      resolution: prose().optional().openapi({ description: 'A complaint: required' }),
      category: z.enum(COMPLAINT_CATEGORIES).optional().openapi({ description: 'A complaint: corrects its category' }),
      ...StepTime,
    }),
    update: closeTicketUpdate,
  },
  {
    path: 'survey',
    summary: 'The customer’s satisfaction (return call or link): a low score or “not satisfied” reopens the ticket',
    body: z.strictObject({ score: z.number().int().min(1).max(5), comment: optionalLine(500).optional(), notSatisfied: z.boolean().optional(), ...StepTime }),
    update: surveyTicketUpdate,
  },
  {
    path: 'quote',
    summary: 'Out of scope: quote the repair (parts, labour, travel); work starts once the customer accepts',
    body: z.strictObject({ parts: z.array(PartSchema).max(100).default([]), labourMinutes: z.number().int().min(0).max(60_000), labourRate: MoneySchema, travel: MoneySchema, note: optionalLine(500).optional(), ...StepTime }),
    update: quoteTicketUpdate,
  },
  { path: 'quote-accepted', summary: 'The customer accepted the quote: work may start', body: z.strictObject({ ...StepTime }), update: quoteAcceptedTicketUpdate },
  { path: 'quote-refused', summary: 'The customer refused the quote: closed with advice only', body: z.strictObject({ ...StepTime }), update: quoteRefusedTicketUpdate },
  { path: 'backup-unit', summary: 'The backup unit due after a breached resolve clock is on site', body: z.strictObject({ serial: line(COLUMN.key), ...StepTime }), update: backupUnitTicketUpdate },
  { path: 'factory-repair', summary: 'The device went to factory repair (due back within sla.factoryRepairWithin), or came back repaired', body: z.strictObject({ action: z.enum(['sent', 'returned']), ...StepTime }), update: factoryRepairTicketUpdate },
  {
    path: 'replace',
    summary: 'Unrepairable: a free replacement, registered with its own warranty',
    body: z.strictObject({ serial: line(COLUMN.key), ...StepTime }),
    update: replaceTicketUpdate,
    prepare: async (body, deps) => {
      if (await new DevicesRepository(deps.knex).getBySerial(String(body.serial))) throw conflict(`a device with serial ${String(body.serial)} is already registered`);
      return body;
    },
  },
  { path: 'reopen', summary: 'Reopen a resolved or closed ticket whose survey is still awaited', body: z.strictObject({ reason: prose(500), ...StepTime }), update: reopenTicketUpdate },
];

const stepRoutes = STEPS.map((step) =>
  defineRoute(
    {
      method: 'post',
      path: `/tickets/:id/${step.path}`,
      roles: rolesReaching('ticket', step.action ?? 'act'),
      access: { rule: 'record', resource: 'ticket', action: step.action ?? 'act' },
      summary: step.summary,
      tags: ['tickets'],
      params: TicketIdParams,
      body: step.body,
      idempotent: true,
      responses: { 200: { description: 'The ticket after the step', body: StepResultSchema } },
      errors: STEP_ERRORS,
    },
    async ({ params, body, user, deps, res, idempotencyKey }) => {
      res.locals.audit = { entityType: 'ticket', entityId: params.id } satisfies AuditTarget;
      return { status: 200, body: await takeStep(deps, step, params.id, body as Record<string, unknown>, user, updateIdFor(user, idempotencyKey)) };
    },
  ),
);

async function takeStep(deps: ApiDeps, step: (typeof STEPS)[number], ticketId: number, body: Record<string, unknown>, user: User, updateId?: string): Promise<z.input<typeof StepResultSchema>> {
  const receivedAt = new Date();
  if (!deps.temporal) throw unavailable('No process engine configured');
  const ticket = (await new TicketsRepository(deps.knex).get(ticketId))!;
  // No role that acts on tickets reads dealer tasks: the refusal does not name the task.
  if (ticket.dealerTaskId !== null) throw conflict(`ticket ${ticket.id} went to the dealer (三包): its dealer task takes the steps`);
  if (step.path === 'close') requireCloseRecord(ticket, body);
  const { occurredAt, ...rest } = body as { occurredAt?: string } & Record<string, unknown>;
  const prepared = step.prepare ? await step.prepare(rest, deps) : rest;
  const payload = { ...prepared, actor: { userId: user.id, name: user.name, role: user.role }, occurredAt: occurredAt ? new Date(occurredAt).toISOString() : receivedAt.toISOString() };
  try {
    return (await deps.temporal.client.workflow.getHandle(ticket.workflowId ?? ticketWorkflowId(ticket.id)).executeUpdate(step.update, { args: [payload], ...(updateId ? { updateId } : {}) })) as z.input<typeof StepResultSchema>;
  } catch (error) {
    throw updateFailureToApi(error, `ticket ${ticket.id} is ${ticket.status}`);
  }
}

/** A complaint closes with its root cause and resolution (P3c); a repair's close takes neither. */
function requireCloseRecord(ticket: Ticket, body: Record<string, unknown>): void {
  const fields = ['rootCause', 'resolution', 'category'] as const;
  const problems =
    ticket.kind === 'complaint'
      ? fields.filter((f) => f !== 'category' && body[f] === undefined).map((field) => ({ field, message: `a complaint is closed with its ${field === 'rootCause' ? 'root cause' : 'resolution'}` }))
      : fields.filter((f) => body[f] !== undefined).map((field) => ({ field, message: 'only a complaint records this at close' }));
  if (problems.length > 0) throw validationFailed(problems);
}

/** The ticket steps by their path (`assign`, `acknowledge`, …), as the API takes them. */
export const TICKET_STEPS = STEPS.map((step) => ({ path: step.path, action: step.action ?? ('act' as const) }));

/**
 * One ticket step for the console: the body checked by the API's own schema (a 400 names each field
 * as the API would), then taken as `POST /api/tickets/:id/<step>` takes it. The caller has checked
 * that the user may act on the ticket.
 */
export async function runTicketStep(deps: ApiDeps, user: User, ticketId: number, path: string, body: Record<string, unknown>): Promise<z.input<typeof StepResultSchema>> {
  const step = STEPS.find((s) => s.path === path);
  if (!step) throw validationFailed([{ field: 'step', message: `no ticket step ${path}` }]);
  const parsed = step.body.safeParse(body);
  if (!parsed.success) throw validationFailed(parsed.error.issues.map((issue) => ({ field: issue.path.map(String).join('.') || 'body', message: issue.message })));
  return takeStep(deps, step, ticketId, parsed.data as Record<string, unknown>, user);
}

export const ticketsModule = apiModule(create, list, read, ...stepRoutes);

