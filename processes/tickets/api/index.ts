/**
 * P3 repair tickets and complaints, the routes: intake, the steps (each an update on the ticket's
 * workflow), a ticket with its clocks, and work queues. They parse and render; what they do is in
 * ../useCases (intake.ts, steps.ts, read.ts), which the console's pages call too. Intake works with
 * asset care and the dealer through their ports, which the registry hands in (api/index.ts:
 * `ticketsApi(ticketPartners)`).
 */
import { rolesReaching } from '../../../domain/access';
import type { AuditTarget } from '../../../platform/http/audit';
import { updateIdFor } from '../../../platform/http/idempotency';
import { readerLocale } from '../../../platform/http/problemMessages';
import { apiModule } from '../../../platform/http/module';
import { defineRoute } from '../../../platform/http/route';
import { z } from '../../../platform/http/zod';
import { openTicket, type Partners } from '../useCases/intake';
import { listTickets, openedTicketView, readTicket } from '../useCases/read';
import { CreateTicketBody, ListQuery, StepResultSchema, TicketDetailSchema, TicketIdParams, TicketSchema } from '../useCases/schemas';
import { takeTicketStep, TICKET_STEP_DEFINITIONS } from '../useCases/steps';

const create = (partners: Partners) =>
  defineRoute(
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
      const ticket = await openTicket(deps, partners, body, user);
      res.locals.audit = { entityType: 'ticket', entityId: ticket.id } satisfies AuditTarget;
      return { status: 201, body: await openedTicketView(deps, user, ticket) };
    },
  );

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
  async ({ query, deps, scope, user }) => ({ status: 200, body: { tickets: await listTickets(deps, user, scope, query) } }),
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
  async ({ params, deps, user, req }) => ({ status: 200, body: await readTicket(deps, user, params.id, readerLocale(req, user)) }),
);

const STEP_ERRORS = { 409: 'Not possible in the ticket’s current state, or already done (replace: the new serial is already registered)', 503: 'The step could not be recorded; nothing changed, try again' };

const stepRoutes = TICKET_STEP_DEFINITIONS.map((step) =>
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
    async ({ params, body, user, deps, req, res, idempotencyKey }) => {
      const receivedAt = new Date();
      res.locals.audit = { entityType: 'ticket', entityId: params.id } satisfies AuditTarget;
      return { status: 200, body: await takeTicketStep(deps, user, params.id, step, body as Record<string, unknown>, receivedAt, readerLocale(req, user), updateIdFor(user, idempotencyKey)) };
    },
  ),
);

/** The routes, given the partners a ticket's intake works with (the registry hands them in). */
export const ticketsApi = (partners: Partners) => apiModule(create(partners), list, read, ...stepRoutes);
