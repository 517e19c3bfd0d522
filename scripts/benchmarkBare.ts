/**
 * Each process type next to a bare workflow of the same shape, on the same server in the same run
 * (`npm run benchmark -- bare`). The real process runs once to completion (projects and tickets
 * driven through the API, a step sent as soon as the one before is answered; the dealer workflows
 * started as the API or the Schedule starts them); its history (and its children's) gives the shape:
 * every activity, local activity, timer (fired or cancelled, with its duration) and update, in order
 * and overlapping as they did. `bareProcess` (scripts/benchmark.workflows.ts) replays that shape with
 * activities that do nothing. The ratio real ÷ bare is what Aftercare adds (SQL, rendering, the step
 * kit, the API) over Temporal's own cost of the same moves; both times come from the server's history.
 */
import crypto from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Knex } from 'knex';
import { CustomersRepository } from '../installedBase/customers';
import { DevicesRepository } from '../installedBase/devices';
import { UsersRepository } from '../people/repository';
import type { BareMove } from './benchmark.workflows';

type Report = (what: string, figure: string) => void;
type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

const millis = (t: Timestamp): number => (t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : 0);

export interface ProcessShape {
  moves: BareMove[];
  activities: number;
  localActivities: number;
  timers: number;
  /** Updates and signals the top workflow received (the bare one gets as many updates). */
  updates: number;
  children: number;
  /** From the first event to the last, by the server's clock. */
  ms: number;
}

/** The shape of a closed workflow and its children, from their histories. */
export async function shapeOf(client: Client, workflowId: string, top = true): Promise<ProcessShape> {
  const history: History = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const shape: ProcessShape = { moves: [], activities: 0, localActivities: 0, timers: 0, updates: 0, children: 0, ms: millis(events.at(-1)?.eventTime) - millis(events[0]?.eventTime) };
  const { moves } = shape;
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes) {
      moves.push({ kind: 'activityStart', id: String(e.eventId) });
      shape.activities += 1;
    }
    const ended = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (ended) moves.push({ kind: 'activityEnd', id: String(ended.scheduledEventId) });
    if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      moves.push({ kind: 'localActivity' });
      shape.localActivities += 1;
    }
    const timer = e.timerStartedEventAttributes;
    if (timer) {
      moves.push({ kind: 'timerStart', id: String(timer.timerId), ms: millis(timer.startToFireTimeout) });
      shape.timers += 1;
    }
    if (e.timerFiredEventAttributes) moves.push({ kind: 'timerFired', id: String(e.timerFiredEventAttributes.timerId) });
    if (e.timerCanceledEventAttributes) moves.push({ kind: 'timerCanceled', id: String(e.timerCanceledEventAttributes.timerId) });
    // A child's signals come from its parent, whose signalling is not replayed: only the top workflow waits for steps.
    if (top && (e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionSignaledEventAttributes)) {
      shape.updates += 1;
      moves.push({ kind: 'updates', count: shape.updates });
    }
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (child?.workflowId) {
      const inner = await shapeOf(client, child.workflowId, false);
      moves.push({ kind: 'childStart', id: String(e.eventId), moves: inner.moves });
      shape.children += 1 + inner.children;
      shape.activities += inner.activities;
      shape.localActivities += inner.localActivities;
      shape.timers += inner.timers;
    }
    const childEnded =
      e.childWorkflowExecutionCompletedEventAttributes ?? e.childWorkflowExecutionFailedEventAttributes ?? e.childWorkflowExecutionCanceledEventAttributes ?? e.childWorkflowExecutionTerminatedEventAttributes ?? e.childWorkflowExecutionTimedOutEventAttributes;
    if (childEnded) moves.push({ kind: 'childEnd', id: String(childEnded.initiatedEventId) });
  }
  return shape;
}

/** Runs the bare twin of `shape` to completion, sending it as many updates as the real one took; its time by the server's clock. */
export async function runBare(client: Client, taskQueue: string, shape: ProcessShape, workflowId: string): Promise<number> {
  const handle = await client.workflow.start('bareProcess', { taskQueue, workflowId, args: [shape.moves] });
  for (let i = 0; i < shape.updates; i += 1) await handle.executeUpdate('bareStep');
  await handle.result();
  return (await shapeOf(client, workflowId)).ms;
}

interface Http {
  post(url: string, body: unknown, token: string): Promise<{ id?: number; workflowId?: string; [key: string]: unknown }>;
  get(url: string, token: string): Promise<{ [key: string]: unknown }>;
}

function http(apiUrl: string): Http {
  const send = async (method: string, url: string, token: string, body?: unknown) => {
    const response = await fetch(`${apiUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const json = (await response.json()) as { [key: string]: unknown };
    if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  return { post: (url, body, token) => send('POST', url, token, body), get: (url, token) => send('GET', url, token) };
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`benchmark: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const SIGNED = [{ name: 'Wang Fang', party: 'customer' }, { name: 'Zhang Wei', party: 'company' }];

/** A project from start to handover with a seconds-long trial, a step sent as soon as the last is answered. */
async function runProject(api: Http, tokens: { sm: string; pm: string }, client: Client): Promise<string> {
  const tag = crypto.randomUUID().slice(0, 8);
  const created = await api.post('/api/projects', {
    contractNo: `BARE-${tag}`,
    name: 'DR room installation',
    customer: { name: `Bare ${tag}`, contacts: [{ name: 'Wang Fang', email: `wang.${tag}@bench.test` }] },
    projectManager: { name: 'Zhang Wei', email: 'pm-bare@bench.test' },
    devices: [{ model: 'DR-7000', serial: `BARE-SN-${tag}` }],
    policy: { delivery: { initialAcceptanceRequired: false, weeklyReportEvery: 'PT30S', weeklyReportGrace: 'PT5S', trialRun: 'PT6S', trialReportLead: 'PT3S' } },
  }, tokens.sm);
  const id = created.id!;
  const step = (name: string, body: unknown) => api.post(`/api/projects/${id}/${name}`, body, tokens.pm);
  const project = async () => (await api.get(`/api/projects/${id}`, tokens.pm)) as { stage: string; trial?: { status: string } };
  await step('kickoff', { meetingDate: '2026-11-23', plan: 'install in room 3', acceptanceItems: ['image quality'], completionCriteria: 'all tests signed' });
  await step('unboxing', { items: [{ serial: `BARE-SN-${tag}`, condition: 'ok' }], signatures: SIGNED });
  await step('weekly-reports', { summary: 'cabling done' });
  await step('installation-complete', { testRecords: [{ name: 'exposure test', passed: true, signatures: SIGNED }] });
  await until('the trial running', async () => ((await project()).trial?.status === 'running' ? true : undefined));
  await step('trial-report', { summary: 'ran without faults' });
  await until('final acceptance', async () => ((await project()).stage === 'final_acceptance' ? true : undefined));
  await step('final-acceptance', { passed: true, signatures: SIGNED, scores: { hardware: 28, software: 45, documents: 9, satisfaction: 10 } });
  await step('handover', { documents: [{ name: 'operating manuals', delivered: true }], signatures: [{ name: 'Wang Fang', party: 'customer' }] });
  await client.workflow.getHandle(String(created.workflowId)).result();
  return String(created.workflowId);
}

/** A repair ticket in warranty: dispatched at intake, acknowledged, on site, resolved, closed and surveyed. */
async function runTicket(api: Http, tokens: { dispatcher: string; engineer: string }, engineerUserId: number, customerId: number, serial: string, client: Client): Promise<string> {
  const opened = await api.post('/api/tickets', { customerId, serial, symptom: 'no image', level: 3, channel: 'phone', contact: { name: 'C', email: 'c@bench.test' }, engineerUserId }, tokens.dispatcher);
  const id = opened.id!;
  const step = (name: string, body: unknown, token: string) => api.post(`/api/tickets/${id}/${name}`, body, token);
  await step('acknowledge', {}, tokens.engineer);
  await step('arrive', {}, tokens.engineer);
  await step('resolve', { diagnosis: 'cable fault', workDone: 'replaced the detector cable', qualityFault: true, parts: [{ partNumber: 'C-12', quantity: 1, unitCost: { amount: 30_000, currency: 'CNY' } }], labourMinutes: 60, labourRate: { amount: 20_000, currency: 'CNY' }, travel: { amount: 5_000, currency: 'CNY' } }, tokens.engineer);
  await step('close', {}, tokens.dispatcher);
  await step('survey', { score: 5, comment: 'quick and clean' }, tokens.dispatcher);
  await client.workflow.getHandle(`ticket-${id}`).result();
  return `ticket-${id}`;
}

export async function versusBare(bench: { apiUrl: string; knex: Knex; client: Client; taskQueue: string; bareTaskQueue: string; report: Report }): Promise<void> {
  const { client, knex, report } = bench;
  const rounds = Number(process.env.BENCH_BARE_ROUNDS ?? 3);
  console.log(`\nEach process next to a bare workflow of the same shape (same server, ${rounds} of each; real ÷ bare by the server's clock)`);
  const api = http(bench.apiUrl);
  const users = new UsersRepository(knex);
  const person = async (key: string, role: 'service_manager' | 'project_manager' | 'dispatcher' | 'engineer') => {
    const user = await users.create({ name: key, email: `${key}-bare@bench.test`, role, locale: 'en' });
    return { id: user.id, token: await users.issueToken(user.id, 'bench') };
  };
  const sm = await person('sm', 'service_manager');
  const pm = await person('pm', 'project_manager');
  const dispatcher = await person('dispatcher', 'dispatcher');
  const engineer = await person('engineer', 'engineer');
  const customer = await new CustomersRepository(knex).create({ name: 'Bare Hospital' });
  const devices = new DevicesRepository(knex);
  const serials = Array.from({ length: rounds }, (_, i) => `BARE-TK-${i}-${crypto.randomUUID().slice(0, 6)}`);
  await devices.createMany(customer.id, serials.map((serial) => ({ model: 'DR-7000', serial })));
  await devices.setWarranty(serials, new Date(Date.now() - 86_400_000), new Date(Date.now() + 365 * 86_400_000));

  const kinds: Array<[string, (round: number) => Promise<string>]> = [
    ['projectDelivery (with its trialRun child)', () => runProject(api, { sm: sm.token, pm: pm.token }, client)],
    ['serviceTicket', (round) => runTicket(api, { dispatcher: dispatcher.token, engineer: engineer.token }, engineer.id, customer.id, serials[round]!, client)],
    [
      'dealerSettlementRun (a period with nothing to settle)',
      async () => {
        const workflowId = `bare-real-settlement-${crypto.randomUUID()}`;
        await client.workflow.execute('dealerSettlementRun', { taskQueue: bench.taskQueue, workflowId, args: [{ period: '2001-01', timeZone: 'Asia/Shanghai' }] });
        return workflowId;
      },
    ],
    [
      'dealerWriteOffNotice',
      async () => {
        const workflowId = `bare-real-write-off-${crypto.randomUUID()}`;
        const context = { dealer: 'Bench Dealer', period: '2026-11', version: 1, total: { amount: 31_999, currency: 'CNY' }, lines: [{ claimId: 1, lineNo: 1, kind: 'travel', amount: { amount: 31_999, currency: 'CNY' } }], confirmDueAt: new Date().toISOString() };
        await client.workflow.execute('dealerWriteOffNotice', { taskQueue: bench.taskQueue, workflowId, args: [{ settlementId: 900_000 + Math.floor(Math.random() * 99_999), version: 1, to: { email: 'dealer@bench.test' }, locale: 'en', context }] });
        return workflowId;
      },
    ],
  ];
  for (const [label, run] of kinds) {
    const real: number[] = [];
    const bare: number[] = [];
    let shape: ProcessShape | undefined;
    for (let round = 0; round < rounds; round += 1) {
      const workflowId = await run(round);
      shape = await shapeOf(client, workflowId);
      real.push(shape.ms);
      bare.push(await runBare(client, bench.bareTaskQueue, shape, `bare-${workflowId}`));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const s = shape!;
    const moves = `${s.activities} activities, ${s.localActivities} local, ${s.timers} timers, ${s.updates} steps${s.children ? `, ${s.children} child` : ''}`;
    report(`${label}: ${moves}`, `real ${(median(real) / 1000).toFixed(2)} s, bare ${(median(bare) / 1000).toFixed(2)} s: ×${(median(real) / median(bare)).toFixed(2)}`);
  }
}
