/**
 * P2 dead-on-arrival replacement (child of projectDelivery, one per damaged unboxing item): exclusions
 * checked; the replacement ships by the `shipWithin` working day; the customer returns the damaged unit
 * within `returnWithin` of receiving the replacement, reminded `returnReminderBefore` the due date; a
 * late or unacceptable return is charged at catalogue price and the customer flagged. Every step is
 * judged by when it happened: a back-dated return that was in time reverses a charge already made.
 */
import { CancellationScope, allHandlersFinished, condition, isCancellation, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createProjectActivities } from './activities';
import type { RecordProjectStepInput } from './activities';
import { doaExclusion } from './rules';
import { formatMoney, fromLegacyAmount } from '../../domain/money';
import { Deadlines, runLadder } from '../../platform/workflowKit/deadlines';
import { projectManagerChangedSignal } from '../../platform/workflowKit/messages';
import { StepKit, rejectStep, type Actor } from '../../platform/workflowKit/steps';
import { escalate, notify, projectRef } from '../../platform/workflowKit/notify';
import { doaReceivedUpdate, doaReturnedUpdate, doaShippedUpdate, doaStateQuery, type DoaInput, type DoaState } from './messages';
import { STEP_ACTIVITY, BACKGROUND_ACTIVITY } from '../../platform/workflowKit/activityOptions';
import { words, type WordValue } from '../../domain/words';

type Activities = ReturnType<typeof createProjectActivities>;

const steps = proxyActivities<Activities>(STEP_ACTIVITY);

const background = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

export async function doaReplacement(input: DoaInput): Promise<DoaState> {
  const { doa } = input.policy;
  const serial = input.device.serial;
  const exclusion = doaExclusion(input.damage.cause);
  const state: DoaState = { serial, status: exclusion ? 'excluded' : 'awaiting_shipment', ...(exclusion ? { exclusion } : {}) };
  const kit = new StepKit<DoaState['status']>({ backdateWithin: input.policy.steps.backdateWithin, lastStepAt: () => state.lastStepAt });
  const deadlines = new Deadlines(input.policy.calendar, { type: 'project', id: input.projectId });
  const context = { project: projectRef({ contractNo: input.contractNo, name: input.projectName, customerName: input.customer.name }), device: { model: input.device.model, serial } };
  const noticeOptions = { timeZone: input.customer.timeZone, actionPath: `/projects/${input.projectId}`, record: { type: 'project' as const, id: input.projectId } };
  const customerAndPm = () => [...input.customer.contacts, input.projectManager];
  const flagReason = (reason: string) => `DOA ${serial}: ${reason}`;
  let returnWatchOver = false;
  let chargedByDeadline = false;
  /** The charge as it was made (a back-dated return may reverse it before its notice goes out). */
  let charge: { amount: DoaState['chargedAmount']; unacceptable: boolean } | undefined;

  /**
   * The case's row and its timeline event for a new state, in one transaction. What happened is said
   * by `timeline.doa.<what>` with the serial and `params`.
   */
  function entry(key: string, what: string, params: Record<string, WordValue>, next: DoaState, options: { actor?: Actor; at?: string } = {}): RecordProjectStepInput {
    return {
      projectId: input.projectId,
      eventKey: `doa:${serial}:${key}`,
      kind: `doa_${key}`,
      at: options.at ?? new Date().toISOString(),
      actor: options.actor,
      words: words(`timeline.doa.${what}`, { serial, ...params }),
      data: next,
      patch: {},
      doaCase: { damage: input.damage, state: next },
    };
  }

  async function chargeIfUnreturned(): Promise<boolean> {
    return kit.exclusive(async () => {
      if (state.status !== 'awaiting_return') return false;
      const reason = 'damaged unit not returned in time';
      const next: DoaState = { ...state, status: 'charged', chargedAmount: fromLegacyAmount(input.device.catalogPrice) };
      await background.recordProjectStep({
        ...entry('charged', next.chargedAmount ? 'charged' : 'charged_unpriced', { reason: 'not_returned', amount: next.chargedAmount ? formatMoney(next.chargedAmount, 'en-GB') : null }, next),
        flagCustomer: { customerId: input.customer.id, reason: flagReason(reason) },
      });
      Object.assign(state, next);
      charge = { amount: next.chargedAmount, unacceptable: false };
      return true;
    });
  }

  async function recordStep(record: RecordProjectStepInput): Promise<void> {
    const leave = kit.enter(record.doaCase?.state.status);
    try {
      await steps.recordProjectStep(record);
    } finally {
      leave();
    }
  }
  const caseIs = (...statuses: DoaState['status'][]) => kit.allows(state.status, (status) => statuses.includes(status));

  setHandler(doaStateQuery, () => state);
  setHandler(projectManagerChangedSignal, (manager) => void (input.projectManager = manager));

  kit.step(doaShippedUpdate, {
    validate: () => void (!caseIs('awaiting_shipment') && rejectStep(words('refusal.doa.cannotShip', { status: state.status }))),
    async apply(step, at) {
      const next: DoaState = { ...state, shippedAt: at, replacementSerial: step.replacementSerial, status: 'awaiting_receipt', lastStepAt: at };
      // The replacement is a device of the project from now on, with its own warranty at final acceptance.
      await recordStep({
        ...entry('shipped', 'shipped', { replacement: step.replacementSerial }, next, { actor: step.actor, at }),
        replacementDevice: { serial: step.replacementSerial, model: input.device.model, brand: input.device.brand },
      });
      Object.assign(state, next);
      return { ...state };
    },
  });

  kit.step(doaReceivedUpdate, {
    validate: () => void (!caseIs('awaiting_receipt') && rejectStep(words('refusal.doa.cannotReceive', { status: state.status }))),
    async apply(step, at) {
      const returnDue = (await deadlines.add(at, doa.returnWithin)).at.toISOString();
      const next: DoaState = { ...state, receivedAt: at, returnDue, status: 'awaiting_return', lastStepAt: at };
      await recordStep(entry('received', 'received', { returnDue }, next, { actor: step.actor, at }));
      Object.assign(state, next);
      return { ...state };
    },
  });

  kit.step(doaReturnedUpdate, {
    validate() {
      if (state.returnedAt) rejectStep(words('refusal.doa.alreadyReturned'));
      if (returnWatchOver) rejectStep(words('refusal.doa.returnWatchOver'));
      if (!caseIs('awaiting_return', 'charged')) rejectStep(words('refusal.doa.cannotReturn', { status: state.status }));
    },
    async apply(step, at) {
      const inTime = new Date(at).getTime() <= new Date(state.returnDue!).getTime();
      const returned = { returnedAt: at, returnAcceptable: step.acceptable, lastStepAt: at };
      if (state.status === 'awaiting_return') {
        if (step.acceptable) {
          const next: DoaState = { ...state, ...returned, status: 'returned' };
          await recordStep(entry('returned', 'returned', {}, next, { actor: step.actor, at }));
          Object.assign(state, next);
        } else {
          const reason = 'returned unit not acceptable';
          const next: DoaState = { ...state, ...returned, status: 'charged', chargedAmount: fromLegacyAmount(input.device.catalogPrice) };
          await recordStep({
            ...entry('charged', next.chargedAmount ? 'charged' : 'charged_unpriced', { reason: 'not_acceptable', amount: next.chargedAmount ? formatMoney(next.chargedAmount, 'en-GB') : null }, next, { actor: step.actor, at }),
            flagCustomer: { customerId: input.customer.id, reason: flagReason(reason) },
          });
          Object.assign(state, next);
          charge = { amount: next.chargedAmount, unacceptable: true };
        }
      } else if (inTime && step.acceptable) {
        // Charged as not returned, but the return happened in time: the charge was wrong.
        const next: DoaState = { ...state, ...returned, status: 'returned', chargedAmount: null, chargeReversedAt: new Date().toISOString() };
        await recordStep({
          ...entry('charge_reversed', 'charge_reversed', { returnedAt: at }, next, { actor: step.actor, at }),
          unflagCustomer: { customerId: input.customer.id, reason: flagReason('damaged unit not returned in time') },
        });
        Object.assign(state, next);
      } else {
        const next: DoaState = { ...state, ...returned };
        await recordStep(entry('returned_late', 'returned_late', {}, next, { actor: step.actor, at }));
        Object.assign(state, next);
      }
      return { ...state };
    },
  });

  async function replace(): Promise<void> {
    if (exclusion) {
      await background.recordProjectStep(entry('excluded', 'excluded', { cause: input.damage.cause }, state));
      await notify('excluded', 'doa-excluded', customerAndPm(), { ...context, exclusionKey: input.damage.cause }, noticeOptions);
      return;
    }

    const shipment = await runLadder(deadlines, {
      deadline: { key: `doa:${serial}:ship`, kind: 'doa_shipment', words: words('deadline.doa.shipment', { serial }) },
      async plan() {
        const due = await deadlines.add(input.reportedAt, doa.shipWithin);
        if (state.shipBy !== due.at.toISOString()) {
          await kit.exclusive(async () => {
            const next: DoaState = { ...state, shipBy: due.at.toISOString() };
            await background.recordProjectStep(entry(state.shipBy ? `ship_by_moved:${due.at.toISOString()}` : 'opened', 'ship_by', { shipBy: next.shipBy! }, next));
            Object.assign(state, next);
          });
        }
        return { due, rungs: [{ rung: 'escalation' as const, at: due.at }] };
      },
      met: () => state.status !== 'awaiting_shipment',
      async onRung(_rung, due) {
        await escalate('ship-escalation', input.serviceManager, { ...context, missedKey: 'doa_shipment', dueAt: due.toISOString(), responsibleName: input.projectManager.name }, noticeOptions);
        await background.recordProjectStep({ ...entry('ship_overdue', 'ship_overdue', {}, state), doaCase: undefined });
      },
    });
    if (shipment === 'exhausted') {
      await condition(() => state.status !== 'awaiting_shipment');
      await deadlines.close(`doa:${serial}:ship`, 'met');
    }

    await condition(() => state.status !== 'awaiting_receipt');
    await notify('return-requested', 'doa-return-requested', input.customer.contacts, { ...context, dueAt: state.returnDue }, noticeOptions);
    const returnKey = `doa:${serial}:return`;
    await runLadder(deadlines, {
      deadline: { key: returnKey, kind: 'doa_return', words: words('deadline.doa.return', { serial }) },
      async plan() {
        const due = await deadlines.add(state.receivedAt!, doa.returnWithin);
        const reminder = await deadlines.subtract(due.at, doa.returnReminderBefore);
        if (state.returnDue !== due.at.toISOString()) {
          // An admin corrected the calendar: the case shows the moved deadline.
          await kit.exclusive(async () => {
            const next: DoaState = { ...state, returnDue: due.at.toISOString() };
            await background.recordProjectStep(entry(`return_due_moved:${next.returnDue}`, 'return_due_moved', { returnDue: next.returnDue! }, next));
            Object.assign(state, next);
          });
        }
        return { due, rungs: [{ rung: 'reminder' as const, at: reminder.at }, { rung: 'due' as const, at: due.at }] };
      },
      met: () => state.status !== 'awaiting_return',
      async onRung(rung, due) {
        if (rung === 'reminder') {
          await notify('return-reminder', 'deadline-reminder', input.customer.contacts, { ...context, taskKey: 'doa_return', dueAt: due.toISOString() }, noticeOptions);
          await background.recordProjectStep({ ...entry('return_reminder', 'return_reminder', {}, state), doaCase: undefined });
        } else if (await chargeIfUnreturned()) {
          chargedByDeadline = true;
          await deadlines.close(returnKey, 'dropped');
        }
      },
    });

    // A charge is told as it was made, even when a back-dated return reversed it meanwhile (its
    // reversal is told next). Runs before the patch told it only if it still stood here.
    const told = patched('doa-charge-told-as-charged')
      ? charge
      : state.status === 'charged'
        ? { amount: state.chargedAmount, unacceptable: state.returnAcceptable === false }
        : undefined;
    if (told) {
      await notify('charged', 'doa-charged', customerAndPm(), { ...context, reasonKey: told.unacceptable ? 'not_acceptable' : 'not_returned', ...(told.amount != null ? { amount: told.amount } : {}), dueAt: state.returnDue }, noticeOptions);
    }
    if (chargedByDeadline) {
      // A late return is still recorded, and a back-dated one may prove the charge wrong, for as long
      // again as the return window.
      const watchUntil = await deadlines.add(state.returnDue!, doa.returnWithin);
      await condition(() => state.returnedAt !== undefined, Math.max(1, watchUntil.at.getTime() - Date.now()));
      await kit.exclusive(async () => void (returnWatchOver = true));
      if (state.chargeReversedAt) {
        await notify('charge-reversed', 'doa-charge-reversed', customerAndPm(), { ...context, dueAt: state.returnDue, returnedAt: state.returnedAt }, noticeOptions);
      }
    }
  }

  try {
    await replace();
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelled with its project: the case says so on record before the workflow ends cancelled.
    await CancellationScope.nonCancellable(async () => {
      const next: DoaState = { ...state, status: 'cancelled' };
      await background.recordProjectStep(entry('cancelled', 'cancelled', {}, next));
      Object.assign(state, next);
      await deadlines.closeAll('dropped');
    });
    throw error;
  }
  await condition(allHandlersFinished);
  return state;
}
