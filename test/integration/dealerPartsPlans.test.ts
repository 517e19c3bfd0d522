/**
 * Dealers' parts plans on the real server (P5.7), policies in seconds: the opening run (as the daily
 * Schedule starts it) opens one plan per dealer and season, once, however often it runs; a dealer who
 * submits in time hears nothing more; one who does not is reminded, then the sales clerks are told
 * (escalation), and a late plan still closes the deadline. Dealer B cannot read or submit A's plan.
 * Mail is asserted at the SMTP sink.
 */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import { DEFAULT_POLICY } from '../../domain/policy';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { DealersRepository } from '../../installedBase/dealers';
import { ensurePartsPlanSchedule, partsPlanScheduleSpec } from '../../processes/dealer/settlement/schedule';
import type { ReceivedMail } from '../support/smtpSink';
import { startTestSystem, type TestSystem } from '../support/services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
/** A season starting 60 days from now (MM-DD), so its next start is ahead whatever today is. */
const seasonDay = new Date(Date.now() + 60 * 86_400_000).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
const SECONDS = { dealer: { salesSeasons: [seasonDay.slice(5)], partsPlanLead: 'PT6S', partsPlanRemindBefore: 'PT3S' } };

describe('dealer parts plans: opened once per dealer and season, reminded, escalated', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  const tokens = {} as Record<string, string>;
  let dealerA: number;
  let dealerB: number;
  let key = 0;

  const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${server.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'Idempotency-Key': `k-${++key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };

  async function poll<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(150);
    }
  }
  const mails = (prefix: string) => system.smtp.messages.filter((m) => m.idempotencyKey?.startsWith(prefix));
  const waitForMail = (prefix: string, count = 1) => poll(`${count} mail(s) ${prefix}`, () => (mails(prefix).length >= count ? mails(prefix) : undefined));
  const to = (mail: ReceivedMail) => mail.envelope.to.join(',');
  const opening = (n: number) => system.temporal.client.workflow.execute('partsPlanOpening', { taskQueue: system.temporal.taskQueue, workflowId: `parts-plan-opening-${system.temporal.taskQueue}-${n}`, args: [] }) as Promise<{ started: number[] }>;

  beforeAll(async () => {
    system = await startTestSystem('dealer-parts-plans');
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    const adminToken = generateToken();
    await users.ensureAdmin(adminToken);
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
    server = await startApiServer(app, 0, '127.0.0.1');
    await new PolicyLayersRepository(knex).put('template', 'default', SECONDS);
    dealerA = (await call('POST', '/dealers', adminToken, { name: 'Plan Dealer A', contactEmail: 'parts@dealer-a.test', locale: 'en' })).body.id;
    dealerB = (await call('POST', '/dealers', adminToken, { name: 'Plan Dealer B', contactEmail: 'parts@dealer-b.test' })).body.id;
    for (const [name, role, dealerId] of [['dealerA', 'dealer', dealerA], ['dealerB', 'dealer', dealerB], ['clerk', 'sales_clerk'], ['finance', 'finance']] as const) {
      const user = await users.create({ name, email: `${name}@maker.test`, role, locale: 'en', ...(dealerId ? { dealerId } : {}) });
      tokens[name] = await users.issueToken(user.id, 'test');
    }
  });

  afterAll(async () => {
    if (system) {
      const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
      for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
    }
    if (app) await settleBackgroundWork(app);
    await server?.close();
    await system?.stop();
  });

  it('the Schedule opens plans daily at 01:00 in Shanghai; a lead in seconds opens them every that long', () => {
    expect(partsPlanScheduleSpec(DEFAULT_POLICY.dealer)).toEqual({ calendars: [{ hour: 1, minute: 0 }], timezone: 'Asia/Shanghai' });
    expect(partsPlanScheduleSpec({ ...DEFAULT_POLICY.dealer, partsPlanLead: 'PT6S' })).toEqual({ intervals: [{ every: 6000 }] });
  });

  it('opens one plan per dealer and season however often it runs; A submits in time, B is reminded, then the clerks are told', async () => {
    const [first, second] = [await opening(1), await opening(2)];
    expect(first.started).toHaveLength(2);
    expect(second.started).toEqual([]);
    const rows = (await system.db.knex('parts_plans').orderBy('dealer_id')) as Json[];
    expect(rows.map((r) => [Number(r.dealer_id), r.season_start, r.status])).toEqual([
      [dealerA, seasonDay, 'open'],
      [dealerB, seasonDay, 'open'],
    ]);
    const [planA, planB] = rows.map((r) => Number(r.id));

    const listed = await call('GET', `/dealers/${dealerA}/parts-plans`, tokens.clerk!);
    expect(listed.body.plans).toEqual([expect.objectContaining({ id: planA, seasonStart: seasonDay, status: 'open' })]);
    expect((await call('GET', `/dealers/${dealerA}/parts-plans`, tokens.dealerB!)).status).toBe(404);
    expect((await call('GET', `/dealers/${dealerA}/parts-plans`, tokens.finance!)).status).toBe(404);

    const plan = { seasonStart: seasonDay, lines: [{ partNo: 'P-100', quantity: 4 }, { partNo: 'F-7', quantity: 12 }], note: 'spring season' };
    expect((await call('POST', `/dealers/${dealerA}/parts-plans`, tokens.dealerB!, plan)).status).toBe(404);
    expect((await call('POST', `/dealers/${dealerA}/parts-plans`, tokens.clerk!, plan)).status).toBe(403);
    const twice = await call('POST', `/dealers/${dealerA}/parts-plans`, tokens.dealerA!, { ...plan, lines: [{ partNo: 'P-100', quantity: 4 }, { partNo: 'P-100', quantity: 1 }] });
    expect(twice.status).toBe(400);
    expect(twice.body.error.details[0].field).toBe('lines.1.partNo');
    const noSeason = await call('POST', `/dealers/${dealerA}/parts-plans`, tokens.dealerA!, { ...plan, seasonStart: '2001-01-01' });
    expect(noSeason.body.error.details[0].field).toBe('seasonStart');

    const submitted = await call('POST', `/dealers/${dealerA}/parts-plans`, tokens.dealerA!, plan);
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ id: planA, status: 'submitted', lines: plan.lines, note: 'spring season' });
    expect((await call('POST', `/dealers/${dealerA}/parts-plans`, tokens.dealerA!, { ...plan, lines: [{ partNo: 'P-100', quantity: 5 }] })).status).toBe(409);

    const [reminder] = await waitForMail(`parts-plan-${planB}:plan-reminder:`);
    expect(to(reminder!)).toBe('parts@dealer-b.test');
    expect(reminder!.subject).toMatch(/^提醒：经销商备件计划/);
    const [escalated] = await waitForMail(`parts-plan-${planB}:plan-escalated:`);
    expect(to(escalated!)).toBe('clerk@maker.test');
    expect(escalated!.subject).toMatch(/^Escalation: the dealer’s parts plan/);
    expect(escalated!.text).toContain('Plan Dealer B');
    const overdue = await poll('the escalation rung on record', async () => {
      const row = (await system.db.knex('deadlines').where({ workflow_id: `parts-plan-${planB}`, deadline_key: 'parts_plan' }).first()) as Json;
      return row?.last_rung === 'escalation' ? row : undefined;
    });
    expect(overdue.status).toBe('open');

    // Late, the plan still counts until the season starts; the deadline closes.
    const late = await call('POST', `/dealers/${dealerB}/parts-plans`, tokens.dealerB!, { seasonStart: seasonDay, lines: [{ partNo: 'P-100', quantity: 1 }] });
    expect(late.body).toMatchObject({ id: planB, status: 'submitted' });
    expect(await system.temporal.client.workflow.getHandle(`parts-plan-${planB}`).result()).toEqual({ status: 'submitted', reminded: true, escalated: true, lastStepAt: expect.any(String) });
    expect(await system.temporal.client.workflow.getHandle(`parts-plan-${planA}`).result()).toMatchObject({ status: 'submitted', reminded: false, escalated: false });
    const closed = (await system.db.knex('deadlines').whereIn('workflow_id', [`parts-plan-${planA}`, `parts-plan-${planB}`]).orderBy('workflow_id')) as Json[];
    expect(closed.map((r) => r.status)).toEqual(['met', 'met']);
    expect(mails(`parts-plan-${planA}:`)).toEqual([]);
    expect(await opening(3)).toEqual({ started: [] });
  });

  it('the Schedule, created twice and fired, opens the plan of a dealer registered since', async () => {
    const { client, taskQueue } = system.temporal;
    const dealerC = (await new DealersRepository(system.db.knex).create('Plan Dealer C')).id;
    const scheduleId = `dealer-parts-plans-${taskQueue}`;
    // Every hour: the test fires it itself.
    const hourly = { ...DEFAULT_POLICY.dealer, partsPlanLead: 'PT1H' };
    await ensurePartsPlanSchedule(client, taskQueue, hourly, scheduleId);
    await ensurePartsPlanSchedule(client, taskQueue, hourly, scheduleId);
    const schedule = client.schedule.getHandle(scheduleId);
    try {
      await schedule.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
      const run = await poll('the Schedule’s run', async () => (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId);
      expect(await client.workflow.getHandle(run).result()).toEqual({ started: [expect.any(Number)] });
      const plans = (await system.db.knex('parts_plans').where({ dealer_id: dealerC })) as Json[];
      expect(plans.map((p) => [p.season_start, p.status])).toEqual([[seasonDay, 'open']]);
      expect((await client.workflow.getHandle(`parts-plan-${plans[0].id}`).describe()).status.name).toBe('RUNNING');
    } finally {
      await schedule.delete();
    }
  });
});
