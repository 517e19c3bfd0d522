import type { TimelineEntry } from '../../platform/workflowKit/steps';
import { ApplicationFailure } from '@temporalio/common';
import { CalendarsRepository } from '../../schedule/calendars/repository';
import { DevicesRepository } from '../../installedBase/devices';
import { TicketsRepository, type TicketPatch } from './repository';
import { UsersRepository } from '../../people/repository';
import type { Role } from '../../domain/access';
import { clockId, clockRungs, clockStart, holdsOf, type TicketClockName, type TicketClocksRecord } from './rules';
import type { Person } from '../delivery/messages';
import type { TicketRecipientActivities } from './messages';
import type { ActivityDeps } from '../../platform/temporal/activityDeps';
import { words, type Words } from '../../domain/words';
import { say } from '../../platform/i18n/catalogue';

export interface RecordTicketStepInput extends Omit<TimelineEntry, 'summary'> {
  ticketId: number;
  /** What the entry says, as words (said in each reader's language). */
  words?: Words;
  /** The English sentence that activities scheduled before words carry (histories still running). */
  summary?: string;
  patch: TicketPatch;
  /** A free replacement: the new unit is the customer's device from now on, with its own warranty. */
  replacementDevice?: { customerId: number; serial: string; model: string; replaces: string; warrantyStartsAt: string; warrantyEndsAt: string };
}

export interface PlannedClock {
  /** `resolve`, or `resolve@1` for a reopened ticket's new resolve clock (see clockId). */
  id: string;
  name: TicketClockName;
  /** The breach instant; null while a hold stops the clock before it. */
  dueAt: string | null;
  rungs: { rung: string; role: string; at: string | null }[];
}

/** P3 tickets: their records, the clocks' instants on the calendar store, and who hears of a rung. */
export function createTicketActivities(deps: ActivityDeps) {
  const calendars = new CalendarsRepository(deps.knex);
  const users = new UsersRepository(deps.knex);

  async function recordReturnCall(ticketId: number, round: number, scheduledOn: number | null, said: Words, planId?: number): Promise<void> {
    await new TicketsRepository(deps.knex).addEvent(ticketId, {
      eventKey: `return_call:${round}`,
      kind: scheduledOn === null ? 'return_call_none' : 'return_call_scheduled',
      at: deps.now(),
      summary: say('en', said),
      words: said,
      data: { round, carePlanId: scheduledOn ?? planId ?? null },
    });
  }
  return {
    /** One step of a ticket whole, in one transaction: its timeline event and the row's new values. Idempotent by event key. */
    async recordTicketStep(input: RecordTicketStepInput): Promise<void> {
      await deps.knex.transaction(async (trx) => {
        const tickets = new TicketsRepository(trx);
        const inserted = await tickets.addEvent(input.ticketId, { eventKey: input.eventKey, kind: input.kind, at: new Date(input.at), actor: input.actor, summary: input.summary ?? say('en', input.words, input.kind), ...(input.words ? { words: input.words } : {}), data: input.data });
        if (!inserted) return;
        await tickets.applyPatch(input.ticketId, input.patch, deps.now());
        const unit = input.replacementDevice;
        if (unit) {
          const devices = new DevicesRepository(trx);
          if (!(await devices.getBySerial(unit.serial))) await devices.createMany(unit.customerId, [{ serial: unit.serial, model: unit.model }], deps.now());
          await devices.setWarranty([unit.serial], new Date(unit.warrantyStartsAt), new Date(unit.warrantyEndsAt), deps.now());
          await trx('devices').where({ serial: unit.replaces }).update({ status: 'replaced', updated_at: deps.now() });
        }
      });
    },

    /**
     * Every running clock's rungs on the calendar as the store holds it now, in the customer's zone.
     * A local activity: the calendar is reference data, so an admin's correction moves the rungs.
     */
    async planTicketClocks(input: { clocks: TicketClocksRecord; escalationChain: string[] }): Promise<PlannedClock[]> {
      const stored = await calendars.load(input.clocks.calendar);
      if (!stored) throw ApplicationFailure.nonRetryable(`Unknown calendar '${input.clocks.calendar}'`, 'UnknownCalendar');
      const basis = { clock: input.clocks.clock, calendar: { ...stored, timeZone: input.clocks.timeZone } };
      const holds = holdsOf(input.clocks);
      return input.clocks.clocks
        .filter((c) => !c.stoppedAt)
        .map((c) => {
          const rungs = clockRungs(clockStart(input.clocks, c), c.lengthMs, input.clocks.warnAt, input.escalationChain, holds, basis);
          const breach = rungs.find((r) => r.rung === 'breach')!;
          return { id: clockId(c), name: c.name, dueAt: breach.at?.toISOString() ?? null, rungs: rungs.map((r) => ({ rung: r.rung, role: r.role, at: r.at?.toISOString() ?? null })) };
        });
    },

    /**
     * The active care plan a closed repair's return call goes on: the plan covering the ticket's
     * device, else one of the device's site. None: the ticket's timeline says nothing was scheduled.
     */
    async returnCallPlanOf(input: { ticketId: number; round: number }): Promise<{ planId: number; workflowId: string } | null> {
      const ticket = (await deps.knex('tickets').where({ id: input.ticketId }).first('device_id')) as { device_id: number | null } | undefined;
      const deviceId = ticket?.device_id ?? null;
      let plan: { id: number; workflow_id: string } | undefined;
      if (deviceId !== null) {
        plan = (await deps.knex('care_plans as p').join('care_plan_devices as d', 'd.plan_id', 'p.id').where({ 'd.device_id': deviceId, 'p.status': 'active' }).orderBy('p.id', 'desc').first('p.id', 'p.workflow_id')) as typeof plan;
        if (!plan) {
          const device = (await deps.knex('devices').where({ id: deviceId }).first('site_id')) as { site_id: number | null } | undefined;
          if (device?.site_id) plan = (await deps.knex('care_plans').where({ site_id: device.site_id, status: 'active' }).orderBy('id', 'desc').first('id', 'workflow_id')) as typeof plan;
        }
      }
      if (plan) return { planId: Number(plan.id), workflowId: String(plan.workflow_id) };
      await recordReturnCall(input.ticketId, input.round, null, words(deviceId === null ? 'timeline.ticket.noDevice' : 'timeline.ticket.noPlan'));
      return null;
    },

    /** What became of a closed repair's return call, on the ticket's timeline (once per round). */
    async recordTicketReturnCall(input: { ticketId: number; round: number; planId: number; scheduled: boolean; dueAt: string }): Promise<void> {
      await recordReturnCall(input.ticketId, input.round, input.scheduled ? input.planId : null, input.scheduled ? words('timeline.ticket.returnCall', { due: input.dueAt, plan: input.planId }) : words('timeline.ticket.planEnded', { plan: input.planId }), input.planId);
    },

    /** The active users of a role of the escalation chain; service managers, else admins, when it has none. */
    async ticketRecipients(input: { role: string }): Promise<Person[]> {
      for (const role of [input.role, 'service_manager', 'admin']) {
        const found = await users.listActiveWithRole(role as Role).catch(() => []);
        if (found.length > 0) return found.map((u) => ({ name: u.name, email: u.email, locale: u.locale }));
      }
      return [];
    },
  };
}

// What tickets offer other processes through messages.ts is what they run.
const offered: (deps: ActivityDeps) => TicketRecipientActivities = createTicketActivities;
void offered;
