/**
 * Tickets (P3): the dispatcher's board and the engineer's "my tickets" are queues of one page.
 *
 *   GET /tickets      ticket work queues (open, mine, unassigned, at risk, breached) with their clocks
 *   GET /tickets/:id  a ticket: its clocks (due, elapsed, paused, status) and timeline
 */
import { principalOf } from '../../api/access';
import { ticketView } from '../../api/tickets/view';
import { TicketsRepository } from '../../db/repositories/tickets';
import type { User } from '../../db/repositories/users';
import { canRead, readScope, ticketFacts, type Role } from '../../domain/access';
import { formatMoney } from '../../domain/money';
import type { ConsoleArea } from '../context';
import { customerTimeZones, namesOf, positiveInt } from '../kit';
import { translate, type MessageKey } from '../messages';
import { CONSOLE_TIME_ZONE, humanize, label } from '../views';

const TICKET_QUEUES = ['open', 'mine', 'unassigned', 'breaching_soon', 'breached', 'all'] as const;
type TicketQueue = (typeof TICKET_QUEUES)[number];
const minutes = (ms: number) => `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;

export const ticketsArea: ConsoleArea = {
  paths: ['/tickets', '/tickets/:id'],
  nav: [{ href: '/tickets', label: 'nav.tickets' }],
  register(router, ctx) {
    const { t, message, send, localeOf, signedInUser, requireUser } = ctx;
    const tickets = new TicketsRepository(ctx.knex);

    async function ticketRows(user: User, queue: TicketQueue, now: Date) {
      const scope = readScope(principalOf(user), 'ticket');
      const rows = await tickets.list({
        scope,
        status: queue === 'all' ? undefined : ['open', 'assigned', 'acknowledged', 'on_site', 'resolved'],
        ...(queue === 'mine' ? { assigneeUserId: user.id } : queue === 'unassigned' ? { assigneeUserId: null } : {}),
        limit: 500,
      });
      const views = await Promise.all(rows.map((row) => ticketView(ctx.knex, row, now)));
      if (queue === 'breached') return views.filter((v) => v.clocks.some((c) => c.status === 'breached'));
      if (queue === 'breaching_soon') return views.filter((v) => v.clocks.some((c) => c.status === 'warning') && !v.clocks.some((c) => c.status === 'breached'));
      return views;
    }

    router.get('/tickets', requireUser, async (req, res) => {
      const locale = localeOf(req, res);
      const raw = req.query.queue ?? 'open';
      if (typeof raw !== 'string' || !(TICKET_QUEUES as readonly string[]).includes(raw)) {
        return message(req, res, 400, t(req, res, 'message.badQueue.title'), t(req, res, 'message.badQueue.text', { queue: String(raw) }));
      }
      const queue = raw as TicketQueue;
      const user = signedInUser(res)!;
      const now = new Date();
      const counted = await Promise.all(TICKET_QUEUES.map(async (q) => [q, await ticketRows(user, q, now)] as const));
      const shown = counted.find(([q]) => q === queue)![1];
      const [customers, engineers, zones] = await Promise.all([
        namesOf(ctx.knex, 'customers', shown.map((v) => v.customerId)),
        namesOf(ctx.knex, 'users', shown.map((v) => v.assigneeUserId)),
        customerTimeZones(ctx.knex, shown.map((v) => v.customerId)),
      ]);
      send(req, res, 200, 'tickets', {
        title: `${t(req, res, 'tickets.title')}: ${t(req, res, `tickets.queue.${queue}` as MessageKey)}`,
        queues: counted.map(([q, list]) => ({ label: t(req, res, `tickets.queue.${q}` as MessageKey), count: list.length, href: q === 'open' ? '/tickets' : `/tickets?queue=${q}`, current: q === queue })),
        tickets: shown.map((v) => ({
          id: v.id,
          kind: humanize(v.kind),
          customer: customers.get(v.customerId) ?? `#${v.customerId}`,
          level: v.level,
          status: humanize(v.status),
          engineer: v.assigneeUserId === null ? null : (engineers.get(v.assigneeUserId) ?? null),
          openedAt: v.openedAt,
          timeZone: zones.get(v.customerId) ?? CONSOLE_TIME_ZONE,
          clocks: v.clocks.map((c) => ({ name: translate(locale, `clock.${c.name}` as MessageKey), status: translate(locale, `clockStatus.${c.status}` as MessageKey), statusKey: c.status, dueAt: c.stoppedAt ? null : c.dueAt })),
        })),
      });
    });

    router.get('/tickets/:id', requireUser, async (req, res) => {
      const locale = localeOf(req, res);
      const id = positiveInt(req.params.id);
      const found = id === null ? null : await tickets.get(id);
      // Another party's ticket is shown exactly like one that does not exist.
      const ticket = found && canRead(principalOf(signedInUser(res)!), ticketFacts(found)) ? found : null;
      if (!ticket) return message(req, res, 404, t(req, res, 'message.ticketNotFound.title'), t(req, res, 'message.ticketNotFound.text', { id: String(req.params.id) }));
      const [shown, timeline, customers, engineers, zones] = await Promise.all([
        ticketView(ctx.knex, ticket, new Date()),
        tickets.timeline(ticket.id),
        namesOf(ctx.knex, 'customers', [ticket.customerId]),
        namesOf(ctx.knex, 'users', [ticket.assigneeUserId]),
        customerTimeZones(ctx.knex, [ticket.customerId]),
      ]);
      const charges = ticket.charges as { total?: { amount: number; currency: string } } | null;
      send(req, res, 200, 'ticket', {
        title: `#${ticket.id} · ${ticket.symptom.slice(0, 80)}`,
        timeZone: zones.get(ticket.customerId) ?? CONSOLE_TIME_ZONE,
        ticket: {
          id: ticket.id,
          kind: humanize(ticket.kind),
          status: humanize(ticket.status),
          onHold: ticket.onHold,
          level: ticket.faultLevel,
          customer: customers.get(ticket.customerId) ?? `#${ticket.customerId}`,
          device: ticket.serial ? `${ticket.model ?? ''} · ${ticket.serial}` : ticket.model,
          symptom: ticket.symptom,
          entitlement: humanize(ticket.entitlement),
          engineer: ticket.assigneeUserId === null ? null : (engineers.get(ticket.assigneeUserId) ?? null),
          repeatOf: ticket.repeatOfTicketId,
          charges: charges?.total ? formatMoney(charges.total, locale === 'en' ? 'en-GB' : 'zh-CN') : null,
          openedAt: ticket.openedAt,
        },
        clocks: shown.clocks.map((c) => ({ name: translate(locale, `clock.${c.name}` as MessageKey), status: translate(locale, `clockStatus.${c.status}` as MessageKey), statusKey: c.status, dueAt: c.dueAt, elapsed: minutes(c.elapsedMs), paused: minutes(c.pausedMs) })),
        timeline: timeline.map((e) => ({ at: e.at, kind: humanize(e.kind), actor: e.actor?.name ? `${e.actor.name}${e.actor.role ? ` (${label(locale, 'role', e.actor.role as Role)})` : ''}` : null, summary: e.summary })),
      });
    });
  },
};
