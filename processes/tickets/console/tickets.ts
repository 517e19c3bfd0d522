/**
 * Tickets (P3): the dispatcher's board and the engineer's "my tickets" are queues of one page.
 *
 *   GET /tickets      ticket work queues (open, mine, unassigned, at risk, breached) with their clocks
 *   GET /tickets/:id  a ticket: its clocks (due, elapsed, paused, status), timeline and a form per step
 *   POST /tickets/:id/steps/:step   takes the step as POST /api/tickets/:id/<step> does; 303 back to
 *                     the ticket, or the page again with the problems beside the form's fields
 */
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import { principalOf } from '../../../platform/http/access';
import { runTicketStep, TICKET_STEPS } from '../useCases/steps';
import { calendarLoader, ticketView } from '../useCases/view';
import { timelineAsSeen } from '../useCases/links';
import { linkReach } from '../../../platform/http/access';
import { ticketLinksView } from './links';
import { TicketsRepository, type Ticket } from '../repository';
import { whereInScope } from '../../../platform/db/scope';
import type { User } from '../../../people/repository';
import { canRead, may, readScope, ticketFacts, type Role } from '../../../domain/access';
import { formatMoney } from '../../../domain/money';
import type { ConsoleArea } from '../../../platform/console/context';
import type { Locale } from '../../../domain/locale';
import { emptyForm, formFromError, formValues, type FormState } from '../../../platform/console/forms';
import { customerTimeZones, exportLinks, namesOf, positiveInt } from '../../../platform/console/kit';
import { formFieldOf, STEP_FORMS, stepBody } from './ticketSteps';
import { translate, type MessageKey } from '../../../platform/i18n/catalogue';
import { ticketEventText, ticketWord } from './words';
import { CONSOLE_TIME_ZONE, label } from '../../../platform/console/views';

export const TICKET_QUEUES = ['open', 'mine', 'unassigned', 'breaching_soon', 'breached', 'all'] as const;
export type TicketQueue = (typeof TICKET_QUEUES)[number];
/** A clock's elapsed or paused time, in the page's language. */
const minutes = (locale: Locale, ms: number) => translate(locale, 'ticket.minutes', { m: Math.floor(ms / 60_000), s: Math.round((ms % 60_000) / 1000) });

const OPEN_STATUSES = ['open', 'assigned', 'acknowledged', 'on_site', 'resolved'] as const;
/** The deadline rows of a ticket's running clocks (workflows/serviceTicket.ts: `ticket_<clock>`). */
const CLOCK_KINDS = ['ticket_respond', 'ticket_onSite', 'ticket_resolve', 'ticket_reply'];
/** The most rows a queue shows on the page; its download has up to 500. */
export const QUEUE_PAGE_ROWS = 100;

/**
 * A ticket queue's rows with their clocks, only the tickets `user` may read (the board and its
 * exports). `clockIds`: a clock queue's candidates already read (clockQueueIdsOf), oldest first.
 */
export async function ticketQueueRows(knex: Knex, user: User, queue: TicketQueue, now: Date, limit = 500, clockIds?: number[]) {
  const scope = readScope(principalOf(user), 'ticket');
  const loadCalendar = calendarLoader(knex);
  const clocked = queue === 'breached' || queue === 'breaching_soon';
  // Breached and at risk: the oldest open tickets with such a clock row (as the tab counts them),
  // then kept only if their clocks computed now say so too.
  const ids = clocked ? (clockIds?.slice(0, limit) ?? (await clockQueueIds(knex, scope, queue, now, limit))) : undefined;
  const rows = await new TicketsRepository(knex).list({
    scope,
    status: queue === 'all' ? undefined : [...OPEN_STATUSES],
    ...(queue === 'mine' ? { assigneeUserId: user.id } : queue === 'unassigned' ? { assigneeUserId: null } : {}),
    ...(ids ? { ids } : {}),
    limit,
  });
  const reach = linkReach(knex, principalOf(user));
  const views = await Promise.all(rows.map((row) => ticketView(knex, row, now, reach, loadCalendar)));
  if (queue === 'breached') return views.filter((v) => v.clocks.some((c) => c.status === 'breached'));
  if (queue === 'breaching_soon') return views.filter((v) => v.clocks.some((c) => c.status === 'warning') && !v.clocks.some((c) => c.status === 'breached'));
  return views;
}

const BOARD_COLUMNS = { customer: 't.customer_id', assignee: 't.assignee_user_id' };

/** Open tickets in `scope` as `alias` `t` (the board's queues and counts). */
const openTickets = (knex: Knex, scope: ReturnType<typeof readScope>) => whereInScope(knex('tickets as t'), scope, BOARD_COLUMNS).whereIn('t.status', OPEN_STATUSES);

/** The ticket's running clock rows (as `alias`), those `narrow` keeps: the rows the ticket's ladder keeps. */
const clockRows = (knex: Knex, alias: string, narrow: (q: Knex.QueryBuilder) => Knex.QueryBuilder) => (q: Knex.QueryBuilder) =>
  void narrow(q.select(knex.raw('1')).from(`deadlines as ${alias}`).whereRaw(`${alias}.record_id = t.id`).where({ [`${alias}.record_type`]: 'ticket', [`${alias}.status`]: 'open' }).whereIn(`${alias}.kind`, CLOCK_KINDS));
/** Past due: breached. */
const lateRows = (knex: Knex, now: Date) => clockRows(knex, 'l', (q) => q.where('l.due_at', '<', now));
/** A warning went out and it is not yet due: at risk. */
const warnedRows = (knex: Knex, now: Date) => clockRows(knex, 'w', (q) => q.where('w.last_rung', 'like', 'warning%').where('w.due_at', '>=', now));

/** Breached (a late clock row) or at risk (a warned one and none late), whichever `queue` asks. */
function inClockQueue(knex: Knex, query: Knex.QueryBuilder, queue: 'breached' | 'breaching_soon', now: Date): Knex.QueryBuilder {
  return queue === 'breached' ? query.whereExists(lateRows(knex, now)) : query.whereExists(warnedRows(knex, now)).whereNotExists(lateRows(knex, now));
}

/**
 * The ids of a clock queue's oldest open tickets that `user` may read, up to one past the count's
 * cap: the board's breached or at-risk tab counts them and shows the first page of them, from one
 * read of the clock rows instead of two.
 */
export function clockQueueIdsOf(knex: Knex, user: User, queue: 'breached' | 'breaching_soon', now: Date): Promise<number[]> {
  return clockQueueIds(knex, readScope(principalOf(user), 'ticket'), queue, now, CLOCK_COUNT_CAP + 1);
}

/** The ids of a clock queue's oldest `limit` open tickets, from the clock rows (one indexed query). */
async function clockQueueIds(knex: Knex, scope: ReturnType<typeof readScope>, queue: 'breached' | 'breaching_soon', now: Date, limit: number): Promise<number[]> {
  const rows = (await inClockQueue(knex, openTickets(knex, scope), queue, now).orderBy([{ column: 't.opened_at' }, { column: 't.id' }]).limit(limit).select('t.id')) as { id: unknown }[];
  return rows.map((r) => Number(r.id));
}

/**
 * How many tickets each queue holds: counts from the indexes, the breached and at-risk ones from the
 * clock deadline rows the workflow keeps (as the home page reads them), so the board does not
 * compute every open ticket's clocks to count them. Breached and at risk count open tickets that
 * have such a row (EXISTS), not rows joined to their tickets: MariaDB then reads the open tickets and
 * the clock rows from two covering indexes instead of looking up each breached ticket's whole row.
 */
/**
 * Breached and at-risk tickets are counted up to this many and shown as "1,000+" beyond: a count of
 * every breached ticket reads every open clock row (tens of thousands in a backlog), for a number
 * no one reads past a thousand.
 */
export const CLOCK_COUNT_CAP = 1000;

/** A queue's count as its tab shows it: the clock queues' counts stop at the cap. */
export function queueCountLabel(queue: TicketQueue, count: number, locale: string): string {
  const capped = (queue === 'breached' || queue === 'breaching_soon') && count > CLOCK_COUNT_CAP;
  return capped ? `${CLOCK_COUNT_CAP.toLocaleString(locale)}+` : count.toLocaleString(locale);
}

/** `known`: counts the caller is reading anyway (a clock tab's, from its ids), not read again. */
export async function ticketQueueCounts(knex: Knex, user: User, now: Date, known: Partial<Record<TicketQueue, Promise<number>>> = {}): Promise<Record<TicketQueue, number>> {
  const scope = readScope(principalOf(user), 'ticket');
  const count = async (query: Knex.QueryBuilder) => Number(((await query) as { n: number | string } | undefined)?.n ?? 0);
  const open = () => openTickets(knex, scope);
  /** At most CLOCK_COUNT_CAP + 1: the rows are read only that far. */
  const capped = (query: Knex.QueryBuilder) => count(knex.from(query.select(knex.raw('1')).limit(CLOCK_COUNT_CAP + 1).as('c')).first(knex.raw('COUNT(*) AS n')));
  const [openCount, mine, unassigned, all, breached, atRisk] = await Promise.all([
    count(open().first(knex.raw('COUNT(*) AS n'))),
    count(open().where('t.assignee_user_id', user.id).first(knex.raw('COUNT(*) AS n'))),
    count(open().whereNull('t.assignee_user_id').first(knex.raw('COUNT(*) AS n'))),
    count(whereInScope(knex('tickets as t'), scope, BOARD_COLUMNS).first(knex.raw('COUNT(*) AS n'))),
    known.breached ?? capped(inClockQueue(knex, open(), 'breached', now)),
    known.breaching_soon ?? capped(inClockQueue(knex, open(), 'breaching_soon', now)),
  ]);
  return { open: openCount, mine, unassigned, breaching_soon: atRisk, breached, all };
}

export const ticketsArea: ConsoleArea = {
  paths: ['/tickets', '/tickets/:id', '/tickets/:id/steps/:step'],
  nav: [{ href: '/tickets', label: 'nav.tickets' }],
  register(router, ctx) {
    const { t, message, send, localeOf, signedInUser, requireUser, requireCsrf, expiredForm } = ctx;
    const tickets = new TicketsRepository(ctx.knex);

    router.get('/tickets', requireUser, async (req, res) => {
      const locale = localeOf(req, res);
      const raw = req.query.queue ?? 'open';
      if (typeof raw !== 'string' || !(TICKET_QUEUES as readonly string[]).includes(raw)) {
        return message(req, res, 400, t(req, res, 'message.badQueue.title'), t(req, res, 'message.badQueue.text', { queue: String(raw) }));
      }
      const queue = raw as TicketQueue;
      const user = signedInUser(res)!;
      const now = new Date();
      // A clock tab reads its candidates once, for its count and its page.
      const clockIds = queue === 'breached' || queue === 'breaching_soon' ? clockQueueIdsOf(ctx.knex, user, queue, now) : undefined;
      const [counts, shown] = await Promise.all([
        ticketQueueCounts(ctx.knex, user, now, clockIds ? { [queue]: clockIds.then((ids) => ids.length) } : {}),
        clockIds ? clockIds.then((ids) => ticketQueueRows(ctx.knex, user, queue, now, QUEUE_PAGE_ROWS, ids)) : ticketQueueRows(ctx.knex, user, queue, now, QUEUE_PAGE_ROWS),
      ]);
      const [customers, engineers, zones] = await Promise.all([
        namesOf(ctx.knex, 'customers', shown.map((v) => v.customerId)),
        namesOf(ctx.knex, 'users', shown.map((v) => v.assigneeUserId)),
        customerTimeZones(ctx.knex, shown.map((v) => v.customerId)),
      ]);
      send(req, res, 200, 'tickets', {
        title: `${t(req, res, 'tickets.title')}: ${t(req, res, `tickets.queue.${queue}` as MessageKey)}`,
        exports: exportLinks('tickets', `queue=${queue}`),
        more: counts[queue] > shown.length && shown.length === QUEUE_PAGE_ROWS ? t(req, res, 'tickets.more', { shown: shown.length, count: queueCountLabel(queue, counts[queue], locale) }) : null,
        queues: TICKET_QUEUES.map((q) => ({ label: t(req, res, `tickets.queue.${q}` as MessageKey), count: queueCountLabel(q, counts[q], locale), href: q === 'open' ? '/tickets' : `/tickets?queue=${q}`, current: q === queue })),
        tickets: shown.map((v) => ({
          id: v.id,
          kind: ticketWord(locale, 'ticket.kind', v.kind),
          customer: customers.get(v.customerId) ?? `#${v.customerId}`,
          level: v.level,
          status: ticketWord(locale, 'ticket.status', v.status),
          engineer: v.assigneeUserId === null ? null : (engineers.get(v.assigneeUserId) ?? null),
          openedAt: v.openedAt,
          timeZone: zones.get(v.customerId) ?? CONSOLE_TIME_ZONE,
          clocks: v.clocks.map((c) => ({ name: translate(locale, `clock.${c.name}` as MessageKey), status: translate(locale, `clockStatus.${c.status}` as MessageKey), statusKey: c.status, dueAt: c.stoppedAt ? null : c.dueAt })),
        })),
      });
    });

    /** The ticket the caller may read, or null (another party's ticket is shown like one that does not exist). */
    async function readable(res: Response, raw: unknown): Promise<Ticket | null> {
      const id = positiveInt(raw);
      const found = id === null ? null : await tickets.get(id);
      return found && canRead(principalOf(signedInUser(res)!), ticketFacts(found)) ? found : null;
    }
    const notFound = (req: Request, res: Response) => message(req, res, 404, t(req, res, 'message.ticketNotFound.title'), t(req, res, 'message.ticketNotFound.text', { id: String(req.params.id) }));

    async function showTicket(req: Request, res: Response, ticket: Ticket, status = 200, sent: Record<string, FormState> = {}) {
      const locale = localeOf(req, res);
      const principal = principalOf(signedInUser(res)!);
      // The linked records name only what this reader may open, as the API's read does.
      const reach = linkReach(ctx.knex, principal);
      const [shown, timeline, links, customers, engineers, zones] = await Promise.all([
        ticketView(ctx.knex, ticket, new Date(), reach),
        tickets.timeline(ticket.id).then((events) => timelineAsSeen(events, reach)),
        ticketLinksView(ctx.knex, locale, ticket, reach),
        namesOf(ctx.knex, 'customers', [ticket.customerId]),
        namesOf(ctx.knex, 'users', [ticket.assigneeUserId]),
        customerTimeZones(ctx.knex, [ticket.customerId]),
      ]);
      const charges = ticket.charges as { total?: { amount: number; currency: string } } | null;
      // Each step the caller may take, as a form; the server judges whether the ticket allows it now.
      const steps = STEP_FORMS.filter((form) => may(principal, TICKET_STEPS.find((s) => s.path === form.step)!.action, ticketFacts(ticket))).map((form) => ({
        step: form.step,
        title: translate(locale, `ticket.step.${form.step}` as MessageKey),
        action: `/tickets/${ticket.id}/steps/${form.step}`,
        state: sent[form.step] ?? emptyForm(form.fields.some((f) => f.name === 'currency') ? { currency: 'CNY' } : {}),
        fields: form.fields.map((f) => ({ name: f.name, id: `${form.step}-${f.name}`, label: translate(locale, `ticket.field.${f.name}` as MessageKey), type: f.type ?? 'text', required: f.required === true, hint: f.hint ? translate(locale, f.hint) : null })),
      }));
      send(req, res, status, 'ticket', {
        title: `#${ticket.id} · ${ticket.symptom.slice(0, 80)}`,
        timeZone: zones.get(ticket.customerId) ?? CONSOLE_TIME_ZONE,
        ticket: {
          id: ticket.id,
          kind: ticketWord(locale, 'ticket.kind', ticket.kind),
          status: ticketWord(locale, 'ticket.status', ticket.status),
          onHold: ticket.onHold,
          level: ticket.faultLevel,
          customer: customers.get(ticket.customerId) ?? `#${ticket.customerId}`,
          device: ticket.serial ? `${ticket.model ?? ''} · ${ticket.serial}` : ticket.model,
          symptom: ticket.symptom,
          entitlement: ticketWord(locale, 'ticket.entitlementOf', ticket.entitlement),
          engineer: ticket.assigneeUserId === null ? null : (engineers.get(ticket.assigneeUserId) ?? null),
          repeatOf: ticket.repeatOfTicketId,
          charges: charges?.total ? formatMoney(charges.total, locale === 'en' ? 'en-GB' : 'zh-CN') : null,
          openedAt: ticket.openedAt,
        },
        clocks: shown.clocks.map((c) => ({ name: `${translate(locale, `clock.${c.name}` as MessageKey)}${c.round ? ` (${c.round + 1})` : ''}`, status: translate(locale, `clockStatus.${c.status}` as MessageKey), statusKey: c.status, dueAt: c.dueAt, elapsed: minutes(locale, c.elapsedMs), paused: minutes(locale, c.pausedMs) })),
        links,
        timeline: timeline.map((e) => ({ at: e.at, kind: ticketWord(locale, 'ticket.event', e.kind), actor: e.actor?.name ? `${e.actor.name}${e.actor.role ? ` (${label(locale, 'role', e.actor.role as Role)})` : ''}` : null, summary: ticketEventText(locale, e) })),
        steps,
      });
    }

    router.get('/tickets/:id', requireUser, async (req, res) => {
      const ticket = await readable(res, req.params.id);
      if (!ticket) return notFound(req, res);
      await showTicket(req, res, ticket);
    });

    router.post('/tickets/:id/steps/:step', requireUser, ...requireCsrf(expiredForm), async (req, res) => {
      const user = signedInUser(res)!;
      const ticket = await readable(res, req.params.id);
      const form = STEP_FORMS.find((f) => f.step === req.params.step);
      if (!ticket || !form) return notFound(req, res);
      if (!may(principalOf(user), TICKET_STEPS.find((s) => s.path === form.step)!.action, ticketFacts(ticket))) {
        return message(req, res, 403, t(req, res, 'message.badRequest'), t(req, res, 'ticket.stepForbidden'));
      }
      const values = formValues(req.body, form.fields.map((f) => f.name));
      if (!ctx.deps.temporal) return message(req, res, 503, t(req, res, 'message.badRequest'), t(req, res, 'ticket.stepUnavailable'));
      try {
        await runTicketStep({ knex: ctx.knex, temporal: ctx.deps.temporal }, user, ticket.id, form.step, stepBody(form.fields, values), localeOf(req, res));
      } catch (error) {
        const state = formFromError(error, values, t(req, res, 'ticket.stepFailed'), ctx.localeOf(req, res));
        // The API names its fields (`labourRate.amount`); the form has its own (`labourRate`).
        const errors: Record<string, string[]> = {};
        for (const [field, messages] of Object.entries(state.errors)) (errors[formFieldOf(form.step, field)] ??= []).push(...messages);
        const status = (error as { status?: number }).status ?? 400;
        void ctx.audit(req, res, { statusCode: status, user, details: { ticketId: ticket.id, step: form.step } });
        return showTicket(req, res, (await tickets.get(ticket.id))!, status, { [form.step]: { ...state, errors } });
      }
      void ctx.audit(req, res, { statusCode: 303, user, details: { ticketId: ticket.id, step: form.step } });
      res.redirect(303, `/tickets/${ticket.id}`);
    });
  },
};
