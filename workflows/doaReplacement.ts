/**
 * P2 dead-on-arrival replacement (child of projectDelivery, one per damaged unboxing item): exclusions
 * checked; the replacement ships by the `shipWithin` working day; the customer returns the damaged unit
 * within `returnWithin` of receiving the replacement, reminded `returnReminderBefore` the due date; a
 * late or unacceptable return is charged at catalogue price and the customer flagged.
 */
import { ApplicationFailure, CancellationScope, allHandlersFinished, condition, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { doaExclusion, doaReturnOutcome } from '../domain/delivery';
import { addDuration, subtractDuration } from '../domain/duration';
import { formatMoney, fromLegacyAmount } from '../domain/money';
import { escalationRecipients, msUntil, notify, projectRef } from './notify';
import { doaReceivedUpdate, doaReturnedUpdate, doaShippedUpdate, doaStateQuery, type Actor, type DoaInput, type DoaReceivedStep, type DoaReturnedStep, type DoaShippedStep, type DoaState } from './projectDelivery.messages';

const { saveDoaCase, flagCustomerServiceStopped, recordProjectEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

interface ReturnedUnit { at: Date; acceptable: boolean; actor: Actor; note?: string }

export async function doaReplacement(input: DoaInput): Promise<DoaState> {
  const { doa } = input.policy;
  const calendar = input.policy.calendar;
  const timeZone = input.customer.timeZone;
  const serial = input.device.serial;
  const state: DoaState = { serial, status: 'awaiting_shipment' };
  let returned: ReturnedUnit | undefined;
  const context = { project: projectRef({ contractNo: input.contractNo, name: input.projectName, customerName: input.customer.name }), device: { model: input.device.model, serial } };
  const noticeOptions = { timeZone, actionPath: `/projects/${input.projectId}` };
  const customerAndPm = [...input.customer.contacts, input.projectManager];

  async function save(key: string, summary: string, actor?: Actor): Promise<void> {
    await saveDoaCase({ projectId: input.projectId, damage: input.damage, state });
    await recordProjectEvent({ projectId: input.projectId, eventKey: `doa:${serial}:${key}`, kind: `doa_${key}`, at: new Date().toISOString(), actor, summary: `DOA ${serial}: ${summary}`, data: state, patch: {} });
  }

  const refuse = (message: string): never => {
    throw ApplicationFailure.create({ type: 'StepRejected', message, nonRetryable: true });
  };

  setHandler(doaStateQuery, () => state);
  setHandler(
    doaShippedUpdate,
    async (step) => {
      state.shippedAt = new Date().toISOString();
      state.replacementSerial = step.replacementSerial;
      state.status = 'awaiting_receipt';
      await save('shipped', `replacement ${step.replacementSerial} shipped`, step.actor);
      return state;
    },
    { validator: (_step: DoaShippedStep) => void (state.status !== 'awaiting_shipment' && refuse(`the replacement cannot be shipped now (case is ${state.status})`)) },
  );
  setHandler(
    doaReceivedUpdate,
    async (step) => {
      state.receivedAt = new Date().toISOString();
      state.returnDue = addDuration(new Date(state.receivedAt), doa.returnWithin, calendar).toISOString();
      state.status = 'awaiting_return';
      await save('received', `replacement received; damaged unit due back by ${state.returnDue}`, step.actor);
      return state;
    },
    { validator: (_step: DoaReceivedStep) => void (state.status !== 'awaiting_receipt' && refuse(`the replacement cannot be received now (case is ${state.status})`)) },
  );
  setHandler(
    doaReturnedUpdate,
    async (step) => {
      returned = { at: new Date(), acceptable: step.acceptable, actor: step.actor, note: step.note };
      await condition(() => state.returnedAt !== undefined);
      return state;
    },
    {
      validator: (_step: DoaReturnedStep) => {
        if (returned || state.returnedAt) refuse('the damaged unit was already returned');
        if (state.status !== 'awaiting_return' && state.status !== 'charged') refuse(`the damaged unit cannot be returned now (case is ${state.status})`);
      },
    },
  );

  async function replace(): Promise<void> {
    const exclusion = doaExclusion(input.damage.cause);
    if (exclusion) {
      state.status = 'excluded';
      state.exclusion = exclusion;
      await save('excluded', `not dead-on-arrival: ${exclusion}`);
      await notify('excluded', 'doa-excluded', customerAndPm, { ...context, exclusionKey: input.damage.cause }, noticeOptions);
      return;
    }

    state.shipBy = addDuration(new Date(input.reportedAt), doa.shipWithin, calendar).toISOString();
    await save('opened', `replacement due to ship by ${state.shipBy}`);
    if (!(await condition(() => state.status !== 'awaiting_shipment', msUntil(new Date(state.shipBy))))) {
      await notify('ship-escalation', 'escalation', await escalationRecipients(input.serviceManager), { ...context, missedKey: 'doa_shipment', dueAt: state.shipBy, responsibleName: input.projectManager.name }, noticeOptions);
      await save('ship_overdue', 'replacement not shipped by the deadline: escalated');
      await condition(() => state.status !== 'awaiting_shipment');
    }

    await condition(() => state.status === 'awaiting_return');
    const returnDue = new Date(state.returnDue!);
    await notify('return-requested', 'doa-return-requested', input.customer.contacts, { ...context, dueAt: state.returnDue }, noticeOptions);
    const reminderAt = subtractDuration(returnDue, doa.returnReminderBefore, calendar);
    if (!(await condition(() => returned !== undefined, msUntil(reminderAt)))) {
      await notify('return-reminder', 'deadline-reminder', input.customer.contacts, { ...context, taskKey: 'doa_return', dueAt: state.returnDue }, noticeOptions);
      await save('return_reminder', 'return reminder sent');
    }
    await condition(() => returned !== undefined, msUntil(returnDue));
    // What was back by the due time: a return from now on is late, even one that lands while the charge is recorded.
    const returnedByDue = returned;

    const outcome = doaReturnOutcome(returned?.at ?? null, returnDue, returned?.acceptable ?? false);
    if (returned) {
      state.returnedAt = returned.at.toISOString();
      state.returnAcceptable = returned.acceptable;
    }
    if (outcome === 'charged') {
      state.status = 'charged';
      // fromLegacyAmount: processes started before money had a currency carry a plain CNY number.
      state.chargedAmount = fromLegacyAmount(input.device.catalogPrice);
      // Back by the due time but not acceptable, or not back in time (a return racing the timer counts as late).
      const unacceptable = returnedByDue !== undefined && !returnedByDue.acceptable;
      const reasonKey = unacceptable ? 'not_acceptable' : 'not_returned';
      const reason = unacceptable ? 'returned unit not acceptable' : 'damaged unit not returned in time';
      await save('charged', `${reason}: catalogue price ${state.chargedAmount ? formatMoney(state.chargedAmount, 'en-GB') : '(to be priced)'} charged, customer flagged`, returned?.actor);
      await flagCustomerServiceStopped({ customerId: input.customer.id, reason: `DOA ${serial}: ${reason}` });
      await notify('charged', 'doa-charged', customerAndPm, { ...context, reasonKey, ...(state.chargedAmount != null ? { amount: state.chargedAmount } : {}), dueAt: state.returnDue }, noticeOptions);
      if (!returnedByDue) {
        // A late return is still recorded (the charge stands), for as long again as the return window.
        const lateReturn = await condition(() => returned !== undefined, msUntil(addDuration(returnDue, doa.returnWithin, calendar)));
        // Set by the update handler while we waited; TypeScript cannot see that assignment.
        const late = returned as ReturnedUnit | undefined;
        if (lateReturn && late) {
          state.returnedAt = late.at.toISOString();
          state.returnAcceptable = late.acceptable;
          await save('returned_late', 'damaged unit returned after the deadline; the charge stands', late.actor);
        }
      }
    } else {
      state.status = 'returned';
      await save('returned', 'damaged unit returned in time and accepted', returned!.actor);
    }
  }

  try {
    await replace();
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelled with its project: the case says so on record before the workflow ends cancelled.
    await CancellationScope.nonCancellable(async () => {
      state.status = 'cancelled';
      await save('cancelled', 'cancelled with the project');
    });
    throw error;
  }
  await condition(allHandlersFinished);
  return state;
}
