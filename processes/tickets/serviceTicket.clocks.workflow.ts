/**
 * The SLA clocks of a serviceTicket workflow (./serviceTicket.workflow.ts), workflow side: each
 * running clock planned on the calendar (the local activity planTicketClocks), its deadline row kept,
 * and its rungs fired in turn (the row marked, the timeline written, the notice sent beside), planned
 * again whenever a step moves the clocks or the calendar changes. Workflow code: no I/O of its own.
 */
import { condition, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createTicketActivities, PlannedClock, RecordTicketStepInput } from './activities';
import type { createTicketSurveyActivities } from './surveyActivities';
import { clockId, nextClockRung, TICKET_CLOCK_LABELS, type TicketClockName } from './rules';
import { msUntil, type Deadlines } from '../../platform/workflowKit/deadlines';
import { words, type Words } from '../../domain/words';
import type { StepKit } from '../../platform/workflowKit/steps';
import { notify } from '../../platform/workflowKit/notify';
import type { Person } from '../delivery/messages';
import type { ServiceTicketInput, ServiceTicketState } from './messages';
import { BACKGROUND_ACTIVITY } from '../../platform/workflowKit/activityOptions';

export type TicketActivities = ReturnType<typeof createTicketActivities> & ReturnType<typeof createTicketSurveyActivities>;

const background = proxyActivities<TicketActivities>(BACKGROUND_ACTIVITY);

const { planTicketClocks } = proxyLocalActivities<TicketActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** What the clocks share with the rest of the ticket's workflow. */
export interface TicketClocksContext {
  input: ServiceTicketInput;
  /** The workflow's own state object: the clocks read it as the steps change it. */
  state: ServiceTicketState;
  kit: StepKit<ServiceTicketState>;
  deadlines: Deadlines;
  /** Bumped by every change that moves a clock's instants. */
  clocksVersion: () => number;
  entry: (key: string, kind: string, said: Words, next: ServiceTicketState, options?: { data?: unknown }) => RecordTicketStepInput;
  ticketRef: () => Record<string, unknown>;
  noticeOptions: { timeZone: string; actionPath: string };
  /** Notices that go out beside the process: the workflow awaits them only at its end. */
  sideNotices: Promise<unknown>[];
  /** The resolve clock of a repair breached: a backup unit is due. */
  backupUnitDue: (breachAt: string) => Promise<void>;
}

/** The clocks' loop: runs until the ticket is closed (and again after a reopen). */
export function ticketClocks({ input, state, kit, deadlines, clocksVersion, entry, ticketRef, noticeOptions, sideNotices, backupUnitDue }: TicketClocksContext): () => Promise<void> {
  const { policy, ticketId } = input;
  const running = (id: string) => state.clocks.clocks.some((c) => clockId(c) === id && !c.stoppedAt);

  const deadlineKey = (id: string) => `ticket:${ticketId}:${id}`;
  const openRows = new Set<string>();

  async function recipientsFor(role: string): Promise<Person[]> {
    if (role === 'engineer' && state.assignee) return [state.assignee];
    // Nobody assigned yet: the engineer's warning goes to the dispatchers who should assign one.
    return background.ticketRecipients({ role: role === 'engineer' ? 'dispatcher' : role });
  }

  /** The rows pages read: one per running clock at its breach instant; closed once the clock stops. */
  async function syncRows(planned: PlannedClock[]): Promise<void> {
    for (const clock of state.clocks.clocks) {
      const id = clockId(clock);
      if (clock.stoppedAt) {
        if (openRows.delete(id)) await deadlines.close(deadlineKey(id), 'met');
        continue;
      }
      const due = planned.find((p) => (p.id ?? p.name) === id)?.dueAt;
      // On hold the due instant is unknown; the row keeps the last one until the clock runs again.
      if (!due) continue;
      await deadlines.open({ key: deadlineKey(id), kind: `ticket_${clock.name}`, words: words('deadline.ticket.clock', { ticket: ticketId, clock: clock.name, round: clock.round ?? 0, level: state.level }) }, { at: new Date(due), provisional: false });
      openRows.add(id);
    }
  }

  async function fire(clock: { id: string; name: TicketClockName }, rung: { rung: string; role: string; at: string }, dueAt: string | null, version: number): Promise<void> {
    const fired = await kit.exclusive(async () => {
      // A step may have stopped or moved the clock while this rung waited for the lock.
      if (version !== clocksVersion() || !running(clock.id)) return false;
      const key = `${clock.id}:${rung.rung}`;
      const next: ServiceTicketState = { ...state, fired: [...state.fired, key] };
      const late = rung.rung.startsWith('breach');
      await background.recordTicketStep(entry(`clock:${key}`, late ? 'sla_breach' : 'sla_warning', words('timeline.ticket.clockRung', { clock: clock.name, round: clock.id === clock.name ? 0 : Number(clock.id.slice(clock.id.indexOf('@') + 1)), rung: rung.rung, role: rung.role }), next, { data: { clock: clock.name, ...(clock.id === clock.name ? {} : { clockId: clock.id }), rung: rung.rung, role: rung.role, dueAt } }));
      Object.assign(state, next);
      return true;
    });
    if (!fired) return;
    const rungAt = rung.at;
    if (clock.name === 'resolve' && rung.rung === 'breach' && input.kind === 'repair') await backupUnitDue(dueAt ?? rungAt);
    await deadlines.markRung(deadlineKey(clock.id), rung.rung);
    // The notice waits its turn on the notices queue beside the clocks: the next rung never waits for it.
    sideNotices.push(sendRungNotice(clock, rung, dueAt, rungAt));
  }

  async function sendRungNotice(clock: { id: string; name: TicketClockName }, rung: { rung: string; role: string }, dueAt: string | null, rungAt: string): Promise<void> {
    const to = await recipientsFor(rung.role);
    await notify(`clock:${clock.id}:${rung.rung}`, 'ticket-clock', to, {
      ticket: ticketRef(),
      device: input.device ?? null,
      clock: TICKET_CLOCK_LABELS[clock.name],
      breached: rung.rung.startsWith('breach'),
      again: rung.rung === 'breach_again',
      dueAt: dueAt ?? rungAt,
      assigneeName: state.assignee?.name ?? null,
    }, noticeOptions);
  }

  return async function runClocks(): Promise<void> {
    for (;;) {
      if (state.status === 'closed') break;
      const version = clocksVersion();
      const calendarVersion = deadlines.calendarVersion;
      const planned = await planTicketClocks({ clocks: state.clocks, escalationChain: policy.sla.escalationChain });
      await syncRows(planned);
      const moved = () => version !== clocksVersion() || calendarVersion !== deadlines.calendarVersion || state.status === 'closed';
      for (;;) {
        if (moved()) break;
        const next = nextClockRung(planned, state.fired);
        if (!next) {
          await condition(moved);
          break;
        }
        if (await condition(moved, msUntil(new Date(next.at)))) break;
        await fire(next.clock, next, next.dueAt, version);
      }
    }
  };
}
