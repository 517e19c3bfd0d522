/**
 * P5 a 三包 request a sales clerk forwarded to a dealer (or the dealer took directly): the dealer
 * arranges the service within `dealer.taskArrangeWithin` (2 h) and the end user is told when it comes;
 * the sales clerk's check falls due at `dealer.clerkCheckAt` (4 h). Arrangement overdue: the dealer is
 * reminded. Not arranged at the clerk's check: escalated to leadership. Checked: done.
 */
import { words } from '../../../domain/words';
import { allHandlersFinished, condition, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createDealerActivities } from '../activities';
import { dealerTaskTimes } from './rules';
import { BACKGROUND_ACTIVITY, STEP_ACTIVITY } from '../../../platform/workflowKit/activityOptions';
import { Deadlines, runLadder } from '../../../platform/workflowKit/deadlines';
import { StepKit, rejectStep } from '../../../platform/workflowKit/steps';
import { arrangeTaskUpdate, checkTaskUpdate, dealerTaskStateQuery, type DealerTaskInput, type DealerTaskState } from '../messages';
import { NoticesBeside, notify } from '../../../platform/workflowKit/notify';

type Activities = ReturnType<typeof createDealerActivities>;

const steps = proxyActivities<Activities>(STEP_ACTIVITY);
const background = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

/** From this patch on, notices go out beside the step or rung that sends them instead of inside it (under the lock). */
const NOTICES_BESIDE = 'dealer-task-notices-beside';
/** From this patch on, the task ends once its handlers are done and its notices out. */
const WAIT_FOR_HANDLERS = 'dealer-task-wait-for-handlers';

export async function dealerTask(input: DealerTaskInput): Promise<DealerTaskState> {
  const { policy, taskId } = input;
  const times = dealerTaskTimes(new Date(input.receivedAt), policy.dealer.taskArrangeWithin, policy.dealer.clerkCheckAt);
  const state: DealerTaskState = { status: 'open', escalated: false };
  const kit = new StepKit<DealerTaskState['status']>({ backdateWithin: policy.backdateWithin, lastStepAt: () => state.lastStepAt ?? input.receivedAt });
  const deadlines = new Deadlines(policy.calendar, { type: 'dealer_task', id: taskId });
  const notice = { timeZone: policy.dealer.settlementTimeZone, actionPath: `/dealer/tasks/${taskId}` };
  const device = { model: '—', serial: input.deviceSerial };

  /** Notices sent beside the lock: a step answers once recorded, its mail follows (histories before the patch awaited them). */
  const notices = new NoticesBeside();
  const noticesBeside = () => patched(NOTICES_BESIDE);

  setHandler(dealerTaskStateQuery, () => state);

  /** The user hears when the dealer comes. */
  async function tellCustomer(customer: NonNullable<DealerTaskInput['customer']>, step: { visitAt: string; arrangement: string }): Promise<void> {
    const [dealer] = await background.dealerNames({ dealerIds: [input.dealerId] });
    await notify('arranged', 'dealer-task-arranged', [customer], { dealer: dealer ?? '', deviceSerial: input.deviceSerial, visitAt: step.visitAt, arrangement: step.arrangement }, { timeZone: notice.timeZone });
  }

  kit.step(arrangeTaskUpdate, {
    validate: () => void (state.status !== 'open' && rejectStep(words('refusal.dealer.taskArranged'))),
    async apply(step, at) {
      // The row shows "arranged" before the state does: a check sent that instant is judged against it.
      await kit.recording('arranged', () => steps.recordTaskArrangement({ taskId, visitAt: step.visitAt, arrangement: step.arrangement, at }));
      Object.assign(state, { status: 'arranged', lastStepAt: at });
      if (input.customer && noticesBeside()) notices.send(tellCustomer(input.customer, step));
      else if (input.customer) {
        const [dealer] = await background.dealerNames({ dealerIds: [input.dealerId] });
        await notify('arranged', 'dealer-task-arranged', [input.customer], { dealer: dealer ?? '', deviceSerial: input.deviceSerial, visitAt: step.visitAt, arrangement: step.arrangement }, { timeZone: notice.timeZone });
      }
      return { status: state.status, at };
    },
  });

  kit.step(checkTaskUpdate, {
    validate() {
      if (!kit.allows(state.status, (status) => status !== 'open')) rejectStep(words('refusal.dealer.taskNotArranged'));
      if (state.status === 'checked') rejectStep(words('refusal.dealer.taskChecked'));
    },
    async apply(step, at) {
      await steps.recordTaskCheck({ taskId, note: step.note, at });
      Object.assign(state, { status: 'checked', lastStepAt: at });
      return { status: state.status, at };
    },
  });

  const arranged = runLadder(deadlines, {
    deadline: { key: 'dealer_task_arrange', kind: 'dealer_task_arrange', words: words('deadline.dealer.task_arrange', { serial: input.deviceSerial }) },
    plan: async () => ({ due: { at: times.arrangeDueAt, provisional: false }, rungs: [{ rung: 'reminder', at: times.arrangeDueAt }] }),
    met: () => state.status !== 'open',
    async onRung(_rung, due) {
      const dealer = await background.dealerPeople({ dealerId: input.dealerId });
      await notify('arrange-overdue', 'deadline-reminder', dealer, { taskKey: 'dealer_task_arrange', dueAt: due.toISOString(), device }, notice);
    },
  });

  const checked = runLadder(deadlines, {
    deadline: { key: 'dealer_task_clerk_check', kind: 'dealer_task_clerk_check', words: words('deadline.dealer.task_clerk_check', { serial: input.deviceSerial }) },
    plan: async () => ({ due: { at: times.clerkCheckAt, provisional: false }, rungs: [{ rung: 'check', at: times.clerkCheckAt }] }),
    met: () => state.status === 'checked',
    onRung: (_rung, due) =>
      kit.exclusive(async () => {
        if (state.status === 'checked') return;
        if (state.status === 'arranged') {
          const clerks = await background.activeUsersWithRole({ role: 'sales_clerk' });
          const reminder = { taskKey: 'dealer_task_clerk_check', dueAt: due.toISOString(), device };
          if (noticesBeside()) notices.send(notify('clerk-check', 'deadline-reminder', clerks.people, reminder, notice));
          else await notify('clerk-check', 'deadline-reminder', clerks.people, reminder, notice);
          return;
        }
        // Not arranged by the clerk's check: leadership hears of it.
        const leaders = await background.activeUsersWithRole({ role: 'leadership' });
        const [dealer] = await background.dealerNames({ dealerIds: [input.dealerId] });
        const escalation = { missedKey: 'dealer_task_arrange', dueAt: times.arrangeDueAt.toISOString(), responsibleName: dealer ?? '', device, sentToAdmins: leaders.sentToAdmins };
        if (noticesBeside()) notices.send(notify('escalated', 'escalation', leaders.people, escalation, notice));
        else await notify('escalated', 'escalation', leaders.people, escalation, notice);
        state.escalated = true;
      }),
  });

  await Promise.all([arranged, checked]);
  // Escalated or reminded, the task stays open until the dealer arranges it and the clerk checks it.
  await condition(() => state.status === 'checked');
  // Runs recorded before the patch ended without waiting (they awaited the boolean itself).
  if (patched(WAIT_FOR_HANDLERS)) await condition(() => allHandlersFinished() && notices.settled());
  return state;
}
