/**
 * P3 repair tickets: the SLA clocks and their rungs, entitlement and charges. Pure: every function is
 * given the instants and calendar it works on, so the workflow's activity and the API compute alike.
 *
 * A ticket's clock runs from intake on its SLA clock (7×24 or business hours, in the customer's zone),
 * stands still while the ticket is on hold, and warns at each `sla.warnAt` share of its length,
 * breaches at 100 % and escalates once more a whole length after the breach. A change of fault level
 * gives the clock a new length, still measured from intake minus holds.
 */
import { Duration as IsoDuration } from 'luxon';
import { addClockTime, clockElapsed, type BusinessCalendar, type SlaClock } from '../../domain/calendar';
import type { Duration } from '../../domain/duration';
import { parseIsoDuration } from '../../domain/duration';
import { DomainError } from '../../domain/errors';
import { words, type Words } from '../../domain/words';
import type { Money } from '../../domain/money';

export const FAULT_LEVELS = [1, 2, 3, 4] as const;
export type FaultLevel = (typeof FAULT_LEVELS)[number];

export const TICKET_CLOCKS = ['respond', 'onSite', 'resolve', 'reply'] as const;
export type TicketClockName = (typeof TICKET_CLOCKS)[number];

/** A period the ticket stood on hold; `to` absent while it still does. */
export interface Hold {
  from: Date;
  to?: Date;
}

export interface ClockBasis {
  clock: SlaClock;
  calendar: BusinessCalendar;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * A policy duration as clock time. ISO parts add up at fixed lengths (a day of clock time is 24 h, a
 * month 30 days: an SLA is measured, not dated); a working day is one business day's opening hours on
 * a business-hours clock, 24 h on a 7×24 one.
 */
export function clockLength(duration: Duration, clock: SlaClock): number {
  if (typeof duration === 'object') {
    if (!Number.isInteger(duration.workingDays) || duration.workingDays <= 0) throw new DomainError(words('refusal.ticket.workingDays'), 'workingDays');
    return duration.workingDays * (clock.kind === '24x7' ? DAY_MS : businessDayMs(clock));
  }
  const parts = parseIsoDuration(duration).toObject();
  const days = (parts.years ?? 0) * 365 + (parts.quarters ?? 0) * 91 + (parts.months ?? 0) * 30 + (parts.weeks ?? 0) * 7 + (parts.days ?? 0);
  const rest = IsoDuration.fromObject({ hours: parts.hours ?? 0, minutes: parts.minutes ?? 0, seconds: parts.seconds ?? 0, milliseconds: parts.milliseconds ?? 0 }).as('milliseconds');
  return Math.round(days * DAY_MS + rest);
}

function businessDayMs(clock: { start: string; end: string }): number {
  const minutes = (text: string) => (text === '24:00' ? 1440 : Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5)));
  return (minutes(clock.end) - minutes(clock.start)) * 60_000;
}

/** Holds sorted by start, each cut to begin no earlier than `start`. */
function orderedHolds(start: Date, holds: readonly Hold[]): Hold[] {
  return [...holds]
    .map((h) => ({ from: new Date(Math.max(h.from.getTime(), start.getTime())), ...(h.to ? { to: h.to } : {}) }))
    .filter((h) => !h.to || h.to.getTime() > h.from.getTime())
    .sort((a, b) => a.from.getTime() - b.from.getTime());
}

/** Clock time run from `start` to `now`, holds excluded. */
export function runningTime(start: Date, now: Date, holds: readonly Hold[], basis: ClockBasis): number {
  let cursor = start;
  let elapsed = 0;
  for (const hold of orderedHolds(start, holds)) {
    if (hold.from.getTime() >= now.getTime()) break;
    if (hold.from.getTime() > cursor.getTime()) elapsed += clockElapsed(cursor, hold.from, basis.clock, basis.calendar);
    const end = hold.to && hold.to.getTime() < now.getTime() ? hold.to : now;
    if (end.getTime() > cursor.getTime()) cursor = end;
  }
  if (now.getTime() > cursor.getTime()) elapsed += clockElapsed(cursor, now, basis.clock, basis.calendar);
  return elapsed;
}

/** Clock time spent on hold from `start` to `now` (what the ticket shows as paused). */
export function heldTime(start: Date, now: Date, holds: readonly Hold[], basis: ClockBasis): number {
  return orderedHolds(start, holds).reduce((sum, hold) => {
    const end = hold.to && hold.to.getTime() < now.getTime() ? hold.to : now;
    return end.getTime() > hold.from.getTime() ? sum + clockElapsed(hold.from, end, basis.clock, basis.calendar) : sum;
  }, 0);
}

/**
 * The instant the clock has run `ms` from `start`, holds excluded; null when a hold still open stops
 * it first (the instant is not known until the hold ends).
 */
export function instantAfter(start: Date, ms: number, holds: readonly Hold[], basis: ClockBasis): Date | null {
  let cursor = start;
  let remaining = ms;
  for (const hold of orderedHolds(start, holds)) {
    if (hold.from.getTime() >= cursor.getTime()) {
      const candidate = addClockTime(cursor, remaining, basis.clock, basis.calendar);
      if (candidate.getTime() <= hold.from.getTime()) return candidate;
      remaining -= clockElapsed(cursor, hold.from, basis.clock, basis.calendar);
    }
    if (!hold.to) return null;
    if (hold.to.getTime() > cursor.getTime()) cursor = hold.to;
  }
  return addClockTime(cursor, remaining, basis.clock, basis.calendar);
}

/** A rung of a clock's ladder: a warning, the breach, or the breach still open a length later. */
export interface ClockRung {
  rung: string;
  /** Share of the clock's length at which it fires: warnAt…, 1, 2. */
  share: number;
  /** Who hears of it: the escalation chain's role at this rung. */
  role: string;
  /** null while an open hold stops the clock before it. */
  at: Date | null;
}

/**
 * The ladder of one clock: `warning_1`… at each warnAt share, `breach` at 100 %, `breach_again` a
 * whole length after. Rung i goes to escalationChain[i] (the last role takes any rung beyond it), so
 * the default chain reads engineer → senior engineer → service manager → leadership.
 */
export function clockRungs(start: Date, lengthMs: number, warnAt: readonly number[], escalationChain: readonly string[], holds: readonly Hold[], basis: ClockBasis): ClockRung[] {
  if (escalationChain.length === 0) throw new DomainError(words('refusal.ticket.escalationChain'), 'sla.escalationChain');
  const shares = [...warnAt.map((share, i) => ({ rung: `warning_${i + 1}`, share })), { rung: 'breach', share: 1 }, { rung: 'breach_again', share: 2 }];
  return shares.map(({ rung, share }, i) => ({
    rung,
    share,
    role: escalationChain[Math.min(i, escalationChain.length - 1)]!,
    at: instantAfter(start, Math.round(lengthMs * share), holds, basis),
  }));
}

export type ClockStatus = 'ok' | 'warning' | 'breached' | 'paused' | 'met' | 'met_late';

/** What a clock shows at `now`: met (in time or late) once stopped, else breached / warning / paused / ok. */
export function clockStatus(input: { start: Date; lengthMs: number; warnAt: readonly number[]; holds: readonly Hold[]; stoppedAt?: Date; now: Date; basis: ClockBasis }): { status: ClockStatus; elapsedMs: number; pausedMs: number; dueAt: Date | null } {
  const until = input.stoppedAt ?? input.now;
  const elapsedMs = runningTime(input.start, until, input.holds, input.basis);
  const pausedMs = heldTime(input.start, until, input.holds, input.basis);
  const dueAt = instantAfter(input.start, input.lengthMs, input.holds, input.basis);
  const firstWarning = input.warnAt[0];
  let status: ClockStatus;
  if (input.stoppedAt) status = elapsedMs > input.lengthMs ? 'met_late' : 'met';
  else if (elapsedMs >= input.lengthMs) status = 'breached';
  else if (input.holds.some((h) => !h.to)) status = 'paused';
  else if (firstWarning !== undefined && elapsedMs >= input.lengthMs * firstWarning) status = 'warning';
  else status = 'ok';
  return { status, elapsedMs, pausedMs, dueAt };
}

// ---------------------------------------------------------------------------------------------
// Entitlement and charges

export type Entitlement = 'warranty' | 'maintenance_contract' | 'out_of_scope';

/** In warranty on the device's dates, else under a maintenance contract, else out of scope. */
export function entitlementOf(input: { at: Date; warrantyStartsAt: Date | null; warrantyEndsAt: Date | null; maintenanceContract: boolean }): Entitlement {
  const { at, warrantyStartsAt, warrantyEndsAt } = input;
  if (warrantyEndsAt && (!warrantyStartsAt || warrantyStartsAt.getTime() <= at.getTime()) && at.getTime() <= warrantyEndsAt.getTime()) return 'warranty';
  if (input.maintenanceContract) return 'maintenance_contract';
  return 'out_of_scope';
}

export interface RepairPart {
  partNumber: string;
  quantity: number;
  unitCost: Money;
}

export interface RepairCharges {
  parts: Money;
  labour: Money;
  travel: Money;
  total: Money;
  /** Why the customer pays or not, for the ticket and the notice. */
  basis: 'free_quality_fault_in_warranty' | 'free_under_contract' | 'at_cost' | 'chargeable';
}

/**
 * PRODUCT §P3 step 5: a quality fault in warranty (or under a maintenance contract) is free; a
 * non-quality fault is charged at cost (parts only); out of scope pays parts, labour and travel.
 */
export function repairCharges(input: { entitlement: Entitlement; qualityFault: boolean; parts: readonly RepairPart[]; labourHours: number; labourRate: Money; travel: Money }): RepairCharges {
  const currency = input.labourRate.currency;
  for (const [i, part] of input.parts.entries()) {
    if (part.unitCost.currency !== currency) throw new DomainError(words('refusal.ticket.partCurrency', { part: part.partNumber, currency: part.unitCost.currency, labourCurrency: currency }), `parts.${i}.unitCost.currency`);
  }
  if (input.travel.currency !== currency) throw new DomainError(words('refusal.ticket.travelCurrency', { currency: input.travel.currency, labourCurrency: currency }), 'travel.currency');
  const money = (amount: number): Money => ({ amount, currency });
  const partsCost = input.parts.reduce((sum, p) => sum + p.quantity * p.unitCost.amount, 0);
  const labourCost = Math.round(input.labourHours * input.labourRate.amount);
  const covered = input.entitlement !== 'out_of_scope';
  if (covered && input.qualityFault) {
    return { parts: money(0), labour: money(0), travel: money(0), total: money(0), basis: input.entitlement === 'warranty' ? 'free_quality_fault_in_warranty' : 'free_under_contract' };
  }
  if (covered) return { parts: money(partsCost), labour: money(0), travel: money(0), total: money(partsCost), basis: 'at_cost' };
  return { parts: money(partsCost), labour: money(labourCost), travel: money(input.travel.amount), total: money(partsCost + labourCost + input.travel.amount), basis: 'chargeable' };
}

// ---------------------------------------------------------------------------------------------
// The clocks as the ticket records them (tickets.clock_state), for the workflow and the API alike

export interface TicketClocksRecord {
  /** Intake: every clock runs from here. */
  startedAt: string;
  clock: SlaClock;
  /** The calendar store's key and the customer's zone the clock runs in. */
  calendar: string;
  timeZone: string;
  warnAt: number[];
  holds: { from: string; to?: string; reason: string }[];
  clocks: TicketClockEntry[];
}

/**
 * One clock of a ticket. A reopened ticket gets a new resolve clock (`round` n, running from
 * `startedAt`, the reopen) beside the stopped one, so each keeps its own result.
 */
export interface TicketClockEntry {
  name: TicketClockName;
  lengthMs: number;
  stoppedAt?: string;
  /** Absent: the ticket's intake. */
  startedAt?: string;
  /** Absent or 0: the first; the n-th reopen's clock is round n. */
  round?: number;
}

/** The clock's identity in rung keys, deadline rows and notices: `resolve`, then `resolve@1`… */
export const clockId = (clock: Pick<TicketClockEntry, 'name' | 'round'>): string => (clock.round ? `${clock.name}@${clock.round}` : clock.name);

/** When the clock started running: its own start, else intake. */
export const clockStart = (record: Pick<TicketClocksRecord, 'startedAt'>, clock: Pick<TicketClockEntry, 'startedAt'>): Date => new Date(clock.startedAt ?? record.startedAt);

/**
 * A reopened ticket's new resolve clock: the level's full resolve length from the reopen (000: fixed
 * within the level's time, counted again), holds from then on excluded as for any clock.
 */
export function reopenedResolveClock(at: string, round: number, level: FaultLevel, sla: Parameters<typeof clockLengths>[2]): TicketClockEntry {
  const resolve = clockLengths('repair', level, sla).find((c) => c.name === 'resolve')!;
  return { name: 'resolve', lengthMs: resolve.lengthMs, startedAt: at, round };
}

export const holdsOf = (record: TicketClocksRecord): Hold[] => record.holds.map((h) => ({ from: new Date(h.from), ...(h.to ? { to: new Date(h.to) } : {}) }));

/** Which clocks a ticket of `kind` runs, with their lengths at `level`. */
export function clockLengths(kind: 'repair' | 'complaint', level: FaultLevel, sla: { clock: SlaClock; levels: Record<'1' | '2' | '3' | '4', { respond: Duration; onSite: Duration; resolve: Duration }>; complaintReplyWithin: Duration }): { name: TicketClockName; lengthMs: number }[] {
  if (kind === 'complaint') return [{ name: 'reply', lengthMs: clockLength(sla.complaintReplyWithin, sla.clock) }];
  const lengths = sla.levels[String(level) as '1' | '2' | '3' | '4'];
  return (['respond', 'onSite', 'resolve'] as const).map((name) => ({ name, lengthMs: clockLength(lengths[name], sla.clock) }));
}

/** How the clocks read in notices and deadline rows, in both languages (one context goes to recipients of either). */
export const TICKET_CLOCK_LABELS: Record<TicketClockName, { en: string; zh: string }> = {
  respond: { en: 'Response', zh: '响应' },
  onSite: { en: 'On site', zh: '到场' },
  resolve: { en: 'Repair', zh: '修复' },
  reply: { en: 'Complaint reply', zh: '投诉答复' },
};

/** The named clocks stopped at `at`; a clock already stopped keeps its first stop. */
export const stopClocks = (clocks: TicketClocksRecord, names: TicketClockName[], at: string): TicketClocksRecord => ({
  ...clocks,
  clocks: clocks.clocks.map((c) => (names.includes(c.name) && !c.stoppedAt ? { ...c, stoppedAt: at } : c)),
});

/** A new fault level: the running clocks take its lengths, still counted from intake minus holds; stopped ones keep theirs. */
export function releveledClocks(clocks: TicketClocksRecord, level: FaultLevel, sla: Parameters<typeof clockLengths>[2]): TicketClocksRecord {
  const lengths = new Map(clockLengths('repair', level, sla).map((c) => [c.name, c.lengthMs]));
  return { ...clocks, clocks: clocks.clocks.map((c) => (c.stoppedAt ? c : { ...c, lengthMs: lengths.get(c.name) ?? c.lengthMs })) };
}

/** A clock as the calendar planned it: its breach instant and its rungs (an instant each, or null while held). */
export interface PlannedTicketClock {
  /** Absent in plans recorded before clocks had ids: the clock's name is its id. */
  id?: string;
  name: TicketClockName;
  dueAt: string | null;
  rungs: { rung: string; role: string; at: string | null }[];
}

/** The earliest rung not fired yet among the planned clocks (`fired` holds `<clock id>:<rung>`); undefined when none is left. */
export function nextClockRung(planned: readonly PlannedTicketClock[], fired: readonly string[]): { clock: { id: string; name: TicketClockName }; dueAt: string | null; rung: string; role: string; at: string } | undefined {
  return planned
    .flatMap((c) => {
      // Plans recorded before clocks had ids name the clock only.
      const id = c.id ?? c.name;
      return c.rungs.filter((r) => r.at && !fired.includes(`${id}:${r.rung}`)).map((r) => ({ clock: { id, name: c.name }, dueAt: c.dueAt, ...r, at: r.at! }));
    })
    .sort((a, b) => a.at.localeCompare(b.at))[0];
}

/** A complaint's close: the customer confirmed, with the root cause and the resolution given (the API requires both). */
export function complaintClosed(complaint: { rootCause?: string; resolution?: string }): Words {
  if (!complaint.rootCause && !complaint.resolution) return words('timeline.ticket.closedConfirmed');
  return words('timeline.ticket.closedComplaint', { rootCause: complaint.rootCause ?? '—', resolution: complaint.resolution ?? '—' });
}
