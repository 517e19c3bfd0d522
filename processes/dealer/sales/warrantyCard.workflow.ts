/**
 * P5 the warranty card of one dealer sale: the dealer completes the card with the customer's details
 * within `dealer.warrantyCardWithin` (day 20 of 20 is in time) and is reminded on the days of
 * `dealer.warrantyCardRemindersAt` (10 and 17). A card in time registers the device with its warranty
 * (from the sale date) and starts its asset-care plan; without one by the deadline the sale is
 * "warranty not recognised" for dealer claims, and the dealer is told why.
 */
import { words } from '../../../domain/words';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, allHandlersFinished, condition, patched, proxyActivities, setHandler, startChild } from '@temporalio/workflow';
import type { createDealerActivities } from '../activities';
import { CARE_PLAN_WORKFLOW, type CarePlanBasisActivities, type CarePlanWorkflow } from '../../care/messages';
import { cardClock, cardInTime, dayClosedBy, middayOf, warrantyEndDate } from './rules';
import { BACKGROUND_ACTIVITY, STEP_ACTIVITY } from '../../../platform/workflowKit/activityOptions';
import { Deadlines, runLadder } from '../../../platform/workflowKit/deadlines';
import { StepKit, invalidStep, rejectStep } from '../../../platform/workflowKit/steps';
import { cardUpdate, warrantyCardStateQuery, type WarrantyCardInput, type WarrantyCardState } from '../messages';
import { notify } from '../../../platform/workflowKit/notify';
import { dealerSaleCarePlanWorkflowId } from '../../care/messages';

type Activities = ReturnType<typeof createDealerActivities> & CarePlanBasisActivities;

const steps = proxyActivities<Activities>(STEP_ACTIVITY);
const background = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

export async function warrantyCard(input: WarrantyCardInput): Promise<WarrantyCardState> {
  const { policy, saleId } = input;
  const timeZone = policy.dealer.settlementTimeZone;
  const clock = cardClock(input.saleDate, new Date(input.recordedAt), policy.dealer, timeZone);
  const state: WarrantyCardState = { status: 'pending', dueAt: clock.dueAt.toISOString(), reminders: clock.reminders.map((r) => r.toISOString()) };
  const kit = new StepKit({ backdateWithin: policy.backdateWithin, lastStepAt: () => state.lastStepAt });
  const deadlines = new Deadlines(policy.calendar, { type: 'dealer_sale', id: saleId });
  const device = { model: input.model, serial: input.deviceSerial };
  const notice = { timeZone, actionPath: `/dealer/sales/${saleId}` };

  setHandler(warrantyCardStateQuery, () => state);

  const lateMessage = () => words('refusal.dealer.cardLate', { dueAt: state.dueAt, serial: input.deviceSerial });

  kit.step(cardUpdate, {
    validate(step) {
      if (state.status === 'recognised') rejectStep(words('refusal.dealer.cardCompleted'));
      if (state.status === 'not_recognised') rejectStep(lateMessage());
      if (step.cardDate < input.saleDate) invalidStep(words('refusal.dealer.cardBeforeSale'), 'cardDate');
    },
    async apply(step, at) {
      if (!cardInTime(input.saleDate, step.cardDate, new Date(at), clock, policy.dealer.warrantyCardWithin)) rejectStep(lateMessage());
      const length = policy.warrantyLength;
      // A warranty in working days ends with the n-th working day after the sale, counted on the
      // business calendar by the deadline kit; before, such a length could not be counted at all.
      const warrantyEndsOn =
        typeof length !== 'string' && patched('dealer-working-day-deadlines')
          ? dayClosedBy((await deadlines.add(middayOf(input.saleDate, timeZone), length)).at, timeZone)
          : warrantyEndDate(input.saleDate, length);
      const card = { ...(step.customerPhone ? { customerPhone: step.customerPhone } : {}), ...(step.customerAddress ? { customerAddress: step.customerAddress } : {}) };
      const { deviceId } = await steps.recordWarrantyCard({ saleId, cardDate: step.cardDate, card, warrantyEndsOn, timeZone, at, actor: step.actor });
      Object.assign(state, { status: 'recognised', lastStepAt: at });
      await startAssetCarePlan({ deviceId, saleId, deviceSerial: input.deviceSerial, model: input.model, warrantyStartsOn: input.saleDate, warrantyEndsOn });
      return { warranty: 'recognised', warrantyEndsOn, deviceId, at };
    },
  });

  await runLadder(deadlines, {
    deadline: { key: 'warranty_card', kind: 'warranty_card', words: words('deadline.dealer.warranty_card', { serial: input.deviceSerial }) },
    plan: async () => ({
      due: { at: clock.dueAt, provisional: false },
      rungs: [...clock.reminders.map((at, i) => ({ rung: `reminder_${i + 1}`, at })), { rung: 'expired', at: clock.dueAt }],
    }),
    met: () => state.status !== 'pending',
    closeAs: () => (state.status === 'recognised' ? 'met' : 'dropped'),
    onRung: (rung, due) =>
      kit.exclusive(async () => {
        if (state.status !== 'pending') return;
        const dealer = await background.dealerPeople({ dealerId: input.dealerId });
        if (rung !== 'expired') {
          await notify(`card-${rung}`, 'deadline-reminder', dealer, { taskKey: 'warranty_card', dueAt: due.toISOString(), device }, notice);
          return;
        }
        const reasonKey = 'warranty_card_late';
        await background.expireWarrantyCard({ saleId, reasonKey });
        state.status = 'not_recognised';
        await notify('card-not-recognised', 'dealer-card-not-recognised', dealer, { device, customerName: input.customerName, saleDate: input.saleDate, dueAt: due.toISOString(), reasonKey }, notice);
      }),
  });
  // The card step may still be starting the care plan after the ladder saw the card: wait for it.
  await condition(allHandlersFinished);
  return state;
}

export interface RegisteredDevice {
  deviceId: number;
  saleId: number;
  deviceSerial: string;
  model: string;
  warrantyStartsOn: string;
  warrantyEndsOn: string;
}

/**
 * Asset care (P4): a card in time starts the device's care plan, its ages counted from the sale. The
 * plan outlives this workflow (abandoned, not cancelled, when the card's workflow ends) and is started
 * once: its id is the sale's. A device already on a plan (imported before the card came in) keeps it.
 * Behind a patch: cards recognised before this existed started no plan, and replay as they ran.
 */
async function startAssetCarePlan(registered: RegisteredDevice): Promise<void> {
  if (!patched('care-plan-from-warranty-card')) return;
  const basis = await background.dealerDeviceCarePlanBasis({ deviceId: registered.deviceId });
  if (!basis) return;
  try {
    await startChild<CarePlanWorkflow>(CARE_PLAN_WORKFLOW, {
      workflowId: dealerSaleCarePlanWorkflowId(registered.saleId),
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [{ ...basis, projectId: null }],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
