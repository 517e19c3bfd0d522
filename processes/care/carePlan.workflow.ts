/**
 * P4 a care plan, for years: inspections that taper with age, return calls, the free maintenance
 * before the warranty ends, the expiry notices with the maintenance-contract offer, and the visits a
 * maintenance contract adds. Rules are in domain/care.ts; the times come from the calendar store (the
 * local activity computeCare), so an admin's calendar correction reaches the next computation.
 *
 * - Only tasks due within `care.taskHorizon` are materialized as rows (care_visits, care_calls);
 *   the rest of the schedule is the series' cursors. A materialized task enters the state BEFORE its
 *   row is written, so a step sent the instant the row is listed is accepted; if the write fails for
 *   good the tasks leave the state again and are tried at the next wake.
 * - Each open task climbs a ladder (the kit's runLadder): a reminder `care.remindBefore` ahead, and
 *   once its window closes, overdue: on record and escalated to the service manager.
 * - Steps on a visit or a call are updates of this workflow (the step kit), recorded whole, then applied.
 * - The history stays bounded: the plan continues as new with its state (every open task, the cursors).
 */
import { allHandlersFinished, condition, continueAsNew, patched, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createCareActivities } from './activities';
import type { TicketRecipientActivities } from '../tickets/messages';
import type { CareBasisRecord, RecordCareStepInput, TaskTimes } from './activities';
import { CARE_TASK_LABELS, NO_CURSORS, careNoticeTemplate, isVisitKind } from './rules';
import { words, type Words } from '../../domain/words';
import { DEFAULT_POLICY, mergePolicy, type PolicyOverride } from '../../domain/policy';
import { BACKGROUND_ACTIVITY, STEP_ACTIVITY } from '../../platform/workflowKit/activityOptions';
import { Deadlines, msUntil, runLadder } from '../../platform/workflowKit/deadlines';
import { StepKit, invalidStep, rejectStep, type Actor } from '../../platform/workflowKit/steps';
import { NoticesBeside, escalate, notify } from '../../platform/workflowKit/notify';
import { registerCallSteps } from './carePlan.calls.workflow';
import type { Person } from '../delivery/messages';
import {
  addContractUpdate,
  addExtraVisitUpdate,
  closeFollowUpUpdate,
  assignVisitUpdate,
  cancelVisitUpdate,
  carePlanStateQuery,
  completeVisitUpdate,
  endPlanUpdate,
  repairCallKey,
  repairReturnCallSignal,
  rescheduleCallUpdate,
  rescheduleVisitUpdate,
  skipVisitUpdate,
  updatePolicyUpdate,
  type CarePlanInput,
  type CarePlanState,
  type CareStepResult,
  type OpenCareTask,
  type RescheduleTaskStep,
} from './messages';

type Activities = ReturnType<typeof createCareActivities> & TicketRecipientActivities;

const steps = proxyActivities<Activities>(STEP_ACTIVITY);
const background = proxyActivities<Activities>(BACKGROUND_ACTIVITY);
/** Materialization gives up after a few tries: the tasks leave the state and are tried again later. */
const materializing = proxyActivities<Activities>({ ...STEP_ACTIVITY, startToCloseTimeout: '30 seconds' });

const { computeCare } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** From this patch on, a step's notices go out beside it instead of inside it (under the lock). */
const STEP_NOTICES_BESIDE = 'care-step-notices-beside';

/** After a failed materialization, the next try. */
const MATERIALIZE_RETRY_MS = 60_000;

export async function carePlan(input: CarePlanInput): Promise<CarePlanState> {
  const { workflowId } = workflowInfo();
  const planId =
    input.state?.planId ??
    input.planId ??
    (await background.openCarePlan({ workflowId, customerId: input.customerId, siteId: input.siteId, projectId: input.projectId, deviceIds: input.deviceIds, customerClass: input.customerClass, anchorAt: input.anchorAt, warrantyEndsAt: input.warrantyEndsAt, policy: input.policy }));
  const state: CarePlanState = input.state
    ? { ...input.state, runs: input.state.runs + 1 }
    : // A policy frozen before the care fields existed (a project started earlier) takes their defaults.
      { planId, startedAt: new Date().toISOString(), status: 'active', policy: mergePolicy(DEFAULT_POLICY, input.policy as PolicyOverride), contracts: [], cursors: { ...NO_CURSORS, contracts: {} }, open: {}, noticesSent: [], followUps: 0, finished: 0, runs: 1, openItems: [] };
  const kit = new StepKit({ backdateWithin: state.policy.steps.backdateWithin, lastStepAt: () => state.lastStepAt });
  const deadlines = new Deadlines(state.policy.calendar, { type: 'care_plan', id: planId });
  const noticeOptions = { timeZone: input.timeZone, actionPath: `/care-plans/${planId}` };
  const care = () => state.policy.care;
  /** Bumped by whatever changes the schedule or the notices (a contract, a policy, the end). */
  let scheduleVersion = 0;
  let tasksThisRun = 0;
  const chases: Promise<void>[] = [];
  /** A step's notices: the step answers once recorded, its mail follows (histories before the patch awaited them). */
  const stepNotices = new NoticesBeside();
  const noticesBesideSteps = () => patched(STEP_NOTICES_BESIDE);
  /** Handlers done and their notices out: the run may end or continue as new. */
  const quiet = () => allHandlersFinished() && stepNotices.settled();

  setHandler(carePlanStateQuery, () => state);

  const basis = (): CareBasisRecord => ({ anchorAt: input.anchorAt, warrantyEndsAt: input.warrantyEndsAt ?? null, customerClass: input.customerClass, contracts: state.contracts });
  const compute = (computation: Parameters<Activities['computeCare']>[0]['computation']) => computeCare({ calendar: state.policy.calendar, care: care(), computation });
  const planRef = () => ({ id: planId, customer: input.customerName });
  const labelOf = (task: OpenCareTask) => CARE_TASK_LABELS[task.kind];

  /** A timeline entry: what happened as words (said in each reader's language), never as a sentence. */
  function entry(eventKey: string, kind: string, said: Words, options: Partial<RecordCareStepInput> & { actor?: Actor; at?: string } = {}): RecordCareStepInput {
    return { planId, eventKey, kind, at: options.at ?? new Date().toISOString(), words: said, ...options };
  }

  // -------------------------------------------------------------------------------------------
  // Who hears of what

  const serviceDesk = (): Promise<Person[]> => background.ticketRecipients({ role: 'dispatcher' });
  const serviceManagers = (): Promise<Person[]> => background.ticketRecipients({ role: 'service_manager' });

  async function responsibleFor(task: OpenCareTask): Promise<Person[]> {
    if (task.assignee) return [task.assignee];
    return isVisitKind(task.kind) ? serviceManagers() : serviceDesk();
  }

  // -------------------------------------------------------------------------------------------
  // Each open task's ladder: reminder, then overdue and escalated

  const rowKey = (task: OpenCareTask) => `care:${planId}:${task.key}:v${task.version}`;

  function chase(key: string): void {
    const task = state.open[key];
    if (!task) return;
    const version = task.version;
    const stillThis = () => state.open[key]?.version === version;
    const deadline = { key: rowKey(task), kind: isVisitKind(task.kind) ? 'care_visit' : 'care_call', words: words('deadline.care.task', { planId, task: task.kind, key: task.key }) };
    const run = async () => {
      const outcome = await runLadder(deadlines, {
        deadline,
        plan: async () => ({
          due: { at: new Date(task.windowEnd), provisional: false },
          rungs: [
            { rung: 'reminder' as const, at: new Date(task.remindAt) },
            { rung: 'overdue' as const, at: new Date(task.windowEnd) },
          ],
        }),
        met: () => !stillThis(),
        // Moved: this version's row gives way to the next one's.
        closeAs: () => (state.open[key] ? 'dropped' : 'met'),
        async onRung(rung) {
          const current = state.open[key] ?? task;
          // No `…Key` fields: the notice layer would replace `task` by a label of that key.
          const context = { plan: planRef(), task: { key, label: labelOf(current), dueAt: current.dueAt, windowEnd: current.windowEnd }, dueAt: current.dueAt };
          const noticeKey = `${key}:v${version}:${rung}`;
          if (rung === 'reminder') {
            await notify(noticeKey, 'care-task-reminder', await responsibleFor(current), context, noticeOptions);
            return;
          }
          await background.recordCareStep(entry(noticeKey, 'task_overdue', words('timeline.care.task_overdue', { task: current.kind, key, windowEnd: current.windowEnd }), { data: { key, windowEnd: current.windowEnd } }));
          await escalate(noticeKey, undefined, { missedWords: words('notice.care.missed', { task: current.kind, customer: input.customerName }), dueAt: current.windowEnd, responsibleName: current.assignee?.name ?? '—' }, noticeOptions);
        },
      });
      if (outcome === 'exhausted') {
        await condition(() => !stillThis());
        await deadlines.close(deadline.key, state.open[key] ? 'dropped' : 'met');
      }
    };
    chases.push(run());
  }

  // -------------------------------------------------------------------------------------------
  // Materializing the horizon

  /** Adds the tasks due within the horizon; answers when the next one not yet materialized is due. */
  async function materialize(): Promise<{ nextAt: string | null; failed: boolean }> {
    return kit.exclusive(async () => {
      if (state.status !== 'active') return { nextAt: null, failed: false };
      const until = (await deadlines.add(new Date(), care().taskHorizon)).at.toISOString();
      const result = await compute({ what: 'tasks', basis: basis(), cursors: state.cursors, until, customerId: input.customerId });
      // A plan started for equipment already in the field does not make up for the tasks whose window closed before it.
      const started = new Date(state.startedAt).getTime();
      const tasks = (result.tasks ?? []).filter((t) => new Date(t.windowEnd).getTime() >= started).map((t: TaskTimes): OpenCareTask => ({ ...t, attempts: 0, version: 0, assignee: isVisitKind(t.kind) ? (result.engineer ?? input.engineer ?? null) : null }));
      if (tasks.length === 0) {
        state.cursors = result.cursors!;
        return { nextAt: result.nextAt ?? null, failed: false };
      }
      // Read your writes: the state knows the tasks before their rows can be listed.
      const before = state.cursors;
      for (const task of tasks) state.open[task.key] = task;
      state.cursors = result.cursors!;
      try {
        await materializing.materializeCareTasks({ planId, customerId: input.customerId, projectId: input.projectId ?? null, tasks });
      } catch {
        for (const task of tasks) delete state.open[task.key];
        state.cursors = before;
        return { nextAt: null, failed: true };
      }
      tasksThisRun += tasks.length;
      for (const task of tasks) chase(task.key);
      return { nextAt: result.nextAt ?? null, failed: false };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Dated notices: the warranty's expiry (with the contract offer), a contract's renewal

  async function sendDueNotices(): Promise<string | null> {
    const all = (await compute({ what: 'notices', basis: basis() })).notices ?? [];
    // Dates that passed before the plan began (a warranty long expired) are not announced now.
    const notices = all.filter((n) => new Date(n.at).getTime() >= new Date(state.startedAt).getTime());
    const now = Date.now();
    for (const notice of notices) {
      if (state.noticesSent.includes(notice.key) || new Date(notice.at).getTime() > now) continue;
      const template = careNoticeTemplate(notice.kind);
      const contract = notice.kind === 'contract_renewal' ? state.contracts.find((c) => notice.key === `contract_renewal:${c.id}`) : undefined;
      const context = { plan: planRef(), warrantyEndsAt: input.warrantyEndsAt ?? null, contract: contract ?? null, hasContract: state.contracts.length > 0 };
      await kit.exclusive(async () => {
        await background.recordCareStep(entry(`notice:${notice.key}`, notice.kind, words('timeline.care.notice', { notice: notice.kind }), { data: { at: notice.at } }));
        state.noticesSent.push(notice.key);
      });
      await notify(`notice:${notice.key}`, template, [...input.customerContacts, ...(await serviceManagers())], context, noticeOptions);
    }
    const next = notices.find((n) => !state.noticesSent.includes(n.key));
    return next?.at ?? null;
  }

  // -------------------------------------------------------------------------------------------
  // Steps on visits and calls

  function openTask(taskKey: string, visit: boolean): OpenCareTask {
    const task = state.open[taskKey];
    if (state.status !== 'active') rejectStep(words('refusal.care.ended'));
    if (!task || isVisitKind(task.kind) !== visit) rejectStep(words('refusal.care.taskNotOpen', { visit: visit ? 'yes' : 'no', key: taskKey }));
    return task;
  }

  function requireReason(reason: string): void {
    if (typeof reason !== 'string' || reason.trim() === '') invalidStep(words('refusal.care.reasonRequired'), 'reason');
  }

  function requireInstant(text: string, field: string): void {
    if (typeof text !== 'string' || Number.isNaN(new Date(text).getTime())) invalidStep(words('refusal.care.instant'), field);
  }

  const answer = (taskKey: string, status: string, at: string, extra: Partial<CareStepResult> = {}): CareStepResult => ({ taskKey, status, at, ...extra });

  /** The task leaves the state: done, skipped, cancelled or given up. */
  function finish(taskKey: string, at: string): void {
    delete state.open[taskKey];
    state.finished += 1;
    state.lastStepAt = at;
  }

  async function moveTask(task: OpenCareTask, dueAt: string): Promise<OpenCareTask> {
    const times = (await compute({ what: 'task', key: task.key, kind: task.kind, dueAt })).tasks![0]!;
    return { ...task, dueAt: times.dueAt, windowStart: times.windowStart, windowEnd: times.windowEnd, remindAt: times.remindAt, version: task.version + 1 };
  }

  async function reschedule(step: RescheduleTaskStep, at: string): Promise<CareStepResult> {
    const task = state.open[step.taskKey]!;
    const moved = await moveTask(task, step.dueAt);
    const times = { dueAt: moved.dueAt, windowEnd: moved.windowEnd, remindAt: moved.remindAt };
    await steps.recordCareStep(
      entry(`${task.key}:rescheduled:${at}`, 'task_rescheduled', words('timeline.care.task_rescheduled', { task: task.kind, key: task.key, dueAt: moved.dueAt, reason: step.reason }), {
        actor: step.actor,
        at,
        data: { from: task.dueAt, to: moved.dueAt, reason: step.reason },
        ...(isVisitKind(task.kind) ? { visit: { taskKey: task.key, patch: { ...times, windowStart: moved.windowStart, outcome: { rescheduled: step.reason } } } } : { call: { taskKey: task.key, patch: { ...times, outcome: { rescheduled: step.reason } } } }),
      }),
    );
    state.open[task.key] = moved;
    state.lastStepAt = at;
    chase(task.key);
    return answer(task.key, 'due', at, { dueAt: moved.dueAt });
  }

  const validateReschedule = (visit: boolean) => (step: RescheduleTaskStep) => {
    openTask(step.taskKey, visit);
    requireInstant(step.dueAt, 'dueAt');
    requireReason(step.reason);
  };

  kit.step(assignVisitUpdate, {
    validate: (step) => void openTask(step.taskKey, true),
    async apply(step, at) {
      const task = state.open[step.taskKey]!;
      await steps.recordCareStep(entry(`${task.key}:assigned:${at}`, 'visit_assigned', words('timeline.care.visit_assigned', { task: task.kind, key: task.key, engineer: step.engineer.name }), { actor: step.actor, at, visit: { taskKey: task.key, patch: { assigneeUserId: step.engineer.userId } } }));
      state.open[task.key] = { ...task, assignee: step.engineer };
      state.lastStepAt = at;
      return answer(task.key, 'due', at);
    },
  });

  kit.step(rescheduleVisitUpdate, { validate: validateReschedule(true), apply: reschedule });
  kit.step(rescheduleCallUpdate, { validate: validateReschedule(false), apply: reschedule });

  kit.step(completeVisitUpdate, {
    validate(step) {
      openTask(step.taskKey, true);
      if (!step.signature || typeof step.signature.name !== 'string' || step.signature.name.trim() === '') invalidStep(words('refusal.care.signature'), 'signature.name');
    },
    async apply(step, at) {
      const task = state.open[step.taskKey]!;
      const reportDueAt = (await deadlines.add(at, care().inspectionReportWithin)).at.toISOString();
      const outcome = { checklist: step.checklist, findings: step.findings, openItems: step.openItems ?? [], carriedItems: state.openItems, signature: step.signature };
      await steps.recordCareStep(
        entry(`${task.key}:done`, 'visit_done', words('timeline.care.visit_done', { task: task.kind, key: task.key, findings: step.findings.length, reportDueAt }), {
          actor: step.actor,
          at,
          data: outcome,
          visit: { taskKey: task.key, patch: { status: 'done', doneAt: at, outcome, reportDueAt } },
        }),
      );
      // A partly done inspection carries its open items to the next visit.
      state.openItems = step.openItems ?? [];
      finish(task.key, at);
      return answer(task.key, 'done', at, { dueAt: reportDueAt });
    },
  });

  for (const [update, status] of [
    [skipVisitUpdate, 'skipped'],
    [cancelVisitUpdate, 'cancelled'],
  ] as const) {
    kit.step(update, {
      validate(step) {
        openTask(step.taskKey, true);
        requireReason(step.reason);
      },
      async apply(step, at) {
        const task = state.open[step.taskKey]!;
        await steps.recordCareStep(entry(`${task.key}:${status}`, `visit_${status}`, words(`timeline.care.visit_${status}`, { task: task.kind, key: task.key, reason: step.reason }), { actor: step.actor, at, visit: { taskKey: task.key, patch: { status, outcome: { reason: step.reason } } } }));
        finish(task.key, at);
        return answer(task.key, status, at);
      },
    });
  }

  registerCallSteps({ input, planId, state, kit, deadlines, care, compute, entry, openTask, answer, finish, moveTask, chase, planRef, serviceManagers, noticeOptions, noticesBesideSteps, stepNotices });

  // An extra visit (before a customer's major event): numbered on from the ones before, chased like any visit.
  kit.step(addExtraVisitUpdate, {
    validate(step) {
      if (state.status !== 'active') rejectStep(words('refusal.care.ended'));
      requireInstant(step.dueAt, 'dueAt');
      requireReason(step.reason);
    },
    async apply(step, at) {
      const n = (state.extraVisits ?? 0) + 1;
      const key = `extra:${n}`;
      const times = (await compute({ what: 'task', key, kind: 'extra', dueAt: step.dueAt })).tasks![0]!;
      const task: OpenCareTask = { ...times, attempts: 0, version: 0, assignee: step.engineer ?? null };
      await steps.recordCareStep(
        entry(`${key}:added`, 'visit_added', words('timeline.care.visit_added', { key, dueAt: times.dueAt, reason: step.reason }), {
          actor: step.actor,
          at,
          data: { reason: step.reason, dueAt: times.dueAt },
          newVisit: { ...times, assigneeUserId: task.assignee?.userId ?? null, customerId: input.customerId, projectId: input.projectId ?? null },
        }),
      );
      state.open[key] = task;
      state.extraVisits = n;
      state.lastStepAt = at;
      tasksThisRun += 1;
      chase(key);
      return answer(key, 'due', at, { dueAt: task.dueAt });
    },
  });

  // A follow-up dealt with (called back, a ticket or complaint opened): on record, and its deadline met.
  kit.step(closeFollowUpUpdate, {
    validate(step) {
      if (typeof step.followUpKey !== 'string' || step.followUpKey === '') invalidStep(words('refusal.care.followUpKey'), 'followUpId');
      if (typeof step.outcome !== 'string' || step.outcome.trim() === '') invalidStep(words('refusal.care.outcomeRequired'), 'outcome');
    },
    async apply(step, at) {
      await steps.recordCareStep(entry(`follow-up:${step.followUpKey}:closed`, 'follow_up_closed', words('timeline.care.follow_up_closed', { followUp: step.followUpKey, outcome: step.outcome }), { actor: step.actor, at, data: { outcome: step.outcome }, closeFollowUp: { key: step.followUpKey, outcome: step.outcome } }));
      await deadlines.close(`care:${planId}:follow-up:${step.followUpKey}`, 'met');
      state.lastStepAt = at;
      return { status: 'closed', at };
    },
  });

  // -------------------------------------------------------------------------------------------
  // A closed repair's return call (P3 close → the desk's call queue)

  setHandler(repairReturnCallSignal, async (request) => {
    if (!patched('care-repair-return-call')) return;
    await kit.exclusive(async () => {
      const key = repairCallKey(request);
      // Once per ticket and round; an ended plan schedules nothing.
      if (state.status !== 'active' || (state.repairCalls ?? []).includes(key)) return;
      const times = (await compute({ what: 'task', key, kind: 'call', dueAt: request.dueAt })).tasks![0]!;
      const task: OpenCareTask = { ...times, attempts: 0, version: 0, assignee: null, ticketId: request.ticketId };
      // As materialize(): the state knows the call before its row can be listed.
      state.open[key] = task;
      state.repairCalls = [...(state.repairCalls ?? []), key];
      try {
        await materializing.materializeCareTasks({ planId, customerId: input.customerId, projectId: input.projectId ?? null, tasks: [task] });
      } catch {
        delete state.open[key];
        state.repairCalls = state.repairCalls.filter((k) => k !== key);
        return;
      }
      await background.recordCareStep(entry(`${key}:scheduled`, 'repair_call_scheduled', words('timeline.care.repair_call_scheduled', { key, ticketId: request.ticketId, dueAt: task.dueAt }), { data: { ticketId: request.ticketId, round: request.round, dueAt: task.dueAt } }));
      chase(key);
    });
  });

  // -------------------------------------------------------------------------------------------
  // The plan itself: maintenance contracts, policy, end

  kit.step(addContractUpdate, {
    validate(step) {
      if (state.status !== 'active') rejectStep(words('refusal.care.ended'));
      const c = step.contract;
      if (state.contracts.some((x) => x.id === c.id)) rejectStep(words('refusal.care.contractOnPlan', { contract: c.id }));
      requireInstant(c.startsAt, 'startsAt');
      requireInstant(c.endsAt, 'endsAt');
      if (new Date(c.endsAt).getTime() <= new Date(c.startsAt).getTime()) invalidStep(words('refusal.care.endsAfterStart'), 'endsAt');
      if (!Number.isInteger(c.visitsPerYear) || c.visitsPerYear < care().postWarrantyVisitsPerYear) invalidStep(words('refusal.care.visitsPerYear', { min: care().postWarrantyVisitsPerYear }), 'visitsPerYear');
    },
    async apply(step, at) {
      const contracts = [...state.contracts, step.contract];
      await steps.recordCareStep(
        entry(`contract:${step.contract.id}`, 'contract_added', words('timeline.care.contract_added', { contract: step.contract.id, startsAt: step.contract.startsAt, endsAt: step.contract.endsAt, visits: step.contract.visitsPerYear }), {
          actor: step.actor,
          at,
          data: step.contract,
          plan: { contracts },
          maintenanceContract: { contractNo: `care-${planId}-${step.contract.id}`, customerId: input.customerId, signedAt: at },
        }),
      );
      state.contracts = contracts;
      state.lastStepAt = at;
      scheduleVersion += 1;
      return { status: state.status, at };
    },
  });

  kit.step(updatePolicyUpdate, {
    validate: () => void (state.status !== 'active' && rejectStep(words('refusal.care.ended'))),
    async apply(step, at) {
      await steps.recordCareStep(entry(`policy:${at}`, 'policy_updated', words('timeline.care.policy_updated'), { actor: step.actor, at, plan: { policy: step.policy } }));
      state.policy = step.policy;
      state.lastStepAt = at;
      scheduleVersion += 1;
      return { status: state.status, at };
    },
  });

  kit.step(endPlanUpdate, {
    validate(step) {
      if (state.status !== 'active') rejectStep(words('refusal.care.alreadyEnded', { planId }));
      requireReason(step.reason);
    },
    async apply(step, at) {
      await steps.recordCareStep(entry('ended', 'plan_ended', words('timeline.care.plan_ended', { reason: step.reason }), { actor: step.actor, at, plan: { status: 'ended', endReason: step.reason }, cancelOpenTasks: true }));
      state.status = 'ended';
      state.endReason = step.reason;
      state.open = {};
      state.lastStepAt = at;
      scheduleVersion += 1;
      return { status: 'ended', at };
    },
  });

  // -------------------------------------------------------------------------------------------
  // The plan's life

  const historyFull = () => workflowInfo().continueAsNewSuggested || (input.continueAsNewAfterTasks !== undefined && tasksThisRun >= input.continueAsNewAfterTasks);

  // After continue-as-new: the open tasks climb their ladders again (notices are idempotent by key).
  for (const key of Object.keys(state.open)) chase(key);

  while (state.status === 'active') {
    const { nextAt, failed } = await materialize();
    const noticeAt = await sendDueNotices();
    const horizonStart = nextAt ? (await deadlines.subtract(nextAt, care().taskHorizon)).at.getTime() : undefined;
    const wakes = [failed ? Date.now() + MATERIALIZE_RETRY_MS : undefined, horizonStart, noticeAt ? new Date(noticeAt).getTime() : undefined].filter((t): t is number => t !== undefined);
    const version = scheduleVersion;
    const moved = () => version !== scheduleVersion || state.status !== 'active' || historyFull();
    if (wakes.length === 0) await condition(moved);
    else await condition(moved, msUntil(new Date(Math.min(...wakes))));
    if (state.status === 'active' && historyFull()) {
      await condition(quiet);
      await continueAsNew<typeof carePlan>({ ...input, planId, state });
    }
  }

  // Every ladder sees its task gone and closes; a notice under way is delivered before the plan ends.
  await Promise.all(chases);
  await deadlines.closeAll('dropped');
  await condition(quiet);
  return state;
}
