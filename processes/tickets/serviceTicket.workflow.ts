/**
 * P3 a repair ticket or a complaint, one workflow each: intake (the API decided entitlement and the
 * clocks), dispatch, acknowledge, arrive, hold / resume, level change, resolve with the repair record
 * and its charges, close.
 *
 * The SLA clocks (respond, on site, resolve; a complaint's reply) run from intake on the policy's SLA
 * clock in the customer's zone. Their instants come from the calendar store (the local activity
 * planTicketClocks), planned again whenever a step changes them (a hold, a resume, a new level, a
 * clock stopped) or an admin corrects the calendar. Each clock climbs its own ladder: warnings at
 * `sla.warnAt`, the breach at 100 %, and again a length later, each rung to the escalation chain's
 * role. The kit's runLadder is not used for these: its pause counts wall time (a hold over a night
 * would move a business-hours clock by the whole night) and its plan is fixed once made, while a
 * ticket's level change re-targets the running clocks. The deadline rows and the step kit are the
 * kit's.
 */
import { allHandlersFinished, condition, getExternalWorkflowHandle, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { repairReturnCallSignal } from '../care/messages';
import type { RecordTicketStepInput } from './activities';
import { ticketClocks, type TicketActivities } from './serviceTicket.clocks.workflow';

type TicketPatch = RecordTicketStepInput['patch'];
import { complaintClosed, releveledClocks, reopenedResolveClock, repairCharges, stopClocks } from './rules';
import { DomainError } from '../../domain/errors';
import { toDecimalString } from '../../domain/money';
import { words, type Words } from '../../domain/words';
import { Deadlines, msUntil, runLadder } from '../../platform/workflowKit/deadlines';
import { StepKit, invalidStep, rejectStep, type Actor } from '../../platform/workflowKit/steps';
import { NoticesBeside, escalate, notify } from '../../platform/workflowKit/notify';
import {
  acknowledgeTicketUpdate,
  arriveTicketUpdate,
  assignTicketUpdate,
  closeTicketUpdate,
  holdTicketUpdate,
  levelTicketUpdate,
  resolveTicketUpdate,
  backupUnitTicketUpdate,
  factoryRepairTicketUpdate,
  quoteAcceptedTicketUpdate,
  quoteRefusedTicketUpdate,
  quoteTicketUpdate,
  reopenTicketUpdate,
  replaceTicketUpdate,
  resumeTicketUpdate,
  surveyTicketUpdate,
  ticketStateQuery,
  type ServiceTicketInput,
  type ResolveStep,
  type ServiceTicketState,
  type TicketStepResult,
} from './messages';
import { STEP_ACTIVITY, BACKGROUND_ACTIVITY } from '../../platform/workflowKit/activityOptions';
import { noticesTaskQueue } from '../../platform/temporal/taskQueues';

type Activities = TicketActivities;

const steps = proxyActivities<Activities>(STEP_ACTIVITY);

const background = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

/** From this patch on, a step's notices go out beside it instead of inside it (under the lock). */
const STEP_NOTICES_BESIDE = 'ticket-step-notices-beside';

export async function serviceTicket(input: ServiceTicketInput): Promise<ServiceTicketState> {
  const { policy, ticketId } = input;
  const state: ServiceTicketState = {
    status: input.engineer ? 'assigned' : 'open',
    level: input.level,
    ...(input.engineer ? { assignee: input.engineer } : {}),
    onHold: false,
    clocks: input.clocks,
    fired: [],
    surveys: [],
    reopened: 0,
    ...(input.kind === 'complaint' ? { complaint: input.complaint ?? {} } : {}),
  };
  const kit = new StepKit<ServiceTicketState>({ backdateWithin: policy.steps.backdateWithin, lastStepAt: () => state.lastStepAt });
  const deadlines = new Deadlines(policy.calendar, { type: 'ticket', id: ticketId });
  const noticeOptions = { timeZone: input.customer.timeZone, actionPath: `/tickets/${ticketId}` };
  const ticketRef = () => ({ id: ticketId, kind: input.kind, symptom: input.symptom, customer: input.customer.name, level: state.level });
  /** Bumped by every change that moves a clock's instants. */
  let clocksVersion = 0;

  setHandler(ticketStateQuery, () => state);

  // The survey link is drawn and mailed on the notices queue (its token never enters this history).
  const { sendTicketSurveyLink } = proxyActivities<Activities>({
    taskQueue: noticesTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  /** Notices that go out beside the process (rungs, survey links): awaited only at the end. */
  const sideNotices: Promise<unknown>[] = [];
  /** A step's notices: the step answers once recorded, its mail follows (histories before the patch awaited them). */
  const stepNotices = new NoticesBeside();
  const noticesBesideSteps = () => patched(STEP_NOTICES_BESIDE);

  const result = (at: string): TicketStepResult => ({ status: state.status, level: state.level, onHold: state.onHold, at });

  function patchOf(next: ServiceTicketState, extra: TicketPatch = {}): TicketPatch {
    const progress = { ...(next.complaint ? { complaint: next.complaint } : {}), quote: next.quote ?? null, backup: next.backup ?? null, factory: next.factory ?? null, replacement: next.replacement ?? null, surveys: next.surveys, surveyDue: next.surveyDue ?? null, ...(next.surveyMissedAt ? { surveyMissedAt: next.surveyMissedAt } : {}), reopened: next.reopened };
    return { status: next.status, onHold: next.onHold, assigneeUserId: next.assignee?.userId ?? null, faultLevel: next.level, clockState: next.clocks, progress, ...extra };
  }

  function entry(key: string, kind: string, said: Words, next: ServiceTicketState, options: { actor?: Actor; at?: string; data?: unknown; extra?: TicketPatch } = {}): RecordTicketStepInput {
    return { ticketId, eventKey: key, kind, at: options.at ?? new Date().toISOString(), actor: options.actor, words: said, data: options.data, patch: patchOf(next, options.extra) };
  }

  const openIn = (s: ServiceTicketState) => s.status !== 'resolved' && s.status !== 'closed';
  const open = () => openIn(state);

  /**
   * Every recording is marked with kit.enter and the state it moves the ticket to: the row shows that
   * state before the workflow applies it, so a step sent in that moment is judged against it as well
   * (kit.allows), and again under the lock once the first step applied or failed.
   */
  /** Refuses (409) a step that neither the ticket's state nor the one being entered allows. */
  function refuse(...refusals: ((s: ServiceTicketState) => Words | undefined)[]): void {
    for (const refusal of refusals) {
      const reason = refusal(state);
      if (reason !== undefined && !kit.allows(state, (s) => refusal(s) === undefined)) rejectStep(reason);
    }
  }

  async function take(step: { actor: Actor }, at: string, key: string, kind: string, said: Words, next: ServiceTicketState, options: { data?: unknown; extra?: TicketPatch } = {}): Promise<TicketStepResult> {
    const entered = kit.enter(next);
    try {
      await steps.recordTicketStep(entry(`${key}:${at}`, kind, said, next, { actor: step.actor, at, ...options }));
    } finally {
      entered();
    }
    const clocksMoved = next.clocks !== state.clocks;
    Object.assign(state, next, { lastStepAt: at });
    if (clocksMoved) clocksVersion += 1;
    return result(at);
  }

  /** Out of scope, work starts only on a quote the customer accepted (advice needs none). */
  const quoteMissing = (s: ServiceTicketState) => (input.entitlement === 'out_of_scope' && s.quote?.status !== 'accepted' ? words('refusal.ticket.quoteMissing') : undefined);

  kit.step(assignTicketUpdate, {
    validate: () => refuse((s) => (!openIn(s) ? words('refusal.ticket.assignEnded', { status: s.status }) : undefined)),
    async apply(step, at) {
      // Reassignment keeps the clocks running: only the engineer changes.
      const next: ServiceTicketState = { ...state, assignee: step.engineer, status: state.status === 'open' ? 'assigned' : state.status };
      const answer = await take(step, at, 'assigned', 'assigned', words('timeline.ticket.assigned', { name: step.engineer.name }), next, { data: { engineer: step.engineer } });
      const assigned = { ticket: ticketRef(), device: input.device ?? null, openedAt: input.openedAt };
      if (noticesBesideSteps()) stepNotices.send(notify(`assigned:${at}`, 'ticket-assigned', [step.engineer], assigned, noticeOptions));
      else await notify(`assigned:${at}`, 'ticket-assigned', [step.engineer], assigned, noticeOptions);
      return answer;
    },
  });

  kit.step(acknowledgeTicketUpdate, {
    validate: () => refuse((s) => (s.status === 'assigned' ? undefined : s.status === 'open' ? words('refusal.ticket.notAssigned') : words('refusal.ticket.acknowledged', { status: s.status }))),
    apply: (step, at) =>
      take(step, at, 'acknowledged', 'acknowledged', words(input.kind === 'complaint' ? 'timeline.ticket.answered' : 'timeline.ticket.responded'), {
        ...state,
        status: 'acknowledged',
        clocks: stopClocks(state.clocks, ['respond', 'reply'], at),
      }),
  });

  kit.step(arriveTicketUpdate, {
    validate() {
      if (input.kind !== 'repair') rejectStep(words('refusal.ticket.complaintNoVisit'));
      refuse((s) => (s.status !== 'assigned' && s.status !== 'acknowledged' ? words('refusal.ticket.arrive', { status: s.status }) : undefined), quoteMissing);
    },
    apply: (step, at) => take(step, at, 'arrived', 'arrived', words('timeline.ticket.arrived'), { ...state, status: 'on_site', clocks: stopClocks(state.clocks, ['respond', 'onSite'], at) }),
  });

  kit.step(holdTicketUpdate, {
    validate() {
      refuse((s) => (!openIn(s) ? words('refusal.ticket.holdEnded', { status: s.status }) : s.onHold ? words('refusal.ticket.alreadyOnHold') : undefined));
    },
    apply: (step, at) =>
      take(step, at, 'hold', 'hold', step.note ? words('timeline.ticket.holdNote', { reason: step.reason, note: step.note }) : words('timeline.ticket.hold', { reason: step.reason }), {
        ...state,
        onHold: true,
        clocks: { ...state.clocks, holds: [...state.clocks.holds, { from: at, reason: step.reason }] },
      }),
  });

  kit.step(resumeTicketUpdate, {
    validate: () => refuse((s) => (!s.onHold ? words('refusal.ticket.notOnHold') : undefined)),
    apply: (step, at) =>
      take(step, at, 'resumed', 'resumed', words('timeline.ticket.resumed'), {
        ...state,
        onHold: false,
        clocks: { ...state.clocks, holds: state.clocks.holds.map((h) => (h.to ? h : { ...h, to: at })) },
      }),
  });

  kit.step(levelTicketUpdate, {
    validate(step) {
      if (input.kind !== 'repair') rejectStep(words('refusal.ticket.complaintNoLevel'));
      refuse((s) => (!openIn(s) ? words('refusal.ticket.levelEnded', { status: s.status }) : undefined));
      if (step.level === state.level) invalidStep(words('refusal.ticket.sameLevel', { level: step.level }), 'level');
    },
    apply(step, at) {
      // Running clocks take the new level's lengths, still counted from intake minus holds.
      const clocks = releveledClocks(state.clocks, step.level, policy.sla);
      return take(step, at, 'level', 'level_changed', words('timeline.ticket.level', { from: state.level, to: step.level, reason: step.reason }), { ...state, level: step.level, clocks }, { data: { from: state.level, to: step.level } });
    },
  });

  function chargesOf(step: ResolveStep, entitlement = input.entitlement) {
    try {
      return repairCharges({ entitlement, qualityFault: step.qualityFault, parts: step.parts, labourHours: step.labourMinutes / 60, labourRate: step.labourRate, travel: step.travel });
    } catch (error) {
      if (error instanceof DomainError) invalidStep(error.words ?? error.message, error.field ?? '');
      throw error;
    }
  }

  kit.step(resolveTicketUpdate, {
    validate(step) {
      if (input.kind !== 'repair') rejectStep(words('refusal.ticket.complaintNotResolved'));
      refuse((s) => (s.status !== 'acknowledged' && s.status !== 'on_site' ? words('refusal.ticket.resolve', { status: s.status }) : s.onHold ? words('refusal.ticket.resolveOnHold') : undefined), quoteMissing);
      chargesOf(step);
    },
    async apply(step, at) {
      const charges = chargesOf(step);
      const record = { diagnosis: step.diagnosis, workDone: step.workDone, parts: step.parts, labourMinutes: step.labourMinutes, travel: step.travel, customerSignature: step.customerSignature ?? null, qualityFault: step.qualityFault, charges };
      const answer = await take(step, at, 'resolved', 'resolved', words('timeline.ticket.resolved', { work: step.workDone }), { ...state, status: 'resolved', charges, clocks: stopClocks(state.clocks, ['respond', 'onSite', 'resolve'], at) }, { data: record, extra: { charges, resolvedAt: at } });
      const resolved = { ticket: ticketRef(), device: input.device ?? null, workDone: step.workDone, total: charges.total, free: charges.total.amount === 0, resolvedAt: at };
      if (noticesBesideSteps()) stepNotices.send(notify(`resolved:${at}`, 'ticket-resolved', input.customer.contacts, resolved, noticeOptions));
      else await notify(`resolved:${at}`, 'ticket-resolved', input.customer.contacts, resolved, noticeOptions);
      return answer;
    },
  });

  kit.step(closeTicketUpdate, {
    validate() {
      refuse((s) => (input.kind === 'repair' && s.status !== 'resolved' ? words('refusal.ticket.closeUnresolved', { status: s.status }) : input.kind === 'complaint' && s.status !== 'acknowledged' ? words('refusal.ticket.closeUnanswered', { status: s.status }) : undefined));
    },
    async apply(step, at) {
      const surveyDue = input.kind === 'repair' ? (await deadlines.add(at, policy.ticket.surveyWithin)).at.toISOString() : undefined;
      // A complaint's root cause and resolution (P3c), required by the API at close; recorded as given.
      const complaint = input.kind === 'complaint' ? { ...state.complaint, ...(step.category ? { category: step.category } : {}), ...(step.rootCause ? { rootCause: step.rootCause } : {}), ...(step.resolution ? { resolution: step.resolution } : {}) } : undefined;
      const summary = complaint ? complaintClosed(complaint) : words('timeline.ticket.closed', { due: surveyDue ?? null });
      const answer = await take(step, at, 'closed', 'closed', summary, { ...state, status: 'closed', surveyDue, clocks: stopClocks(state.clocks, ['reply'], at), ...(complaint ? { complaint } : {}) }, { extra: { closedAt: at }, ...(complaint ? { data: complaint } : {}) });
      // The customer's survey link, good until the survey is due; answering it is the survey step.
      if (surveyDue && patched('ticket-survey-link')) sideNotices.push(sendSurveyLinks(state.reopened, surveyDue));
      // The dispatcher's return call after the repair lands in the care plan's call queue (P3 close → survey).
      if (surveyDue && patched('ticket-return-call')) sideNotices.push(scheduleReturnCall(state.reopened, surveyDue));
      return answer;
    },
  });

  /** Puts the return call on the care plan of the device, or records that no plan takes one. */
  async function scheduleReturnCall(round: number, dueAt: string): Promise<void> {
    const plan = await background.returnCallPlanOf({ ticketId, round });
    if (!plan) return;
    let scheduled = true;
    try {
      await getExternalWorkflowHandle(plan.workflowId).signal(repairReturnCallSignal, { ticketId, round, dueAt });
    } catch {
      // The plan's process is over (ended): nothing to call back from.
      scheduled = false;
    }
    await background.recordTicketReturnCall({ ticketId, round, planId: plan.planId, scheduled, dueAt });
  }

  async function sendSurveyLinks(round: number, dueAt: string): Promise<void> {
    const { workflowId } = workflowInfo();
    await Promise.all(
      input.customer.contacts.map((person) =>
        sendTicketSurveyLink({ idempotencyKey: `${workflowId}:survey-link:${round}:${person.email}`, ticketId, round, to: person, dueAt, timeZone: input.customer.timeZone, context: { ticket: ticketRef(), device: input.device ?? null } }),
      ),
    );
  }

  /**
   * Back to the engineer: the customer is not satisfied yet (002). The SLA clocks keep their first
   * result, and a new resolve clock runs from the reopen at the level's length, with its own ladder.
   */
  function reopenedState(at: string): ServiceTicketState {
    const reopened = state.reopened + 1;
    const clocks = patched('ticket-reopen-resolve-clock') ? { ...state.clocks, clocks: [...state.clocks.clocks, reopenedResolveClock(at, reopened, state.level, policy.sla)] } : state.clocks;
    return { ...state, status: state.assignee ? 'assigned' : 'open', surveyDue: undefined, reopened, clocks };
  }
  const awaitingSurveyIn = (s: ServiceTicketState) => s.status === 'closed' && s.surveyDue !== undefined && !surveyOver;
  let surveyOver = false;

  kit.step(surveyTicketUpdate, {
    validate(step) {
      if (input.kind !== 'repair') rejectStep(words('refusal.ticket.complaintNoSurvey'));
      refuse((s) => (awaitingSurveyIn(s) ? undefined : s.status === 'closed' ? words('refusal.ticket.surveyOver') : words('refusal.ticket.surveyNotClosed', { status: s.status })));
      if (!Number.isInteger(step.score) || step.score < 1 || step.score > 5) invalidStep(words('refusal.ticket.score'), 'score');
      if (step.round !== undefined && step.round !== state.reopened) rejectStep(words('refusal.ticket.surveyRound', { round: step.round }));
    },
    async apply(step, at) {
      const low = step.score <= policy.ticket.reopenAtOrBelow || step.notSatisfied === true;
      const answer = { score: step.score, ...(step.comment ? { comment: step.comment } : {}), satisfied: !low, at, reopened: low };
      const next: ServiceTicketState = low ? { ...reopenedState(at), surveys: [...state.surveys, answer] } : { ...state, surveys: [...state.surveys, answer] };
      const summary = low ? words('timeline.ticket.unsatisfied', { score: step.score, notSatisfied: step.notSatisfied ? 'yes' : 'no' }) : words('timeline.ticket.satisfied', { score: step.score });
      // Satisfied: the ticket is closed for good from this answer on.
      if (!low) surveyOver = true;
      return take(step, at, 'survey', low ? 'reopened' : 'surveyed', summary, next, { data: answer, extra: low ? { closedAt: null } : {} });
    },
  });

  kit.step(reopenTicketUpdate, {
    validate() {
      if (input.kind !== 'repair') rejectStep(words('refusal.ticket.complaintNoReopen'));
      refuse((s) => (s.status !== 'closed' && s.status !== 'resolved' ? words('refusal.ticket.stillOpen', { status: s.status }) : s.status === 'closed' && !awaitingSurveyIn(s) ? words('refusal.ticket.closedForGood') : undefined));
    },
    apply: (step, at) => take(step, at, 'reopen', 'reopened', words('timeline.ticket.reopened', { reason: step.reason }), reopenedState(at), { extra: { closedAt: null } }),
  });

  // -------------------------------------------------------------------------------------------
  // Quotes (out of scope: hours + travel, 004; travel + wages, 003 §2)

  kit.step(quoteTicketUpdate, {
    validate(step) {
      if (input.kind !== 'repair') rejectStep(words('refusal.ticket.complaintNoQuote'));
      if (input.entitlement !== 'out_of_scope') rejectStep(words('refusal.ticket.covered', { entitlement: input.entitlement }));
      refuse((s) => (!openIn(s) ? words('refusal.ticket.quoteEnded', { status: s.status }) : s.quote && s.quote.status !== 'refused' ? words('refusal.ticket.quoted', { quote: s.quote.status }) : undefined));
      quoteCharges(step);
    },
    async apply(step, at) {
      const charges = quoteCharges(step);
      const quote = { total: charges.total, labourMinutes: step.labourMinutes, labourRate: step.labourRate, travel: step.travel, parts: step.parts, ...(step.note ? { note: step.note } : {}), status: 'pending' as const, at };
      const answer = await take(step, at, 'quote', 'quoted', words('timeline.ticket.quoted', { amount: toDecimalString(quote.total), currency: quote.total.currency }), { ...state, quote }, { data: quote });
      // The customer hears the quote and how to accept it; the dispatcher records the answer.
      const quoted = {
        ticket: ticketRef(),
        device: input.device ?? null,
        labourHours: Math.round((step.labourMinutes / 60) * 100) / 100,
        labourRate: step.labourRate,
        labour: charges.labour,
        travel: charges.travel,
        parts: charges.parts,
        total: charges.total,
        note: step.note ?? null,
        quotedAt: at,
      };
      if (noticesBesideSteps()) stepNotices.send(notify(`quote:${at}`, 'ticket-quote', input.customer.contacts, quoted, noticeOptions));
      else await notify(`quote:${at}`, 'ticket-quote', input.customer.contacts, quoted, noticeOptions);
      return answer;
    },
  });

  function quoteCharges(step: { labourMinutes: number; labourRate: ResolveStep['labourRate']; travel: ResolveStep['travel']; parts: ResolveStep['parts'] }) {
    return chargesOf({ ...step, qualityFault: false, diagnosis: '', workDone: '' } as ResolveStep, 'out_of_scope');
  }

  kit.step(quoteAcceptedTicketUpdate, {
    validate: () => refuse((s) => (s.quote?.status !== 'pending' ? words('refusal.ticket.noPendingQuote') : undefined)),
    apply: (step, at) => take(step, at, 'quote_accepted', 'quote_accepted', words('timeline.ticket.quoteAccepted'), { ...state, quote: { ...state.quote!, status: 'accepted' } }),
  });

  kit.step(quoteRefusedTicketUpdate, {
    validate: () => refuse((s) => (s.quote?.status !== 'pending' ? words('refusal.ticket.noPendingQuote') : undefined)),
    // Advice only: the ticket closes with its clocks stopped, and no survey is asked.
    apply: (step, at) =>
      take(step, at, 'quote_refused', 'quote_refused', words('timeline.ticket.quoteRefused'), { ...state, status: 'closed', quote: { ...state.quote!, status: 'refused' }, clocks: stopClocks(state.clocks, ['respond', 'onSite', 'resolve'], at) }, { extra: { closedAt: at } }),
  });

  // -------------------------------------------------------------------------------------------
  // Not fixed in time: backup unit, factory repair, replacement (000, 003 §6)

  const watches: Promise<unknown>[] = [];
  const serviceManagers = undefined; // escalate(): every active service manager, else the admins

  /** A deadline of its own, escalated to the service managers if it passes unmet. */
  function watch(key: 'backup_unit' | 'factory_repair', kind: string, dueAt: () => string, met: () => boolean): void {
    const rowKey = `ticket:${ticketId}:${key}`;
    const said = words(key === 'backup_unit' ? 'deadline.ticket.backupUnit' : 'deadline.ticket.factoryRepair', { ticket: ticketId });
    const chase = async () => {
      const outcome = await runLadder(deadlines, {
        deadline: { key: rowKey, kind, words: said },
        plan: async () => ({ due: { at: new Date(dueAt()), provisional: false }, rungs: [{ rung: 'escalation' as const, at: new Date(dueAt()) }] }),
        met,
        closeAs: () => (state.status === 'closed' && !met() ? 'dropped' : 'met'),
        async onRung(_rung, due) {
          await background.recordTicketStep(entry(`${key}_overdue`, `${key}_overdue`, words('timeline.ticket.overdue', { what: key }), state));
          await escalate(`${key}:escalation`, serviceManagers, { missedWords: said, dueAt: due.toISOString(), responsibleName: state.assignee?.name ?? '—', device: input.device ?? null }, noticeOptions);
        },
      });
      // Escalated and still pending: the row stays overdue until it is done.
      if (outcome === 'exhausted') {
        await condition(met);
        await deadlines.close(rowKey, 'met');
      }
    };
    watches.push(chase());
  }

  /** The resolve clock breached: a backup unit is due on site within sla.backupUnitWithin. */
  async function backupUnitDue(breachAt: string): Promise<void> {
    const dueAt = (await deadlines.add(breachAt, policy.sla.backupUnitWithin)).at.toISOString();
    await kit.exclusive(async () => {
      if (state.backup || !open()) return;
      const next: ServiceTicketState = { ...state, backup: { dueAt } };
      const entered = kit.enter(next);
      try {
        await background.recordTicketStep(entry('backup_due', 'backup_unit_due', words('timeline.ticket.backupDue', { due: dueAt }), next, { data: next.backup }));
      } finally {
        entered();
      }
      Object.assign(state, next);
      watch('backup_unit', 'ticket_backup_unit', () => state.backup!.dueAt, () => state.backup?.deliveredAt !== undefined || !open());
    });
  }

  kit.step(backupUnitTicketUpdate, {
    validate() {
      refuse((s) => (!s.backup ? words('refusal.ticket.noBackupDue') : s.backup.deliveredAt ? words('refusal.ticket.backupOnSite') : undefined));
    },
    apply: (step, at) => take(step, at, 'backup_unit', 'backup_unit', words('timeline.ticket.backupUnit', { serial: step.serial }), { ...state, backup: { ...state.backup!, deliveredAt: at, serial: step.serial } }),
  });

  kit.step(factoryRepairTicketUpdate, {
    validate(step) {
      refuse((s) =>
        !s.backup ? words('refusal.ticket.factoryNotDue')
        : step.action === 'sent' && s.factory ? words('refusal.ticket.atFactory')
        : step.action === 'returned' && (!s.factory || s.factory.returnedAt || s.replacement) ? words('refusal.ticket.notAtFactory')
        : undefined,
      );
    },
    async apply(step, at) {
      if (step.action === 'sent') {
        const dueAt = (await deadlines.add(at, policy.sla.factoryRepairWithin)).at.toISOString();
        const answer = await take(step, at, 'factory_sent', 'factory_repair_sent', words('timeline.ticket.factorySent', { due: dueAt }), { ...state, factory: { sentAt: at, dueAt } });
        watch('factory_repair', 'ticket_factory_repair', () => state.factory!.dueAt, () => state.factory?.returnedAt !== undefined || state.replacement !== undefined || !open());
        return answer;
      }
      return take(step, at, 'factory_returned', 'factory_repair_returned', words('timeline.ticket.factoryReturned'), { ...state, factory: { ...state.factory!, returnedAt: at } });
    },
  });

  kit.step(replaceTicketUpdate, {
    validate() {
      refuse((s) => (!s.factory ? words('refusal.ticket.replaceNotDue') : s.factory.returnedAt ? words('refusal.ticket.cameBackRepaired') : s.replacement ? words('refusal.ticket.alreadyReplaced') : undefined));
      if (!input.device) rejectStep(words('refusal.ticket.noDeviceToReplace'));
    },
    async apply(step, at) {
      const warrantyEndsAt = (await deadlines.add(at, policy.warranty.length)).at.toISOString();
      const next: ServiceTicketState = { ...state, replacement: { serial: step.serial, at } };
      const entered = kit.enter(next);
      try {
        await steps.recordTicketStep({
          ...entry(`replaced:${at}`, 'replaced', words('timeline.ticket.replaced', { serial: step.serial, until: warrantyEndsAt }), next, { actor: step.actor, at, data: next.replacement }),
          replacementDevice: { customerId: input.customer.id, serial: step.serial, model: input.device!.model, replaces: input.device!.serial, warrantyStartsAt: at, warrantyEndsAt },
        });
      } finally {
        entered();
      }
      Object.assign(state, next, { lastStepAt: at });
      return result(at);
    },
  });

  // -------------------------------------------------------------------------------------------
  // The clocks (./serviceTicket.clocks.workflow.ts)

  // The clocks start at once; the engineer's notice goes out beside them.
  const intakeNotice = input.engineer ? notify('assigned:intake', 'ticket-assigned', [input.engineer], { ticket: ticketRef(), device: input.device ?? null, openedAt: input.openedAt }, noticeOptions) : Promise.resolve([]);

  const runClocks = ticketClocks({ input, state, kit, deadlines, clocksVersion: () => clocksVersion, entry, ticketRef, noticeOptions, sideNotices, backupUnitDue });
  const surveyKey = `ticket:${ticketId}:survey`;
  for (;;) {
    await runClocks();
    if (!state.surveyDue) break;
    // Closed: the customer's survey is awaited; a low score or a reopen sends the ticket back to work.
    const due = state.surveyDue;
    await deadlines.open({ key: surveyKey, kind: 'ticket_survey', words: words('deadline.ticket.survey', { ticket: ticketId }) }, { at: new Date(due), provisional: false });
    // A satisfied answer ends the wait (surveyOver), a low one reopens (the status moves); either may
    // already have come while the clocks loop was still ending.
    const answered = await condition(() => state.status !== 'closed' || surveyOver, msUntil(new Date(due)));
    if (!answered) {
      const late = await kit.exclusive(async () => {
        if (state.status !== 'closed' || surveyOver) return false;
        const next: ServiceTicketState = { ...state, surveyMissedAt: due };
        await background.recordTicketStep(entry(`survey_missed:${due}`, 'survey_missed', words('timeline.ticket.surveyMissed'), next));
        Object.assign(state, next);
        surveyOver = true;
        return true;
      });
      if (late) {
        await deadlines.close(surveyKey, 'dropped');
        break;
      }
    }
    await deadlines.close(surveyKey, 'met');
    if (state.status === 'closed') {
      await kit.exclusive(async () => void (surveyOver = true));
      break;
    }
  }

  await deadlines.closeAll('met');
  await intakeNotice;
  await Promise.all([...watches, ...sideNotices]);
  await condition(() => allHandlersFinished() && stepNotices.settled());
  return state;
}
