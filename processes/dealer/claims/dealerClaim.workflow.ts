/**
 * P5 the timers of one dealer claim (its steps are recorded by the API, each in one transaction that
 * locks the claim, and the API tells this process with `claimChangedSignal`):
 * - the old parts are due by the next `dealer.oldPartReturnDeadlines` date: at the end of that day a
 *   line whose part is missing is not written off, nor the labour that fitted it; the other lines go on;
 * - a claim sent back may be amended and resubmitted within `dealer.resubmitWithin`: when the window
 *   closes, the lines still sent back are rejected.
 * The dealer hears of both. The process ends once every line is decided and no part is awaited.
 */
import { words } from '../../../domain/words';
import { allHandlersFinished, condition, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import { Duration as LuxonDuration } from 'luxon';
import type { createDealerActivities } from '../activities';
import { BACKGROUND_ACTIVITY } from '../../../platform/workflowKit/activityOptions';
import { Deadlines, msUntil } from '../../../platform/workflowKit/deadlines';
import { claimChangedSignal, type DealerClaimInput } from '../messages';
import { notify } from '../../../platform/workflowKit/notify';
import { durationText } from '../rules';

type Activities = ReturnType<typeof createDealerActivities>;

const background = proxyActivities<Activities>(BACKGROUND_ACTIVITY);

export async function dealerClaim(input: DealerClaimInput): Promise<{ partsLost: number[]; resubmitClosed: number[] }> {
  const { claimId, policy } = input;
  const deadlines = new Deadlines(policy.calendar, { type: 'claim', id: claimId });
  const notice = { timeZone: policy.dealer.settlementTimeZone, actionPath: `/dealer/claims/${claimId}` };
  const within = policy.dealer.resubmitWithin;
  // An ISO window is a fixed span after the send-back; a window in working days is counted on the
  // business calendar (the deadline kit's local activity), once per send-back.
  const resubmitMs = typeof within === 'string' ? LuxonDuration.fromISO(within).toMillis() : undefined;
  let counted: { sentBackAt: string; at: Date } | undefined;
  let changes = 0;
  setHandler(claimChangedSignal, () => void (changes += 1));
  // A step that lands while the claim is being read must wake the wait that follows: the changes are
  // counted before each read. Runs recorded before counted them after it, and slept through such a step.
  const countsBeforeRead = patched('dealer-claim-count-changes-before-read');
  let readAt = changes;
  const readFacts = async () => {
    readAt = changes;
    return background.claimTimerFacts({ claimId });
  };

  const outcome = { partsLost: [] as number[], resubmitClosed: [] as number[] };
  let partsApplied = !input.partsDueAt;
  let facts = await readFacts();
  const finished = () => (facts.status === 'decided' || facts.status === 'rejected') && (!facts.partsOutstanding || partsApplied);
  const resubmitEndsAt = async (): Promise<Date | undefined> => {
    if (facts.status !== 'sent_back' || !facts.sentBackAt) return undefined;
    if (typeof within === 'string') return new Date(new Date(facts.sentBackAt).getTime() + resubmitMs!);
    // Before working days were counted, such a window came out as no date at all (NaN).
    if (!patched('dealer-working-day-deadlines')) return new Date(NaN);
    if (counted?.sentBackAt !== facts.sentBackAt) counted = { sentBackAt: facts.sentBackAt, at: (await deadlines.add(facts.sentBackAt, within)).at };
    return counted.at;
  };

  const tellDealer = async (key: string, whatKey: string, lines: number[], dueAt: string) => {
    const dealer = await background.dealerPeople({ dealerId: input.dealerId });
    await notify(key, 'dealer-claim-lines', dealer, { claimId, deviceSerial: input.deviceSerial, whatKey, lines: lines.join(', '), dueAt }, notice);
  };

  while (!finished()) {
    const resubmitEnd = await resubmitEndsAt();
    if (resubmitEnd) await deadlines.open({ key: `resubmit_window:${facts.sentBackAt}`, kind: 'resubmit_window', words: words('deadline.dealer.resubmit_window', { claimId }) }, { at: resubmitEnd, provisional: false });
    const timers = [...(!partsApplied && facts.partsOutstanding ? [new Date(input.partsDueAt!)] : []), ...(resubmitEnd ? [resubmitEnd] : [])];
    const next = timers.length > 0 ? Math.min(...timers.map((t) => t.getTime())) : undefined;
    const seen = countsBeforeRead ? readAt : changes;
    const signalled = next === undefined ? (await condition(() => changes !== seen), true) : await condition(() => changes !== seen, msUntil(new Date(next)));
    const sentBackAt = facts.sentBackAt;
    if (signalled) {
      facts = await readFacts();
      // Resubmitted inside the window: it was met.
      if (resubmitEnd && (facts.status !== 'sent_back' || facts.sentBackAt !== sentBackAt)) await deadlines.close(`resubmit_window:${sentBackAt}`, 'met');
      continue;
    }
    if (!partsApplied && input.partsDueAt && Date.now() >= new Date(input.partsDueAt).getTime()) {
      partsApplied = true;
      const lost = await background.applyClaimPartsDeadline({ claimId });
      outcome.partsLost.push(...lost);
      if (lost.length > 0) await tellDealer('parts-missing', 'claim_parts_missing', lost, input.partsDueAt);
    }
    const end = await resubmitEndsAt();
    if (end && Date.now() >= end.getTime()) {
      const closed = await background.closeResubmitWindow({ claimId, within: durationText(within) });
      outcome.resubmitClosed.push(...closed);
      await deadlines.close(`resubmit_window:${sentBackAt}`, 'dropped');
      if (closed.length > 0) await tellDealer(`resubmit-closed:${sentBackAt}`, 'claim_resubmit_closed', closed, end.toISOString());
    }
    facts = await readFacts();
  }
  // Runs recorded before the patch ended without waiting (they awaited the boolean itself).
  if (patched('dealer-claim-wait-for-handlers')) await condition(allHandlersFinished);
  return outcome;
}
