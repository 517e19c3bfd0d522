/**
 * Records real histories of the long-running workflows for the replay test: each scenario is driven
 * through the API on the test Temporal server, like a user would, until every workflow it needs has
 * closed; then each history is fetched and saved as `histories/<scenario>.json`.
 *
 * Run it with `RECORD_HISTORIES=1 npx jest test/replay` (it needs the test server that jest's
 * globalSetup starts): it records only the scenarios that have no fixture yet, so the histories older
 * code wrote stay as they are. `RECORD_HISTORIES=all` records every scenario again and replaces every
 * `histories/*.json`. Re-record only when a scenario is added or changed on purpose: the point of the
 * fixtures is that histories written by older code keep replaying on newer code.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PolicyOverride } from '../../domain/policy';
import { historyToJson } from './historyJson';
import { apiModules } from '../../api/index';
import { BOTH_SIGN, SECONDS_POLICY, startProjectHarness, uniqueContractNo, type Json, type ProjectHarness } from '../support/projectHarness';
import { careAndTicketScenarios, prepareCareAndTickets } from './recordCareAndTickets';
import { dealerScenarios, prepareDealers } from './recordDealer';
import { check, recordKit, type RecordKit } from './recordKit';

/** Every fixture the replay test requires, by file name (without `.json`) and the workflow it holds. */
export const SCENARIOS = {
  'projectDelivery--initial-acceptance': 'projectDelivery',
  'projectDelivery--no-initial-acceptance': 'projectDelivery',
  'projectDelivery--failed-final-acceptance': 'projectDelivery',
  'projectDelivery--trial-extended': 'projectDelivery',
  'projectDelivery--cancelled-with-doa': 'projectDelivery',
  'trialRun--report-submitted': 'trialRun',
  'trialRun--extensions': 'trialRun',
  'trialRun--second-round': 'trialRun',
  'doaReplacement--returned-in-time': 'doaReplacement',
  'doaReplacement--charged': 'doaReplacement',
  'doaReplacement--excluded': 'doaReplacement',
  'doaReplacement--cancelled': 'doaReplacement',
  'projectDelivery--care-plan-at-handover': 'projectDelivery',
  'serviceTicket--held-warned-surveyed': 'serviceTicket',
  'serviceTicket--care-finding-reopened': 'serviceTicket',
  'carePlan--visit-call-repair': 'carePlan',
  'warrantyCard--not-recognised': 'warrantyCard',
  'warrantyCard--card-in-time': 'warrantyCard',
  'dealerTask--escalated-arranged-checked': 'dealerTask',
  'dealerClaim--resubmit-closed': 'dealerClaim',
  'dealerSettlementRun--one-dealer': 'dealerSettlementRun',
  'settlementConfirm--escalated-confirmed': 'settlementConfirm',
  'dealerWriteOffNotice--sent': 'dealerWriteOffNotice',
  'partsPlanOpening--two-dealers': 'partsPlanOpening',
  'partsPlan--submitted-in-time': 'partsPlan',
  'partsPlan--reminded-escalated-late': 'partsPlan',
  'warrantyCard--working-day-warranty': 'warrantyCard',
  'dealerClaim--working-days-resubmitted': 'dealerClaim',
  'settlementConfirm--working-days-confirmed': 'settlementConfirm',
} as const;

export type Scenario = keyof typeof SCENARIOS;

/** What a fixture file holds: the history in Temporal's JSON form (as `temporal workflow show -o json` writes it). */
export interface HistoryFixture {
  scenario: string;
  workflowType: string;
  workflowId: string;
  recordedAt: string;
  history: unknown;
}

type Recorded = Partial<Record<Scenario, string>>;

function policyWith(delivery: NonNullable<PolicyOverride['delivery']>, doa: PolicyOverride['doa'] = {}): PolicyOverride {
  return { ...SECONDS_POLICY, delivery: { ...SECONDS_POLICY.delivery, ...delivery }, doa: { ...SECONDS_POLICY.doa, ...doa } };
}

async function ok(h: ProjectHarness, id: number, step: string, body: unknown = {}): Promise<Json> {
  const answer = await h.step(id, step, body);
  check(answer.status === 200 || answer.status === 201, `${step} on project ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

async function create(h: ProjectHarness, overrides: Record<string, unknown>): Promise<{ id: number; serials: string[] }> {
  const created = await h.createProject(overrides);
  check(created.status === 201, `create project: ${created.status} ${JSON.stringify(created.body)}`);
  const id: number = created.body.id;
  return { id, serials: (await h.project(id)).devices.map((d: Json) => d.serial) };
}

const kickoff = (h: ProjectHarness, id: number) => ok(h, id, 'kickoff', { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality'], completionCriteria: 'all tests signed' });
const unboxAllOk = (h: ProjectHarness, id: number, serials: string[]) => ok(h, id, 'unboxing', { items: serials.map((serial) => ({ serial, condition: 'ok' })), signatures: BOTH_SIGN });
const initialAcceptance = (h: ProjectHarness, id: number, leftoverIssues: { title: string }[] = []) =>
  ok(h, id, 'initial-acceptance', { items: [{ name: 'image quality', passed: true, signedBy: 'Wang Fang' }], leftoverIssues, signatures: BOTH_SIGN });
const trialRunning = (h: ProjectHarness, id: number, round = 1) => h.waitFor(id, `trial round ${round} running`, (p) => p.trial?.round === round && p.trial?.status === 'running', 60_000);

async function passAndHandOver(h: ProjectHarness, id: number): Promise<void> {
  await h.waitForStage(id, 'final_acceptance', 90_000);
  await ok(h, id, 'final-acceptance', { passed: true, signatures: BOTH_SIGN, scores: { hardware: 28, software: 45, documents: 9, satisfaction: 10 } });
  const done = await ok(h, id, 'handover', { documents: [{ name: '工程竣工资料移交清单', delivered: true }], signatures: [{ name: 'Wang Fang', party: 'customer' }] });
  check(done.stage === 'completed', `project ${id} did not complete`);
}

/** Initial acceptance with a leftover issue (resolved), a weekly report, the trial report on time. */
async function withInitialAcceptance(h: ProjectHarness): Promise<Recorded> {
  const { id, serials } = await create(h, { policy: policyWith({ trialRun: 'PT8S', trialReportLead: 'PT3S' }) });
  await kickoff(h, id);
  await unboxAllOk(h, id, serials);
  await ok(h, id, 'weekly-reports', { summary: 'cabling done' });
  const accepted = await initialAcceptance(h, id, [{ title: 'label printer offline' }]);
  await ok(h, id, `trial-issues/${accepted.issueIds[0]}/resolve`, { resolution: 'driver reinstalled' });
  await trialRunning(h, id);
  await ok(h, id, 'trial-report', { summary: 'ran without faults' });
  await passAndHandOver(h, id);
  return { 'projectDelivery--initial-acceptance': `project-${id}`, 'trialRun--report-submitted': `trial-run-${id}` };
}

/**
 * No initial acceptance in the contract: installation-complete starts the trial run. The fixture of
 * that name was recorded before the care plan started at handover (no marker); `care-plan-at-handover`
 * is the same run on the code that starts it.
 */
async function withoutInitialAcceptance(h: ProjectHarness, scenario: 'projectDelivery--no-initial-acceptance' | 'projectDelivery--care-plan-at-handover'): Promise<Recorded> {
  const { id, serials } = await create(h, { policy: policyWith({ initialAcceptanceRequired: false, trialRun: 'PT8S', trialReportLead: 'PT3S' }) });
  await kickoff(h, id);
  await unboxAllOk(h, id, serials);
  await ok(h, id, 'installation-complete', { testRecords: [{ name: 'exposure test', passed: true, signatures: BOTH_SIGN }] });
  await trialRunning(h, id);
  await ok(h, id, 'trial-report', { summary: 'ran without faults' });
  await passAndHandOver(h, id);
  return { [scenario]: `project-${id}` };
}

/** Final acceptance fails with a new issue: a second trial round, the issue resolved, then it passes. */
async function failedFinalAcceptance(h: ProjectHarness): Promise<Recorded> {
  const { id, serials } = await create(h, { policy: policyWith({ trialRun: 'PT6S', trialReportLead: 'PT3S', trialExtendBy: 'PT10S' }) });
  await kickoff(h, id);
  await unboxAllOk(h, id, serials);
  await initialAcceptance(h, id);
  await trialRunning(h, id);
  await ok(h, id, 'trial-report', { summary: 'ran without faults' });
  await h.waitForStage(id, 'final_acceptance', 90_000);
  const failed = await ok(h, id, 'final-acceptance', { passed: false, signatures: BOTH_SIGN, issues: [{ title: 'dose report missing' }] });
  check(failed.stage === 'trial_run', `project ${id}: a failed final acceptance should go back to the trial run`);
  await trialRunning(h, id, 2);
  await ok(h, id, `trial-issues/${failed.issueIds[0]}/resolve`, { resolution: 'dose report module enabled' });
  await ok(h, id, 'trial-report', { summary: 'second round without faults' });
  await passAndHandOver(h, id);
  return { 'projectDelivery--failed-final-acceptance': `project-${id}`, 'trialRun--second-round': `trial-run-${id}-round-2` };
}

/** An issue never resolved and no report: reminders, escalations and both extensions, then final acceptance. */
async function trialExtended(h: ProjectHarness): Promise<Recorded> {
  const { id, serials } = await create(h, { policy: policyWith({ trialRun: 'PT4S', trialReportLead: 'PT2S', trialExtendBy: 'PT3S', trialMaxExtensions: 2 }) });
  await kickoff(h, id);
  await unboxAllOk(h, id, serials);
  await initialAcceptance(h, id, [{ title: 'PACS link drops at night' }]);
  await passAndHandOver(h, id);
  return { 'projectDelivery--trial-extended': `project-${id}`, 'trialRun--extensions': `trial-run-${id}` };
}

/**
 * Four damaged units at unboxing: one returned in time, one never returned (charged, then returned
 * late), one excluded (human damage), one still waiting for its replacement when the project is cancelled.
 */
async function cancelledWithDoa(h: ProjectHarness): Promise<Recorded> {
  const device = (model: string, prefix: string) => ({ model, serial: `${prefix}-${uniqueContractNo('SN')}`, brand: 'Tengyang', catalogPrice: { amount: 5_600_000, currency: 'CNY' } });
  const devices = [device('DR-7000', 'DR'), device('BC-300', 'BC'), device('US-500', 'US'), device('CT-900', 'CT'), device('MR-100', 'MR')];
  // Shipment has a long deadline, so the case left waiting is still waiting when the project is cancelled.
  const { id } = await create(h, { devices, policy: policyWith({}, { shipWithin: 'PT120S', returnWithin: 'PT6S', returnReminderBefore: 'PT3S' }) });
  const [inTime, charged, excluded, waiting, fine] = devices.map((d) => d.serial) as [string, string, string, string, string];
  const damaged = (serial: string, cause: string) => ({ serial, condition: 'damaged', damage: { description: 'cracked housing', cause } });
  await kickoff(h, id);
  await ok(h, id, 'unboxing', {
    items: [damaged(inTime, 'transport'), damaged(charged, 'manufacturing'), damaged(excluded, 'human'), damaged(waiting, 'unknown'), { serial: fine, condition: 'ok' }],
    signatures: BOTH_SIGN,
  });
  const doa = (serial: string) => `doa-${id}-${serial}`;
  const doaStep = (serial: string, step: string, body: unknown = {}) => ok(h, id, `doa/${serial}/${step}`, body);

  await doaStep(inTime, 'shipped', { replacementSerial: `R-${inTime}` });
  await doaStep(charged, 'shipped', { replacementSerial: `R-${charged}` });
  await doaStep(inTime, 'received');
  await doaStep(charged, 'received');
  await doaStep(inTime, 'returned', { acceptable: true });
  await h.waitFor(id, `DOA ${charged} charged`, (p) => p.doaCases.some((c: Json) => c.serial === charged && c.status === 'charged'), 60_000);
  // Returned only once the charge notices are out, so the return is late in every sense.
  await h.waitForMails((m) => Boolean(m.idempotencyKey?.startsWith(`${doa(charged)}:charged:`)), 2, 60_000);
  await doaStep(charged, 'returned', { acceptable: true, note: 'came back late' });

  const client = h.system.temporal.client;
  for (const serial of [inTime, charged, excluded]) await client.workflow.getHandle(doa(serial)).result();
  await ok(h, id, 'cancel', { reason: 'customer withdrew the order' });
  return {
    'projectDelivery--cancelled-with-doa': `project-${id}`,
    'doaReplacement--returned-in-time': doa(inTime),
    'doaReplacement--charged': doa(charged),
    'doaReplacement--excluded': doa(excluded),
    'doaReplacement--cancelled': doa(waiting),
  };
}

/** What each recorded workflow must have ended as, so a fixture is what its name says. */
const EXPECTED_CLOSE: Record<Scenario, { status: string; check?: (result: Json) => boolean }> = {
  'projectDelivery--initial-acceptance': { status: 'COMPLETED', check: (r) => r.stage === 'completed' && r.trial.extensions === 0 },
  'projectDelivery--no-initial-acceptance': { status: 'COMPLETED', check: (r) => r.stage === 'completed' },
  'projectDelivery--failed-final-acceptance': { status: 'COMPLETED', check: (r) => r.stage === 'completed' && r.trial.round === 2 },
  'projectDelivery--trial-extended': { status: 'COMPLETED', check: (r) => r.stage === 'completed' && r.trial.extensions === 2 },
  'projectDelivery--cancelled-with-doa': { status: 'COMPLETED', check: (r) => r.stage === 'cancelled' && r.doaCases.length === 4 },
  'trialRun--report-submitted': { status: 'COMPLETED', check: (r) => r.reportSubmitted && r.extensions === 0 },
  'trialRun--extensions': { status: 'COMPLETED', check: (r) => !r.reportSubmitted && r.extensions === 2 },
  'trialRun--second-round': { status: 'COMPLETED', check: (r) => r.reportSubmitted },
  'doaReplacement--returned-in-time': { status: 'COMPLETED', check: (r) => r.status === 'returned' },
  'doaReplacement--charged': { status: 'COMPLETED', check: (r) => r.status === 'charged' && r.returnedAt !== undefined },
  'doaReplacement--excluded': { status: 'COMPLETED', check: (r) => r.status === 'excluded' },
  'doaReplacement--cancelled': { status: 'CANCELLED' },
  'projectDelivery--care-plan-at-handover': { status: 'COMPLETED', check: (r) => r.stage === 'completed' },
  'serviceTicket--held-warned-surveyed': { status: 'COMPLETED' },
  'serviceTicket--care-finding-reopened': { status: 'COMPLETED' },
  'carePlan--visit-call-repair': { status: 'COMPLETED' },
  'warrantyCard--not-recognised': { status: 'COMPLETED', check: (r) => r.status === 'not_recognised' },
  'warrantyCard--card-in-time': { status: 'COMPLETED', check: (r) => r.status === 'recognised' },
  'dealerTask--escalated-arranged-checked': { status: 'COMPLETED', check: (r) => r.status === 'checked' && r.escalated === true },
  'dealerClaim--resubmit-closed': { status: 'COMPLETED', check: (r) => r.resubmitClosed.length === 1 },
  'dealerSettlementRun--one-dealer': { status: 'COMPLETED', check: (r) => r.settlementIds.length === 1 },
  'settlementConfirm--escalated-confirmed': { status: 'COMPLETED', check: (r) => r.answered === true && r.escalated === true },
  'dealerWriteOffNotice--sent': { status: 'COMPLETED', check: (r) => r.status === 'sent' },
  'partsPlanOpening--two-dealers': { status: 'COMPLETED', check: (r) => r.started.length === 2 },
  'partsPlan--submitted-in-time': { status: 'COMPLETED', check: (r) => r.status === 'submitted' && !r.reminded },
  'partsPlan--reminded-escalated-late': { status: 'COMPLETED', check: (r) => r.status === 'submitted' && r.reminded && r.escalated },
  'warrantyCard--working-day-warranty': { status: 'COMPLETED', check: (r) => r.status === 'recognised' },
  'dealerClaim--working-days-resubmitted': { status: 'COMPLETED', check: (r) => r.resubmitClosed.length === 0 && r.partsLost.length === 0 },
  'settlementConfirm--working-days-confirmed': { status: 'COMPLETED', check: (r) => r.answered === true && r.escalated === false },
};

/** The runs that record the scenarios, each with the fixtures it yields; a run goes only when one of its fixtures is wanted. */
interface Run {
  yields: Scenario[];
  /** Runs by itself once the others are done: it changes what the others read (the template's dealer terms). */
  alone?: true;
  run(k: RecordKit, dealers: { dealerA: number; dealerB: number }): Promise<Recorded>;
}
const RUNS: Run[] = [
  { yields: ['projectDelivery--initial-acceptance', 'trialRun--report-submitted'], run: (k) => withInitialAcceptance(k.h) },
  { yields: ['projectDelivery--no-initial-acceptance'], run: (k) => withoutInitialAcceptance(k.h, 'projectDelivery--no-initial-acceptance') },
  { yields: ['projectDelivery--failed-final-acceptance', 'trialRun--second-round'], run: (k) => failedFinalAcceptance(k.h) },
  { yields: ['projectDelivery--trial-extended', 'trialRun--extensions'], run: (k) => trialExtended(k.h) },
  {
    yields: ['projectDelivery--cancelled-with-doa', 'doaReplacement--returned-in-time', 'doaReplacement--charged', 'doaReplacement--excluded', 'doaReplacement--cancelled'],
    run: (k) => cancelledWithDoa(k.h),
  },
  { yields: ['projectDelivery--care-plan-at-handover'], run: (k) => withoutInitialAcceptance(k.h, 'projectDelivery--care-plan-at-handover') },
  { yields: ['serviceTicket--held-warned-surveyed'], run: (k) => careAndTicketScenarios.ticketHeldAndWarned(k) },
  { yields: ['carePlan--visit-call-repair', 'serviceTicket--care-finding-reopened'], run: (k) => careAndTicketScenarios.carePlanWithRepair(k) },
  { yields: ['warrantyCard--not-recognised', 'warrantyCard--card-in-time'], run: (k) => dealerScenarios.warrantyCards(k) },
  { yields: ['dealerTask--escalated-arranged-checked'], run: (k, d) => dealerScenarios.dealerTaskEscalated(k, d.dealerB) },
  {
    yields: ['dealerClaim--resubmit-closed', 'dealerSettlementRun--one-dealer', 'settlementConfirm--escalated-confirmed', 'dealerWriteOffNotice--sent'],
    run: (k, d) => dealerScenarios.claimAndSettlement(k, d.dealerA),
  },
  { yields: ['partsPlanOpening--two-dealers', 'partsPlan--submitted-in-time', 'partsPlan--reminded-escalated-late'], run: (k, d) => dealerScenarios.partsPlans(k, d.dealerA, d.dealerB) },
  {
    yields: ['warrantyCard--working-day-warranty', 'dealerClaim--working-days-resubmitted', 'settlementConfirm--working-days-confirmed'],
    alone: true,
    run: (k) => dealerScenarios.workingDayDeadlines(k),
  },
];

/**
 * Drives the scenarios (in parallel) and writes one fixture per scenario into `dir`. By default only
 * the scenarios without a fixture are recorded and nothing else is touched; `all` records every
 * scenario and replaces every `.json` directly in `dir` (never those in its sub-folders).
 */
export async function recordHistories(dir: string, which: 'missing' | 'all' = 'missing'): Promise<string[]> {
  const exists = (scenario: string) => fs.existsSync(path.join(dir, `${scenario}.json`));
  const wanted = (Object.keys(SCENARIOS) as Scenario[]).filter((scenario) => which === 'all' || !exists(scenario));
  for (const scenario of Object.keys(SCENARIOS) as Scenario[]) check(RUNS.some((r) => r.yields.includes(scenario)), `no run records ${scenario}`);
  if (wanted.length === 0) return [];
  const runs = RUNS.filter((r) => r.yields.some((scenario) => wanted.includes(scenario)));

  const h = await startProjectHarness('record', { routers: apiModules });
  try {
    const k = await recordKit(h);
    await prepareCareAndTickets(k);
    const dealers = await prepareDealers(k);
    const parts = await Promise.all(runs.filter((r) => !r.alone).map((r) => r.run(k, dealers)));
    for (const r of runs.filter((r) => r.alone)) parts.push(await r.run(k, dealers));
    const recorded: Recorded = Object.assign({}, ...parts);
    const client = h.system.temporal.client;

    const fixtures: [string, HistoryFixture][] = [];
    for (const scenario of wanted) {
      const workflowType = SCENARIOS[scenario];
      const workflowId = recorded[scenario];
      check(workflowId, `no workflow recorded for ${scenario}`);
      const handle = client.workflow.getHandle(workflowId);
      const expected = EXPECTED_CLOSE[scenario];
      const result = await handle.result().catch((error: unknown) => ({ error }));
      const description = await handle.describe();
      check(description.type === workflowType, `${scenario}: ${workflowId} is a ${description.type}`);
      check(description.status.name === expected.status, `${scenario}: ${workflowId} ended ${description.status.name}, expected ${expected.status}`);
      check(!expected.check || expected.check(result), `${scenario}: unexpected result ${JSON.stringify(result).slice(0, 2000)}`);
      const history = historyToJson(await handle.fetchHistory());
      fixtures.push([scenario, { scenario, workflowType, workflowId, recordedAt: new Date().toISOString(), history }]);
    }

    fs.mkdirSync(dir, { recursive: true });
    if (which === 'all') for (const stale of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) fs.rmSync(path.join(dir, stale));
    const written: string[] = [];
    for (const [scenario, fixture] of fixtures) {
      const file = path.join(dir, `${scenario}.json`);
      fs.writeFileSync(file, `${JSON.stringify(fixture, null, 1)}\n`);
      written.push(file);
    }
    return written;
  } finally {
    await h.stop();
  }
}
