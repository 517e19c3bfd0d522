/**
 * Scenarios of the dealer processes (P5) for the replay fixtures, driven through the API as
 * test/integration/dealerProcesses.test.ts, dealerPartsPlans.test.ts and dealerWorkingDays.test.ts
 * drive them; the two runs a Temporal Schedule starts in production (the settlement run, the parts
 * plans' opening) are started by the client, as those tests start them.
 */
import type { History } from '@temporalio/common/lib/proto-utils';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import type { Json } from '../support/projectHarness';
import { check, type RecordKit, type Recorded } from './recordKit';

/** A season starting 60 days from now (MM-DD), so its next start is ahead whatever today is. */
const seasonDay = () => new Date(Date.now() + 60 * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
const today = () => new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
const cny = (amount: number) => ({ amount, currency: 'CNY' });

/** The dealer terms in seconds (dealerProcesses.test.ts, dealerPartsPlans.test.ts), as the template every process reads. */
const seconds = () => ({
  dealer: {
    warrantyCardWithin: 'PT6S',
    warrantyCardRemindersAt: ['PT2S', 'PT4S'],
    taskArrangeWithin: 'PT3S',
    clerkCheckAt: 'PT6S',
    resubmitWithin: 'PT3S',
    settlementConfirmWithin: 'PT3S',
    settlementEscalateAfter: 'PT3S',
    auditSampleRate: 0,
    salesSeasons: [seasonDay().slice(5)],
    partsPlanLead: 'PT6S',
    partsPlanRemindBefore: 'PT3S',
  },
});

/**
 * The seconds terms with the deadlines of dealerWorkingDays.test.ts in working days on the policy's
 * calendar: the warranty's length, a claim's resubmission window, a statement's confirmation and its
 * escalation (the `dealer-working-day-deadlines` branches of the card, the claim and the confirmation).
 */
const workingDays = () => ({
  warranty: { length: { workingDays: 15 } },
  dealer: { ...seconds().dealer, resubmitWithin: { workingDays: 5 }, settlementConfirmWithin: { workingDays: 3 }, settlementEscalateAfter: { workingDays: 2 } },
});

/** The template's dealer terms, the model's reference, two dealers and the people; once, before the scenarios run. */
export async function prepareDealers(k: RecordKit): Promise<{ dealerA: number; dealerB: number }> {
  const { knex } = k.h.system.db;
  await new PolicyLayersRepository(knex).put('template', 'default', seconds());
  await new DealerWarrantyRepository(knex).putModelReference('M1', [{ partNo: 'P-100' }], [{ operation: 'replace-pump', standardHundredths: 150 }]);
  const dealerA = (await k.ok('POST', '/api/dealers', k.adminToken, { name: 'Replay Dealer A', contactEmail: 'service@replay-dealer-a.test', locale: 'en' })).id as number;
  const dealerB = (await k.ok('POST', '/api/dealers', k.adminToken, { name: 'Replay Dealer B', contactEmail: 'service@replay-dealer-b.test' })).id as number;
  await k.person('DealerA', 'dealer', { dealerId: dealerA });
  await k.person('DealerB', 'dealer', { dealerId: dealerB });
  await k.person('Clerk', 'sales_clerk');
  await k.person('Finance', 'finance');
  await k.person('Leader', 'leadership');
  return { dealerA, dealerB };
}

let serials = 0;
const serial = (prefix: string) => `${prefix}-${process.pid}-${Date.now()}-${(serials += 1)}`;

async function sell(k: RecordKit, deviceSerial: string, dealerToken = k.people.DealerA!.token): Promise<Json> {
  return k.ok('POST', '/api/dealer-sales', dealerToken, { deviceSerial, model: 'M1', saleDate: today(), customerName: 'Zhang San' });
}

type HistoryEvent = NonNullable<History['events']>[number];

/** Waits until the workflow's history holds the `patched(patchId)` marker: it has taken the patched branch. */
async function reachedPatch(k: RecordKit, workflowId: string, patchId: string): Promise<void> {
  const handle = k.h.system.temporal.client.workflow.getHandle(workflowId);
  const ids = (event: HistoryEvent) => {
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_patch') return [];
    return Object.values(marker.details ?? {}).flatMap((payloads) => (payloads.payloads ?? []).map((p) => (JSON.parse(Buffer.from(p.data ?? new Uint8Array()).toString('utf8')) as { id: string }).id));
  };
  await k.poll(`${workflowId} past patched('${patchId}')`, async () => ((await handle.fetchHistory()).events?.some((event) => ids(event).includes(patchId)) ? true : undefined));
}

/** A card never completed: reminded twice, then not recognised; a card in time registers the device and starts its care plan. */
async function warrantyCards(k: RecordKit): Promise<Recorded> {
  const late = await sell(k, serial('SN-LATE'));
  const inTime = await sell(k, serial('SN-CARD'));
  await k.ok('POST', `/api/dealer-sales/${inTime.id}/card`, k.people.DealerA!.token, { cardDate: today(), customerPhone: '13800000000', customerAddress: 'Nanchang' });
  await k.waitForMail(`warranty-card-${late.id}:card-not-recognised:`);
  return { 'warrantyCard--not-recognised': `warranty-card-${late.id}`, 'warrantyCard--card-in-time': `warranty-card-${inTime.id}` };
}

/** A task never arranged: the dealer reminded, leadership escalated; arranged late (the user told), then checked by the clerk. */
async function dealerTaskEscalated(k: RecordKit, dealerB: number): Promise<Recorded> {
  const task = await k.ok('POST', '/api/dealer-tasks', k.people.Clerk!.token, { dealerId: dealerB, deviceSerial: serial('SN-T'), customerName: 'Li Si', customerEmail: 'li.si.replay@user.test', request: 'pump noisy' });
  const workflowId = `dealer-task-${task.id}`;
  await k.waitForMail(`${workflowId}:escalated:`);
  await k.ok('POST', `/api/dealer-tasks/${task.id}/arrange`, k.people.DealerB!.token, { visitAt: '2026-12-02T09:00:00+08:00', arrangement: 'engineer Wang brings a spare pump' });
  await k.waitForMail(`${workflowId}:arranged:`);
  await k.ok('POST', `/api/dealer-tasks/${task.id}/check`, k.people.Clerk!.token, { note: 'confirmed with the user' });
  return { 'dealerTask--escalated-arranged-checked': workflowId };
}

/**
 * A claim sent back and not resubmitted (its window closes by timer); then the month's settlement run
 * freezes the dealer's statement, which is reminded, escalated and confirmed, and its write-off notice sent.
 */
async function claimAndSettlement(k: RecordKit, dealerA: number): Promise<Recorded> {
  const { client, taskQueue } = k.h.system.temporal;
  const deviceSerial = serial('SN-CLAIM');
  const sale = await sell(k, deviceSerial);
  await k.ok('POST', `/api/dealer-sales/${sale.id}/card`, k.people.DealerA!.token, { cardDate: today() });
  const claim = await k.ok('POST', '/api/claims', k.people.DealerA!.token, { deviceSerial, faultCode: 'E1', repairDate: today(), workDone: 'cleaned the optics', lines: [{ kind: 'travel', amount: cny(60000) }, { kind: 'other', amount: cny(500), description: 'cleaning' }] });
  const claimWorkflow = `dealer-claim-${claim.id}`;
  await k.ok('POST', `/api/claims/${claim.id}/decision`, k.people.Clerk!.token, { decisions: [{ lineNo: 1, kind: 'send_back', reason: 'travel above the cap' }, { lineNo: 2, kind: 'approve' }] });
  const outcome: Json = await client.workflow.getHandle(claimWorkflow).result();
  check(outcome.resubmitClosed.length === 1, `claim ${claim.id}: ${JSON.stringify(outcome)}`);

  const period = today().slice(0, 7);
  const runId = `dealer-settlement-run-${taskQueue}-${dealerA}`;
  const run: Json = await client.workflow.execute('dealerSettlementRun', { taskQueue, workflowId: runId, args: [{ period, timeZone: 'Asia/Shanghai', dealerId: dealerA }] });
  check(run.settlementIds.length === 1, `settlement run: ${JSON.stringify(run)}`);
  const statementId = run.settlementIds[0] as number;
  await k.ok('POST', `/api/settlements/${statementId}/review`, k.people.Finance!.token, { holdLineIds: [] });
  const confirmWorkflow = `settlement-${statementId}-confirm`;
  await k.waitForMail(`${confirmWorkflow}:confirm-escalated:v1:`);
  await k.ok('POST', `/api/settlements/${statementId}/confirm`, k.people.DealerA!.token, { version: 1 });
  const writeOff = `settlement-${statementId}-v1-write-off`;
  await k.poll('the write-off notice started', () => client.workflow.getHandle(writeOff).describe().then(() => true, () => undefined));
  return {
    'dealerClaim--resubmit-closed': claimWorkflow,
    'dealerSettlementRun--one-dealer': runId,
    'settlementConfirm--escalated-confirmed': confirmWorkflow,
    'dealerWriteOffNotice--sent': writeOff,
  };
}

/**
 * Dealer terms in working days (they put the template's terms for the run, so the run goes alone):
 * a card in time whose warranty ends with the 15th working day; a claim sent back, its window counted
 * in working days, then resubmitted inside it and approved; a new dealer's statement, its escalation
 * counted in working days, confirmed before it is due. Each workflow is let reach its patched branch
 * (the deadline computed, days before its timer) before the step that ends it.
 */
async function workingDayDeadlines(k: RecordKit): Promise<Recorded> {
  const { knex } = k.h.system.db;
  const { client } = k.h.system.temporal;
  const policies = new PolicyLayersRepository(knex);
  await policies.put('template', 'default', workingDays());
  try {
    const dealerC = (await k.ok('POST', '/api/dealers', k.adminToken, { name: 'Replay Dealer C', contactEmail: 'service@replay-dealer-c.test', locale: 'en' })).id as number;
    const dealer = (await k.person('DealerC', 'dealer', { dealerId: dealerC })).token;
    const deviceSerial = serial('SN-WD');
    const sale = await sell(k, deviceSerial, dealer);
    const card = await k.ok('POST', `/api/dealer-sales/${sale.id}/card`, dealer, { cardDate: today() });
    check(card.warrantyEndsOn > today(), `sale ${sale.id}: warranty ends on ${card.warrantyEndsOn}`);
    const cardWorkflow = `warranty-card-${sale.id}`;
    await client.workflow.getHandle(cardWorkflow).result();

    const claim = await k.ok('POST', '/api/claims', dealer, { deviceSerial, faultCode: 'E1', repairDate: today(), workDone: 'replaced the pump', lines: [{ kind: 'travel', amount: cny(60000) }] });
    const claimWorkflow = `dealer-claim-${claim.id}`;
    await k.ok('POST', `/api/claims/${claim.id}/decision`, k.people.Clerk!.token, { decisions: [{ lineNo: 1, kind: 'send_back', reason: 'travel above the cap' }] });
    await reachedPatch(k, claimWorkflow, 'dealer-working-day-deadlines');
    await k.ok('POST', `/api/claims/${claim.id}/resubmit`, dealer, { lines: [{ lineNo: 1, line: { kind: 'travel', amount: cny(40000) } }] });
    await k.ok('POST', `/api/claims/${claim.id}/decision`, k.people.Clerk!.token, { decisions: [{ lineNo: 1, kind: 'approve' }] });
    const outcome: Json = await client.workflow.getHandle(claimWorkflow).result();
    check(outcome.resubmitClosed.length === 0, `claim ${claim.id}: ${JSON.stringify(outcome)}`);

    const run = await k.ok('POST', '/api/settlements/run', k.people.Finance!.token, { period: today().slice(0, 7), dealerId: dealerC });
    check(run.settlements.length === 1, `settlement run of dealer ${dealerC}: ${JSON.stringify(run)}`);
    const statementId = run.settlements[0].id as number;
    await k.ok('POST', `/api/settlements/${statementId}/review`, k.people.Finance!.token, { holdLineIds: [] });
    const confirmWorkflow = `settlement-${statementId}-confirm`;
    await reachedPatch(k, confirmWorkflow, 'dealer-working-day-deadlines');
    await k.ok('POST', `/api/settlements/${statementId}/confirm`, dealer, { version: 1 });
    await client.workflow.getHandle(`settlement-${statementId}-v1-write-off`).result();
    return {
      'warrantyCard--working-day-warranty': cardWorkflow,
      'dealerClaim--working-days-resubmitted': claimWorkflow,
      'settlementConfirm--working-days-confirmed': confirmWorkflow,
    };
  } finally {
    await policies.put('template', 'default', seconds());
  }
}

/** The opening run opens one plan per dealer for the season ahead; A submits in time, B is reminded, escalated, then submits late. */
async function partsPlans(k: RecordKit, dealerA: number, dealerB: number): Promise<Recorded> {
  const { client, taskQueue } = k.h.system.temporal;
  const knex = k.h.system.db.knex;
  const openingId = `parts-plan-opening-${taskQueue}`;
  await client.workflow.execute('partsPlanOpening', { taskQueue, workflowId: openingId, args: [] });
  const planOf = async (dealerId: number) => Number(((await knex('parts_plans').where({ dealer_id: dealerId }).first('id')) as { id: number }).id);
  const [planA, planB] = [await planOf(dealerA), await planOf(dealerB)];
  const season = seasonDay();
  await k.ok('POST', `/api/dealers/${dealerA}/parts-plans`, k.people.DealerA!.token, { seasonStart: season, lines: [{ partNo: 'P-100', quantity: 4 }], note: 'spring season' });
  await k.waitForMail(`parts-plan-${planB}:plan-escalated:`);
  await k.ok('POST', `/api/dealers/${dealerB}/parts-plans`, k.people.DealerB!.token, { seasonStart: season, lines: [{ partNo: 'P-100', quantity: 1 }] });
  return { 'partsPlanOpening--two-dealers': openingId, 'partsPlan--submitted-in-time': `parts-plan-${planA}`, 'partsPlan--reminded-escalated-late': `parts-plan-${planB}` };
}

export const dealerScenarios = { warrantyCards, dealerTaskEscalated, claimAndSettlement, partsPlans, workingDayDeadlines };
