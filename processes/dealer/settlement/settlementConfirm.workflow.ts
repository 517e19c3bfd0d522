/**
 * P5 the dealer's answer to a statement sent after finance's review: it is due within
 * `dealer.settlementConfirmWithin` (10 days). Not answered by then: the dealer is reminded; still not
 * answered `dealer.settlementEscalateAfter` later: escalated to finance's lead. A confirmation or a
 * dispute (the API signals `settlementAnsweredSignal`) ends the wait; each review starts a new one.
 */
import { words } from '../../../domain/words';
import { condition, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import { Duration as LuxonDuration } from 'luxon';
import type { createDealerActivities } from '../activities';
import { BACKGROUND_ACTIVITY } from '../../../platform/workflowKit/activityOptions';
import { Deadlines, runLadder } from '../../../platform/workflowKit/deadlines';
import { settlementAnsweredSignal, settlementConfirmKey, type SettlementConfirmInput } from '../messages';
import { notify } from '../../../platform/workflowKit/notify';

type Activities = ReturnType<typeof createDealerActivities>;

const background = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

export async function settlementConfirm(input: SettlementConfirmInput): Promise<{ answered: boolean; escalated: boolean }> {
  const { policy, settlementId } = input;
  const deadlines = new Deadlines(policy.calendar, { type: 'settlement', id: settlementId });
  const dueAt = new Date(input.dueAt);
  const escalateAfter = policy.dealer.settlementEscalateAfter;
  // An ISO span is added as a fixed span; working days are counted on the business calendar (the
  // deadline kit's local activity), again whenever the calendar changes.
  const escalateAt = async (): Promise<Date> => {
    if (typeof escalateAfter === 'string') return new Date(dueAt.getTime() + LuxonDuration.fromISO(escalateAfter).toMillis());
    // Before working days were counted, such a span came out as no date at all (NaN).
    if (!patched('dealer-working-day-deadlines')) return new Date(NaN);
    return (await deadlines.add(dueAt, escalateAfter)).at;
  };
  const notice = { timeZone: policy.dealer.settlementTimeZone, actionPath: `/dealer/statements/${settlementId}` };
  let answered = false;
  let escalated = false;
  setHandler(settlementAnsweredSignal, () => void (answered = true));
  // A signal lost on the way: the statement itself says whether it is still awaited.
  const stillAwaited = async () => !answered && (await background.settlementStatus({ settlementId })) === 'sent';

  const outcome = await runLadder(deadlines, {
    deadline: { key: settlementConfirmKey(dueAt), kind: 'settlement_confirm', words: words('deadline.dealer.settlement_confirm', { settlementId }) },
    plan: async () => ({ due: { at: dueAt, provisional: false }, rungs: [{ rung: 'reminder', at: dueAt }, { rung: 'escalation', at: await escalateAt() }] }),
    met: () => answered,
    async onRung(rung, due) {
      if (!(await stillAwaited())) {
        answered = true;
        return;
      }
      if (rung === 'reminder') {
        const dealer = await background.dealerPeople({ dealerId: input.dealerId });
        await notify(`confirm-reminder:v${input.version}:${input.dueAt}`, 'deadline-reminder', dealer, { taskKey: 'settlement_confirm', dueAt: due.toISOString() }, notice);
        return;
      }
      const finance = await background.activeUsersWithRole({ role: 'finance' });
      const [dealer] = await background.dealerNames({ dealerIds: [input.dealerId] });
      await notify(`confirm-escalated:v${input.version}:${input.dueAt}`, 'escalation', finance.people, { missedKey: 'settlement_confirm', dueAt: due.toISOString(), responsibleName: dealer ?? '', sentToAdmins: finance.sentToAdmins }, notice);
      escalated = true;
    },
  });
  // Escalated and still unanswered: the statement stays overdue on record until the dealer answers.
  if (outcome === 'exhausted') await condition(() => answered);
  return { answered, escalated };
}
