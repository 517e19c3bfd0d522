/**
 * Opening a repair ticket or a complaint (P3 intake): entitlement and the policy from the records, the
 * clocks set, the row (and its links) written with the ticket's process start, the process started
 * after the commit (platform/temporal/processStarts.ts). The create route and
 * asset care's routes (../api/fromCare.ts) both open tickets through openTicket.
 *
 * What a ticket needs of asset care and of the dealer it asks through their ports (TicketPartners in
 * ../messages.ts), implemented by care and the dealer and handed in by the registries (api/index.ts):
 * the ports' writes take the ticket's transaction, so the ticket, the care follow-up, the care plan's
 * timeline entry and a 三包 dealer task are written together or not at all.
 */
import type { Knex } from 'knex';
import type { z } from 'zod';
import { CustomersRepository, type Customer } from '../../../installedBase/customers';
import { DevicesRepository, type Device } from '../../../installedBase/devices';
import { PolicyLayersRepository } from '../../../schedule/policies/repository';
import { TicketsRepository, type NewTicket, type Ticket } from '../repository';
import { isUniqueViolation } from '../../../platform/db/errors';
import { UsersRepository, type User } from '../../../people/repository';
import { TICKET_ENGINEER_ROLES } from '../../../domain/access';
import { fromJson } from '../../../platform/db/mapping';
import { resolvePolicy, type PolicyOverride, type ServicePolicy } from '../../../domain/policy';
import { clockLength, clockLengths, entitlementOf, type FaultLevel, type TicketClocksRecord } from '../rules';
import { serviceTicket } from '../serviceTicket.workflow';
import { ticketWorkflowId, type Assignee, type DealerRepairRequest, type ServiceTicketInput, type TicketCareOrigin, type TicketPartners } from '../messages';
import { ApiError, unavailable } from '../../../platform/http/errors';
import { words, type Words } from '../../../domain/words';
import { say } from '../../../platform/i18n/catalogue';
import type { ApiDeps } from '../../../platform/http/module';
import { createAndStart, type ProcessStart } from '../../../platform/temporal/processStarts';
import type { CreateTicketBody } from './schemas';

/** Asset care and the dealer as a ticket's intake needs them, on the database (knex or the ticket's transaction). */
export type Partners = TicketPartners<Knex>;

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

/**
 * A 400 (or 409) naming one field, as words: said in the reader's language, its English the message
 * (for logs and English readers) and the field's problem alike.
 */
export function refusedField(field: string, said: Words, status: 400 | 409 = 400): ApiError {
  const text = say('en', said);
  return new ApiError(status, status === 400 ? 'validation_failed' : 'conflict', text, [{ field, message: text }], said);
}

export async function engineerOf(deps: ApiDeps, userId: number, field: string): Promise<Assignee> {
  const user = await new UsersRepository(deps.knex).get(userId);
  if (!user || !user.active || !TICKET_ENGINEER_ROLES.includes(user.role)) throw refusedField(field, words('refusal.ticket.notAnEngineer', { user: userId }));
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
  care?: TicketCareOrigin;
}

/** What intake takes: the API's body, or one asset care fills in (its own channel). */
export type TicketIntake = Omit<z.output<typeof CreateTicketBody>, 'channel'> & { channel: string };

export async function openTicket(deps: ApiDeps, partners: Partners, body: TicketIntake, user: User, links: TicketLinks = {}, openedAt = new Date()): Promise<Ticket> {
  if (!deps.temporal) throw unavailable('No process engine configured');
  const customer = await new CustomersRepository(deps.knex).get(body.customerId);
  if (!customer) throw refusedField('customerId', words('refusal.ticket.noCustomer', { customer: body.customerId }));
  const device = body.serial ? await new DevicesRepository(deps.knex).getBySerial(body.serial) : null;
  if (body.serial && (!device || device.customerId !== customer.id)) throw refusedField('serial', words('refusal.ticket.noDevice', { serial: body.serial, customer: customer.id }));
  if (body.kind === 'repair' && !body.serial && !body.model) throw refusedField('serial', words('refusal.ticket.nameDevice'));
  if (body.kind === 'repair' && body.category) throw refusedField('category', words('refusal.ticket.categoryOfComplaint'));
  await requireUnanswered(deps, partners, links);
  // 三包: a dealer-sold device under its recognised card is the dealer's to repair (PRODUCT §P5.2).
  if (body.kind === 'repair' && device) {
    const routed = await routeToDealer(deps, partners, body, customer, device, user, links, openedAt);
    if (routed) return routed;
  }
  const engineer = await dispatchAtIntake(deps, body, customer.id, user);
  const model = device?.model ?? body.model ?? null;
  const { policy, maintenance } = await policyFor(deps, customer, model);
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
    partners,
    { kind: body.kind, customerId: customer.id, deviceId: device?.id ?? null, serial: device?.serial ?? null, model, channel: body.channel, symptom: body.symptom, faultLevel: body.level, entitlement, assigneeUserId: engineer?.userId ?? null, contact: body.contact, clockState: clocks, repeatOfTicketId: repeatOf?.id ?? null, openedAt, ...(body.kind === 'complaint' ? { progress: { complaint: body.category ? { category: body.category } : {} } } : {}) },
    links,
    // The ticket's process, started once the ticket stands.
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
async function requireUnanswered(deps: ApiDeps, partners: Partners, links: TicketLinks): Promise<void> {
  const care = links.care;
  if (!care) return;
  const taken = await partners.care.answeringTicket(deps.knex, care);
  if (taken !== null) throw careAnswered(care, taken);
}

type CareLink = TicketCareOrigin;

/** The follow-up or finding is already answered by another ticket: a 409 naming it, in the reader's language. */
function careAnswered(care: CareLink, ticketId: number | null) {
  const said = 'followUpId' in care ? words('refusal.ticket.followUpAnswered', { followUp: care.followUpId, ticket: ticketId }) : words('refusal.ticket.findingAnswered', { n: care.finding.index, visit: care.finding.taskKey, ticket: ticketId });
  return refusedField('followUpId' in care ? 'followUpId' : 'finding', said, 409);
}

/** What the ticket's timeline says of where it came from. */
function careOrigin(care: CareLink): Words {
  return 'followUpId' in care ? words('timeline.ticket.fromCareFollowUp', { plan: care.planId, followUp: care.followUpId, reason: care.reason }) : words('timeline.ticket.fromCareFinding', { plan: care.planId, n: care.finding.index, visit: care.finding.taskKey });
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

async function recordIntake(deps: ApiDeps, partners: Partners, row: NewTicket, links: TicketLinks, process: IntakeProcess, route?: IntakeRouting): Promise<Ticket> {
  const care = links.care;
  let followUpId: number | undefined;
  try {
    return await createAndStart(deps.knex, deps.temporal!, async (trx) => {
      if (care) followUpId = await partners.care.followUpFor(trx, care, row.openedAt);
      const routed = route ? await route(trx) : { row: {}, events: [] };
      const ticket = await new TicketsRepository(trx).create({ ...row, ...routed.row, ...(care ? { carePlanId: care.planId, careFollowUpId: followUpId! } : {}) }, row.openedAt);
      for (const event of routed.events) await new TicketsRepository(trx).addEvent(ticket.id, event);
      if (care) {
        if (!(await partners.care.linkTicket(trx, followUpId!, ticket.id))) throw new FollowUpTaken();
        await new TicketsRepository(trx).addEvent(ticket.id, { eventKey: 'origin:care', kind: 'opened_from_care', at: row.openedAt, summary: say('en', careOrigin(care)), words: careOrigin(care), data: { carePlanId: care.planId, followUpId } });
        await partners.care.ticketOpened(trx, care, { id: ticket.id, kind: ticket.kind, followUpId: followUpId! }, row.openedAt);
      }
      return { record: ticket, start: await process(ticket, trx) };
    });
  } catch (error) {
    if (care && (error instanceof FollowUpTaken || isUniqueViolation(error))) {
      const taken = followUpId === undefined ? null : await partners.care.followUp(deps.knex, care.planId, followUpId);
      throw careAnswered(care, taken?.ticketId ?? null);
    }
    throw error;
  }
}

class FollowUpTaken extends Error {}

/** An event's words, and its English sentence for exports. */
const said = (what: Words) => ({ summary: say('en', what), words: what });

/**
 * A repair on a dealer-sold device whose card is recognised and whose warranty still runs goes to the
 * dealer as a 三包 task (the dealerTask process chases it); the ticket records that and is closed as it
 * opens: no company clocks run for it. Null when the device is not such a device.
 *
 * The task and its process's pending start are written in the ticket's transaction, so an intake
 * refused (a concurrent one answered the same follow-up first: 409) or failed leaves no task; the
 * process starts once both stand (a start that fails now is the reconciler's).
 */
async function routeToDealer(deps: ApiDeps, partners: Partners, body: TicketIntake, customer: Customer, device: Device, user: User, links: TicketLinks, openedAt: Date): Promise<Ticket | null> {
  const sale = await partners.dealer.warrantyRoute(deps.knex, device.serial, openedAt);
  if (!sale) return null;
  const request: DealerRepairRequest = { deviceSerial: device.serial, customerName: customer.name, ...(body.contact.phone ? { customerPhone: body.contact.phone } : {}), customerEmail: body.contact.email, customerLocale: body.contact.locale ?? customer.locale, request: body.symptom.slice(0, 2000) };
  const { policy } = await policyFor(deps, customer, device.model);
  const clocks: TicketClocksRecord = { startedAt: openedAt.toISOString(), clock: policy.sla.clock, calendar: policy.calendar, timeZone: customer.timeZone, warnAt: [...policy.sla.warnAt], holds: [], clocks: [] };
  let task: { taskId: number; start: ProcessStart } | undefined;
  const ticket = await recordIntake(
    deps,
    partners,
    { kind: 'repair', customerId: customer.id, deviceId: device.id, serial: device.serial, model: device.model, channel: body.channel, symptom: body.symptom, faultLevel: body.level, entitlement: 'warranty', assigneeUserId: null, contact: body.contact, clockState: clocks, repeatOfTicketId: null, openedAt, closed: true },
    links,
    async () => task!.start,
    async (trx) => {
      task = await sale.openTask(trx, request, user.id, openedAt);
      const routed: IntakeEvent = {
        eventKey: 'routed:dealer',
        kind: 'routed_to_dealer',
        at: openedAt,
        actor: { userId: user.id, name: user.name, role: user.role },
        ...said(words('timeline.ticket.routedToDealer', { dealer: sale.dealerId, sale: sale.saleId, until: sale.warrantyEndsOn, task: task.taskId })),
        data: { dealerId: sale.dealerId, saleId: sale.saleId, dealerTaskId: task.taskId },
      };
      return { row: { dealerTaskId: task.taskId }, events: [routed] };
    },
  );
  return ticket;
}
