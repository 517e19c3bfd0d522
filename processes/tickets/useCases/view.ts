/** A ticket as people see it: its row and each clock computed now on the calendar as the store holds it. */
import type { Knex } from 'knex';
import { CalendarsRepository } from '../../../schedule/calendars/repository';
import type { BusinessCalendar } from '../../../domain/calendar';
import type { Ticket } from '../repository';
import { clockStart, clockStatus, holdsOf } from '../rules';
import { linkIdsAsSeen } from './links';
import type { LinkReach } from '../../../platform/http/access';

export type CalendarLoader = (key: string) => Promise<BusinessCalendar | null>;

/** Loads each calendar once for a batch of tickets: a queue of hundreds shares one or two. */
export function calendarLoader(knex: Knex): CalendarLoader {
  const calendars = new CalendarsRepository(knex);
  const loaded = new Map<string, Promise<BusinessCalendar | null>>();
  return (key) => {
    let calendar = loaded.get(key);
    if (!calendar) {
      calendar = calendars.load(key);
      loaded.set(key, calendar);
    }
    return calendar;
  };
}

/** Each clock as the ticket shows it now, on the calendar as the store holds it. */
export async function ticketClocks(knex: Knex, ticket: Ticket, now: Date, loadCalendar: CalendarLoader = calendarLoader(knex)) {
  const record = ticket.clockState;
  const stored = await loadCalendar(record.calendar);
  if (!stored) return [];
  const basis = { clock: record.clock, calendar: { ...stored, timeZone: record.timeZone } };
  const holds = holdsOf(record);
  return record.clocks.map((c) => {
    const start = clockStart(record, c);
    const shown = clockStatus({ start, lengthMs: c.lengthMs, warnAt: record.warnAt, holds, now, basis, ...(c.stoppedAt ? { stoppedAt: new Date(c.stoppedAt) } : {}) });
    return { name: c.name, round: c.round ?? 0, startedAt: start.toISOString(), lengthMs: c.lengthMs, dueAt: shown.dueAt?.toISOString() ?? null, elapsedMs: shown.elapsedMs, pausedMs: shown.pausedMs, status: shown.status, stoppedAt: c.stoppedAt ?? null };
  });
}

/** A ticket as the API and the console show it to one reader: its links only as far as they reach (./links.ts). */
export async function ticketView(knex: Knex, ticket: Ticket, now: Date, reach: LinkReach, loadCalendar?: CalendarLoader) {
  const links = await linkIdsAsSeen(ticket, reach);
  return {
    id: ticket.id,
    kind: ticket.kind,
    status: ticket.status,
    onHold: ticket.onHold,
    level: ticket.faultLevel,
    customerId: ticket.customerId,
    serial: ticket.serial,
    model: ticket.model,
    channel: ticket.channel,
    symptom: ticket.symptom,
    entitlement: ticket.entitlement,
    assigneeUserId: ticket.assigneeUserId,
    repeatOfTicketId: ticket.repeatOfTicketId,
    ...links,
    openedAt: ticket.openedAt.toISOString(),
    resolvedAt: ticket.resolvedAt?.toISOString() ?? null,
    closedAt: ticket.closedAt?.toISOString() ?? null,
    charges: ticket.charges,
    progress: ticket.progress,
    clocks: await ticketClocks(knex, ticket, now, loadCalendar),
  };
}

