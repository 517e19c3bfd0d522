/**
 * P5.7 a dealer's parts plan for one sales season: due `dealer.partsPlanLead` (30 days) before the
 * season starts. The dealer is reminded `dealer.partsPlanRemindBefore` before it is due; missed, the
 * sales clerks hear of it (escalation). The plan may still come until the season starts; then it lapses.
 *
 * `partsPlanOpening` (started daily by a Temporal Schedule) opens each dealer's plan for each season
 * ahead, once, and starts this process for it.
 */
import { words } from '../../../domain/words';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { allHandlersFinished, condition, ParentClosePolicy, patched, proxyActivities, setHandler, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { createDealerActivities } from '../activities';
import { partsPlanRefusal } from './rules';
import { startOfLocalDay } from '../rules';
import { BACKGROUND_ACTIVITY, STEP_ACTIVITY } from '../../../platform/workflowKit/activityOptions';
import { Deadlines, msUntil, runLadder } from '../../../platform/workflowKit/deadlines';
import { StepKit, invalidStep, rejectStep } from '../../../platform/workflowKit/steps';
import { partsPlanStateQuery, partsPlanWorkflowId, submitPartsPlanUpdate, type PartsPlanInput, type PartsPlanState } from '../messages';
import { notify } from '../../../platform/workflowKit/notify';

type Activities = ReturnType<typeof createDealerActivities>;

const steps = proxyActivities<Activities>(STEP_ACTIVITY);
const background = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

export async function partsPlan(input: PartsPlanInput): Promise<PartsPlanState> {
  const { policy, planId } = input;
  const timeZone = policy.dealer.settlementTimeZone;
  const state: PartsPlanState = { status: 'open', reminded: false, escalated: false };
  const kit = new StepKit({ backdateWithin: policy.backdateWithin, lastStepAt: () => state.lastStepAt });
  const deadlines = new Deadlines(policy.calendar, { type: 'parts_plan', id: planId });
  const notice = { timeZone, actionPath: `/dealer/parts-plans` };
  const dueAt = new Date(input.dueAt);

  setHandler(partsPlanStateQuery, () => state);

  kit.step(submitPartsPlanUpdate, {
    validate(step) {
      if (state.status === 'submitted') rejectStep(words('refusal.dealer.planSubmitted', { seasonStart: input.seasonStart }));
      if (state.status === 'lapsed') rejectStep(words('refusal.dealer.planLapsed', { seasonStart: input.seasonStart }));
      const refusal = partsPlanRefusal(step.lines);
      if (refusal) invalidStep(refusal.message, refusal.field);
    },
    async apply(step, at) {
      await steps.recordPartsPlan({ planId, lines: step.lines.map((l) => ({ partNo: l.partNo.trim(), quantity: l.quantity })), note: step.note ?? null, submittedBy: step.actor.userId, at });
      Object.assign(state, { status: 'submitted', lastStepAt: at });
      return { status: 'submitted' as const, at };
    },
  });

  const outcome = await runLadder(deadlines, {
    deadline: { key: 'parts_plan', kind: 'parts_plan', words: words('deadline.dealer.parts_plan', { seasonStart: input.seasonStart }) },
    plan: async () => ({ due: { at: dueAt, provisional: false }, rungs: [{ rung: 'reminder', at: new Date(input.remindAt) }, { rung: 'escalation', at: dueAt }] }),
    met: () => state.status !== 'open',
    closeAs: () => (state.status === 'submitted' ? 'met' : 'dropped'),
    onRung: (rung, due) =>
      kit.exclusive(async () => {
        if (state.status !== 'open') return;
        if (rung === 'reminder') {
          const dealer = await background.dealerPeople({ dealerId: input.dealerId });
          await notify('plan-reminder', 'deadline-reminder', dealer, { taskKey: 'parts_plan', dueAt: due.toISOString() }, notice);
          state.reminded = true;
          return;
        }
        const clerks = await background.activeUsersWithRole({ role: 'sales_clerk' });
        const [dealer] = await background.dealerNames({ dealerIds: [input.dealerId] });
        await notify('plan-escalated', 'escalation', clerks.people, { missedKey: 'parts_plan', dueAt: due.toISOString(), responsibleName: dealer ?? '', sentToAdmins: clerks.sentToAdmins }, notice);
        state.escalated = true;
      }),
  });
  if (outcome === 'exhausted') {
    // Overdue: the plan may still come until the season starts; after that it lapses.
    const seasonStarts = startOfLocalDay(input.seasonStart, timeZone);
    const submitted = await condition(() => state.status !== 'open', msUntil(seasonStarts));
    if (!submitted) await kit.exclusive(async () => void (state.status === 'open' && (state.status = 'lapsed')));
    await deadlines.close('parts_plan', state.status === 'submitted' ? 'met' : 'dropped');
  }
  // Runs recorded before the patch ended without waiting (they awaited the boolean itself).
  if (patched('parts-plan-wait-for-handlers')) await condition(allHandlersFinished);
  return state;
}

/**
 * Opens the plans due for every dealer and season ahead and starts each one's process, once: a plan
 * is opened once (its key), and its process id is the plan's, so a second run starts nothing twice.
 */
export async function partsPlanOpening(): Promise<{ started: number[] }> {
  const plans = await background.openPartsPlans();
  const started: number[] = [];
  for (const plan of plans) {
    try {
      await startChild(partsPlan, {
        workflowId: partsPlanWorkflowId(plan.planId),
        args: [plan],
        // The plan's process outlives this run by months.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      started.push(plan.planId);
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }
  return { started };
}
