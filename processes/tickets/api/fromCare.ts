/**
 * Asset care → tickets (P3 "from asset care", P4 "an issue found opens a P3 ticket; a low score opens
 * a complaint"): a service manager or dispatcher opens a repair ticket or a complaint from a care
 * follow-up (a return call's low score or unsolved problem), or a repair ticket from one finding of a
 * visit. The ticket names the care plan and the follow-up; the follow-up names the ticket (a visit's
 * finding gets a follow-up of reason `finding` for it). One ticket per follow-up: a second request is
 * a 409 naming the first ticket.
 *
 * Care's records are read through care's port (TicketCare in ../messages.ts), handed in by the
 * registry (api/index.ts: `careTicketsApi(ticketPartners)`).
 */
import { CustomersRepository } from '../../../installedBase/customers';
import type { User } from '../../../people/repository';
import { rolesReaching } from '../../../domain/access';
import { principalOf, requireRecord } from '../../../platform/http/access';
import type { AuditTarget } from '../../../platform/http/audit';
import { NotFoundError } from '../../../platform/db/errors';
import { words } from '../../../domain/words';
import { COLUMN, IdSchema, line, MAX_ID, prose } from '../../../platform/http/fields';
import { oncePerKey } from '../../../platform/http/idempotency';
import { apiModule, type ApiDeps } from '../../../platform/http/module';
import { defineRoute } from '../../../platform/http/route';
import { z } from '../../../platform/http/zod';
import { COMPLAINT_CATEGORIES } from '../messages';
import { openTicket, refusedField, type Partners, type TicketLinks } from '../useCases/intake';
import { ContactSchema, LevelSchema, TicketSchema } from '../useCases/schemas';
import { ticketView } from '../useCases/view';
import { linkReach } from '../../../platform/http/access';

/** The channel a ticket from asset care is recorded under. */
export const CARE_CHANNEL = 'asset_care';

const Id = z.coerce.number().int().min(1).max(MAX_ID);

const Intake = {
  serial: line(COLUMN.key).optional().openapi({ description: 'The device; by default the plan’s device when it covers exactly one' }),
  model: line().optional().openapi({ description: 'When the serial is unknown' }),
  level: LevelSchema.default(3),
  contact: ContactSchema.optional().openapi({ description: 'By default the customer’s first contact with a working number' }),
  engineerUserId: IdSchema.optional(),
};

const FollowUpTicketBody = z
  .strictObject({
    kind: z.enum(['repair', 'complaint']).openapi({ description: 'complaint for a low score; repair (or complaint) for a problem not solved on the call' }),
    symptom: prose().optional().openapi({ description: 'By default the follow-up’s summary' }),
    category: z.enum(COMPLAINT_CATEGORIES).optional().openapi({ description: 'A complaint’s category' }),
    ...Intake,
  })
  .openapi('FollowUpTicket');

const FindingTicketBody = z
  .strictObject({
    finding: z.number().int().min(0).max(999).openapi({ description: 'Which of the visit’s findings (0-based)' }),
    symptom: prose().optional().openapi({ description: 'By default the finding itself' }),
    ...Intake,
  })
  .openapi('FindingTicket');

type IntakeFields = { serial?: string; model?: string; level: 1 | 2 | 3 | 4; contact?: z.output<typeof ContactSchema>; engineerUserId?: number };

/** The plan, if the caller may read it: opening a ticket on another plan answers 404 as if it did not exist. */
type CarePlan = NonNullable<Awaited<ReturnType<Partners['care']['plan']>>>;

async function planOr404(deps: ApiDeps, partners: Partners, user: User, id: number): Promise<CarePlan> {
  await requireRecord({ rule: 'record', resource: 'care_plan', action: 'read' }, user, deps.knex, { id });
  const plan = await partners.care.plan(deps.knex, id);
  if (!plan) throw new NotFoundError(words('refusal.ticket.noCarePlan', { plan: id }));
  return plan;
}

/** The ticket opened for a follow-up or a finding, with everything intake needs filled in from the plan. */
async function openFor(deps: ApiDeps, partners: Partners, user: User, plan: CarePlan, care: NonNullable<TicketLinks['care']>, kind: 'repair' | 'complaint', symptom: string, fields: IntakeFields & { category?: (typeof COMPLAINT_CATEGORIES)[number] }) {
  const contact = fields.contact ?? (await defaultContact(deps, plan.customerId));
  if (!contact) throw refusedField('contact', words('refusal.ticket.noContact', { customer: plan.customerId }));
  const serial = fields.serial ?? (fields.model ? undefined : await soleDeviceSerial(deps, plan));
  const ticket = await openTicket(
    deps,
    partners,
    { kind, customerId: plan.customerId, ...(serial ? { serial } : {}), ...(fields.model ? { model: fields.model } : {}), symptom, level: fields.level, channel: CARE_CHANNEL, contact, ...(fields.engineerUserId !== undefined ? { engineerUserId: fields.engineerUserId } : {}), ...(fields.category ? { category: fields.category } : {}) },
    user,
    { care },
  );
  return ticketView(deps.knex, ticket, new Date(), linkReach(deps.knex, principalOf(user)));
}

async function defaultContact(deps: ApiDeps, customerId: number): Promise<z.output<typeof ContactSchema> | null> {
  const customer = await new CustomersRepository(deps.knex).get(customerId);
  const flagged = new Set(((await deps.knex('customer_contacts').where({ customer_id: customerId }).whereNotNull('wrong_number_at').pluck('id')) as number[]).map(Number));
  const contact = customer?.contacts.find((c) => !flagged.has(c.id));
  return contact ? { name: contact.name, email: contact.email, ...(contact.phone ? { phone: contact.phone } : {}), locale: contact.locale } : null;
}

async function soleDeviceSerial(deps: ApiDeps, plan: CarePlan): Promise<string | undefined> {
  if (plan.deviceIds.length !== 1) return undefined;
  const row = (await deps.knex('devices').where({ id: plan.deviceIds[0] }).first('serial')) as { serial: string } | undefined;
  return row?.serial;
}

/** The routes, given the partners a ticket's intake works with (the registry hands them in). */
export function careTicketsApi(partners: Partners) {
  const fromFollowUp = defineRoute(
    {
      method: 'post',
      path: '/care-plans/:id/follow-ups/:followUpId/ticket',
      roles: rolesReaching('ticket', 'act'),
      access: { rule: 'collection', resource: 'ticket', action: 'act' },
      summary: 'Open a repair ticket or a complaint for a care follow-up (a return call’s low score or unsolved problem), linked both ways',
      tags: ['tickets', 'asset care'],
      params: z.object({ id: Id, followUpId: Id }),
      body: FollowUpTicketBody,
      idempotent: true,
      responses: { 201: { description: 'Opened; its clocks run; the follow-up names it', body: TicketSchema } },
      errors: { 409: 'The follow-up is already answered by a ticket (named)', 503: 'No process engine configured; nothing was recorded' },
    },
    async ({ params, body, user, deps, req, res, idempotencyKey }) =>
      (await oncePerKey(deps, user, idempotencyKey, req, async () => {
        const plan = await planOr404(deps, partners, user, params.id);
        const followUp = await partners.care.followUp(deps.knex, plan.id, params.followUpId);
        if (!followUp) throw new NotFoundError(words('refusal.ticket.noFollowUp', { followUp: params.followUpId, plan: plan.id }));
        const care = { planId: plan.id, customerId: plan.customerId, followUpId: followUp.id, reason: followUp.reason };
        const ticket = await openFor(deps, partners, user, plan, care, body.kind, body.symptom ?? followUp.summary, body);
        res.locals.audit = { entityType: 'ticket', entityId: ticket.id } satisfies AuditTarget;
        return { status: 201 as const, body: ticket };
      })) as { status: 201; body: z.input<typeof TicketSchema> },
  );

  const fromFinding = defineRoute(
    {
      method: 'post',
      path: '/care-plans/:id/visits/:visitId/ticket',
      roles: rolesReaching('ticket', 'act'),
      access: { rule: 'collection', resource: 'ticket', action: 'act' },
      summary: 'Open a repair ticket for one finding of a done visit; the finding gets a follow-up naming the ticket, the ticket names both',
      tags: ['tickets', 'asset care'],
      params: z.object({ id: Id, visitId: Id }),
      body: FindingTicketBody,
      idempotent: true,
      responses: { 201: { description: 'Opened; its clocks run', body: TicketSchema } },
      errors: { 409: 'The finding already has a ticket (named)', 503: 'No process engine configured; nothing was recorded' },
    },
    async ({ params, body, user, deps, req, res, idempotencyKey }) =>
      (await oncePerKey(deps, user, idempotencyKey, req, async () => {
        const plan = await planOr404(deps, partners, user, params.id);
        const visit = await partners.care.visit(deps.knex, params.visitId);
        if (!visit || visit.planId !== plan.id) throw new NotFoundError(words('refusal.ticket.noVisit', { visit: params.visitId, plan: plan.id }));
        const findings = ((visit.outcome as { findings?: unknown } | null)?.findings ?? []) as unknown[];
        const finding = findings[body.finding];
        if (visit.status !== 'done' || typeof finding !== 'string') throw refusedField('finding', words('refusal.ticket.noFinding', { visit: visit.id, n: body.finding, recorded: findings.length, done: visit.status === 'done' ? 'yes' : 'no' }));
        // The finding gets its own follow-up, written with the ticket: the link's care side.
        const link = { planId: plan.id, customerId: plan.customerId, finding: { visitId: visit.id, taskKey: visit.taskKey, index: body.finding, summary: `${visit.taskKey}: ${finding}` } };
        const ticket = await openFor(deps, partners, user, plan, link, 'repair', body.symptom ?? finding, body);
        res.locals.audit = { entityType: 'ticket', entityId: ticket.id } satisfies AuditTarget;
        return { status: 201 as const, body: ticket };
      })) as { status: 201; body: z.input<typeof TicketSchema> },
  );

  return apiModule(fromFollowUp, fromFinding);
}
