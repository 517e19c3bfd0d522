/** Reading tickets: the work queues a caller may read, and one ticket with its timeline and links. */
import type { z } from 'zod';
import type { Scope } from '../../../domain/access';
import type { User } from '../../../people/repository';
import { principalOf } from '../../../platform/http/access';
import type { ApiDeps } from '../../../platform/http/module';
import { TicketsRepository } from '../repository';
import type { Locale } from '../../../domain/locale';
import { say } from '../../../platform/i18n/catalogue';
import { careOriginAsSeen, returnCallsAsSeen, timelineAsSeen } from './links';
import { linkReach } from '../../../platform/http/access';
import type { ListQuery, TicketDetailSchema, TicketSchema } from './schemas';
import { ticketView as view } from './view';

const OPEN_STATUSES = ['open', 'assigned', 'acknowledged', 'on_site', 'resolved'] as const;

/** A work queue of tickets, oldest first, each with its clocks computed at now. */
export async function listTickets(deps: ApiDeps, user: User, scope: Scope, query: z.output<typeof ListQuery>, now = new Date()): Promise<z.input<typeof TicketSchema>[]> {
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
  return views;
}

/**
 * One ticket (the route has checked the caller may read it): its clocks at now, timeline, return calls
 * and origin. Each timeline entry's summary is said in `locale`; a row stored before words keeps its sentence.
 */
export async function readTicket(deps: ApiDeps, user: User, ticketId: number, locale: Locale, now = new Date()): Promise<z.input<typeof TicketDetailSchema>> {
  const tickets = new TicketsRepository(deps.knex);
  const ticket = (await tickets.get(ticketId))!;
  // Its links name only what this caller may open (./links.ts).
  const reach = linkReach(deps.knex, principalOf(user));
  const timeline = (await timelineAsSeen(await tickets.timeline(ticket.id), reach)).map((e) => ({ kind: e.kind, at: e.at.toISOString(), actor: e.actor?.name ?? null, summary: say(locale, e.words, e.summary), data: e.data }));
  const returnCalls = (await returnCallsAsSeen(deps.knex, ticket.id, reach)).shown.map(({ planReachable: _, ...call }) => call);
  return { ...(await view(deps.knex, ticket, now, reach)), timeline, returnCalls, careOrigin: (await careOriginAsSeen(deps.knex, ticket, reach)).origin };
}

/** The view of a ticket just opened, as the caller may see its links. */
export async function openedTicketView(deps: ApiDeps, user: User, ticket: Parameters<typeof view>[1], now = new Date()): Promise<z.input<typeof TicketSchema>> {
  return view(deps.knex, ticket, now, linkReach(deps.knex, principalOf(user)));
}
