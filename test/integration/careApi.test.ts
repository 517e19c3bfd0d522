/**
 * P4 asset care through the HTTP API, on the real server, database and Temporal: starting a plan for
 * equipment outside projects, its tasks in the visit and call queues, each step on a visit and a call
 * (bad input names the field and changes nothing; a repeated or concurrent step applies once), the
 * follow-up a low score opens and its close, correcting a wrong number, an extra visit, a maintenance
 * contract, the end; who sees what; the CSV import (a good file, a bad row, the same file again).
 */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import type { Role } from '../../domain/access';
import { startTestSystem, type TestSystem } from '../support/services';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));

/** A start date a month ago and `days` more, in China: a plan's first inspection and call fall due in `days` days. */
function monthAgoPlus(days: number): string {
  const date = new Date(Date.now() + 8 * 3_600_000);
  date.setUTCMonth(date.getUTCMonth() - 1);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

let serialCounter = 0;
const newSerial = (prefix = 'CARE') => `${prefix}-${Date.now().toString(36)}-${(serialCounter += 1)}`;

describe('asset care through the API', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  const tokens = {} as Record<'sm' | 'engineer' | 'otherEngineer' | 'desk' | 'customer' | 'otherCustomer' | 'finance' | 'admin', string>;
  const userIds = {} as Record<string, number>;
  let customerId: number;
  let otherCustomerId: number;
  let contactIds: number[];

  const call = async (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(150);
    }
  }

  const count = async (table: string, where: Record<string, unknown> = {}) => Number(((await system.db.knex(table).where(where).count({ n: '*' }).first()) as { n: unknown }).n);
  const plan = async (id: number) => (await call('GET', `/api/care-plans/${id}`, tokens.sm)).body;

  /** Starts a plan through the API and waits until its first visit and call are listed. */
  async function startPlan(body: Record<string, unknown> = {}): Promise<Json> {
    const answer = await call('POST', '/api/care-plans', tokens.sm, { customerId, devices: [{ serial: newSerial(), model: 'DR-7000' }], startDate: monthAgoPlus(2), ...body });
    expect({ status: answer.status, body: answer.body }).toMatchObject({ status: 201 });
    return poll(`tasks of plan ${answer.body.id}`, async () => {
      const read = await plan(answer.body.id);
      return read.nextTasks.visits.length > 0 && read.nextTasks.calls.length > 0 ? read : undefined;
    });
  }

  beforeAll(async () => {
    system = await startTestSystem('care-api');
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    const customers = new CustomersRepository(knex);
    const customer = await customers.create({
      name: 'Ganzhou Care Hospital',
      contacts: [
        { name: 'Chen Jing', email: 'chen.jing@care.test', phone: '+86 797 0000001', role: 'technical_lead' },
        { name: 'Liu Yang', email: 'liu.yang@care.test', phone: '+86 797 0000002', role: 'administrative_lead' },
      ],
    });
    customerId = customer.id;
    contactIds = customer.contacts.map((c) => c.id);
    otherCustomerId = (await customers.create({ name: 'Other Care Hospital', contacts: [{ name: 'Other', email: 'other@care.test', role: 'technical_lead' }] })).id;
    const make = async (key: keyof typeof tokens, role: Role, extra: { customerId?: number } = {}) => {
      const user = await users.create({ name: `Care ${key}`, email: `care-${key.toLowerCase()}@maker.test`, role, locale: 'en', ...extra });
      userIds[key] = user.id;
      tokens[key] = await users.issueToken(user.id, 'test');
    };
    await make('sm', 'service_manager');
    await make('engineer', 'engineer');
    await make('otherEngineer', 'engineer');
    await make('desk', 'dispatcher');
    await make('customer', 'customer', { customerId });
    await make('otherCustomer', 'customer', { customerId: otherCustomerId });
    await make('finance', 'finance');
    await make('admin', 'admin');
    // The customer's one-to-one engineer: visits go to them by default.
    await customers.assignEngineer(customerId, userIds.engineer!);
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
    server = await startApiServer(app, 0, '127.0.0.1');
  });

  afterAll(async () => {
    const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
    for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
    if (app) await settleBackgroundWork(app);
    await server?.close();
    await system?.stop();
  });

  it('refuses a bad start naming the field, writing nothing; only the service manager starts a plan', async () => {
    const before = [await count('care_plans'), await count('devices')];
    const unknownCustomer = await call('POST', '/api/care-plans', tokens.sm, { customerId: 999_999_999, devices: [{ serial: newSerial(), model: 'DR' }], startDate: '2026-01-05' });
    expect(unknownCustomer).toMatchObject({ status: 400, body: { error: { details: [{ field: 'customerId' }] } } });
    const noModel = await call('POST', '/api/care-plans', tokens.sm, { customerId, devices: [{ serial: newSerial() }], startDate: '2026-01-05' });
    expect(noModel).toMatchObject({ status: 400, body: { error: { details: [{ field: 'devices.0.model' }] } } });
    const badDate = await call('POST', '/api/care-plans', tokens.sm, { customerId, devices: [{ serial: newSerial(), model: 'DR' }], startDate: '2026-02-30' });
    expect(badDate).toMatchObject({ status: 400, body: { error: { details: [{ field: 'startDate' }] } } });
    const endsBefore = await call('POST', '/api/care-plans', tokens.sm, { customerId, devices: [{ serial: newSerial(), model: 'DR' }], startDate: '2026-01-05', warrantyEndsOn: '2025-01-05' });
    expect(endsBefore).toMatchObject({ status: 400, body: { error: { details: [{ field: 'warrantyEndsOn' }] } } });
    expect((await call('POST', '/api/care-plans', tokens.desk, { customerId, devices: [{ serial: newSerial(), model: 'DR' }], startDate: '2026-01-05' })).status).toBe(403);
    expect([await count('care_plans'), await count('devices')]).toEqual(before);
  });

  it('starts a plan: its devices registered with their warranty, the first inspection with the one-to-one engineer, the first call with the contacts', async () => {
    const started = await startPlan({ warrantyEndsOn: '2030-12-31' });
    expect(started).toMatchObject({ status: 'active', customerId, customerName: 'Ganzhou Care Hospital', projectId: null, warrantyEndsAt: '2030-12-31T16:00:00.000Z' });
    expect(started.devices).toHaveLength(1);
    expect(started.devices[0]).toMatchObject({ model: 'DR-7000', warrantyEndsAt: '2030-12-31T16:00:00.000Z' });
    const [visit] = started.nextTasks.visits;
    expect(visit).toMatchObject({ taskKey: 'inspection:1', kind: 'inspection', status: 'due', queue: 'due', assigneeUserId: userIds.engineer });
    const [firstCall] = started.nextTasks.calls;
    expect(firstCall).toMatchObject({ taskKey: 'call:1', status: 'due', attempts: 0 });
    expect(firstCall.contacts.map((c: Json) => c.id)).toEqual(contactIds);

    // The same device again is a 409 naming it; nothing new is written.
    const plans = await count('care_plans');
    const again = await call('POST', '/api/care-plans', tokens.sm, { customerId, devices: [{ serial: started.devices[0].serial }], startDate: monthAgoPlus(2) });
    expect(again.status).toBe(409);
    expect(again.body.error.details).toEqual([{ field: 'devices.0.serial', planId: started.id }]);
    expect(await count('care_plans')).toBe(plans);
  });

  it('the same start twice with one Idempotency-Key starts one plan; two at once for the same device start one', async () => {
    const body = { customerId, devices: [{ serial: newSerial(), model: 'DR-7000' }], startDate: monthAgoPlus(2) };
    const headers = { 'idempotency-key': `start-${newSerial()}` };
    const first = await call('POST', '/api/care-plans', tokens.sm, body, headers);
    const second = await call('POST', '/api/care-plans', tokens.sm, body, headers);
    expect(first.status).toBe(201);
    expect(second).toMatchObject({ status: 201, body: { id: first.body.id } });

    const twin = { customerId, devices: [{ serial: newSerial(), model: 'DR-7000' }], startDate: monthAgoPlus(2) };
    const answers = await Promise.all([call('POST', '/api/care-plans', tokens.sm, twin), call('POST', '/api/care-plans', tokens.sm, twin)]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const serial = twin.devices[0]!.serial;
    expect(await count('devices', { serial })).toBe(1);
    const listed = await call('GET', `/api/care-plans?serial=${serial}`, tokens.sm);
    expect(listed.body.carePlans).toHaveLength(1);
  });

  it('visits: the engineer’s queue, a reschedule moves that visit only, a bad step names the field, the completion applies once', async () => {
    const started = await startPlan();
    const visit = started.nextTasks.visits[0];
    const firstCall = started.nextTasks.calls[0];

    const mine = await call('GET', `/api/visits?assignee=me&planId=${started.id}`, tokens.engineer);
    expect(mine.body.visits.map((v: Json) => v.id)).toEqual([visit.id]);
    expect((await call('GET', `/api/visits?planId=${started.id}`, tokens.otherEngineer)).body.visits).toEqual([]);
    expect((await call('GET', `/api/visits/${visit.id}`, tokens.otherEngineer)).status).toBe(404);
    expect((await call('POST', `/api/visits/${visit.id}/skip`, tokens.otherEngineer, { reason: 'not mine' })).status).toBe(404);
    // Engineers do not read the service desk's calls.
    expect((await call('GET', `/api/calls?planId=${started.id}`, tokens.engineer)).body.calls).toEqual([]);

    const noReason = await call('POST', `/api/visits/${visit.id}/reschedule`, tokens.engineer, { dueAt: '2030-01-01T09:00:00+08:00' });
    expect(noReason).toMatchObject({ status: 400, body: { error: { details: [{ field: 'reason' }] } } });
    const moved = await call('POST', `/api/visits/${visit.id}/reschedule`, tokens.engineer, { dueAt: '2030-01-01T09:00:00+08:00', reason: 'the ward is closed' });
    expect(moved).toMatchObject({ status: 200, body: { taskKey: 'inspection:1', dueAt: '2030-01-01T01:00:00.000Z' } });
    const after = await plan(started.id);
    expect(after.nextTasks.visits[0]).toMatchObject({ id: visit.id, dueAt: '2030-01-01T01:00:00.000Z' });
    expect(after.nextTasks.calls[0]).toMatchObject({ id: firstCall.id, dueAt: firstCall.dueAt });

    const unsigned = await call('POST', `/api/visits/${visit.id}/complete`, tokens.engineer, { checklist: { earthing: true, dustRemoval: true, operatingState: 'normal' }, findings: [], signature: { name: '' } });
    expect(unsigned).toMatchObject({ status: 400, body: { error: { details: [{ field: 'signature.name' }] } } });
    expect((await plan(started.id)).nextTasks.visits).toHaveLength(1);

    const complete = { checklist: { earthing: true, dustRemoval: true, operatingState: 'normal', customerFeedback: 'fine' }, findings: ['filter dusty'], openItems: ['replace filter'], signature: { name: 'Chen Jing' } };
    const [a, b] = await Promise.all([call('POST', `/api/visits/${visit.id}/complete`, tokens.engineer, complete), call('POST', `/api/visits/${visit.id}/complete`, tokens.engineer, complete)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const done = await plan(started.id);
    expect(done.nextTasks.visits).toEqual([]);
    expect(done.pastTasks.visits[0]).toMatchObject({ id: visit.id, status: 'done', queue: 'done', outcome: { findings: ['filter dusty'], openItems: ['replace filter'] } });
    expect(done.pastTasks.visits[0].reportDueAt).toEqual(expect.any(String));
    expect(done.timeline.filter((e: Json) => e.kind === 'visit_done')).toHaveLength(1);
    expect((await call('GET', `/api/visits?status=done&planId=${started.id}`, tokens.sm)).body.visits.map((v: Json) => v.id)).toEqual([visit.id]);
  });

  it('assigning a visit is the service manager’s, to an active engineer', async () => {
    const started = await startPlan();
    const visit = started.nextTasks.visits[0];
    expect((await call('POST', `/api/visits/${visit.id}/assign`, tokens.engineer, { engineerUserId: userIds.otherEngineer })).status).toBe(403);
    const notEngineer = await call('POST', `/api/visits/${visit.id}/assign`, tokens.sm, { engineerUserId: userIds.desk });
    expect(notEngineer).toMatchObject({ status: 400, body: { error: { details: [{ field: 'engineerUserId' }] } } });
    expect((await call('POST', `/api/visits/${visit.id}/assign`, tokens.sm, { engineerUserId: userIds.otherEngineer })).status).toBe(200);
    expect((await call('GET', `/api/visits/${visit.id}`, tokens.otherEngineer)).body).toMatchObject({ assigneeUserId: userIds.otherEngineer });
    // Now the other engineer's: on their queue and their home.
    expect((await call('GET', '/api/visits?assignee=me', tokens.otherEngineer)).body.visits.map((v: Json) => v.id)).toContain(visit.id);
  });

  it('calls: a wrong number flags the contact until the desk corrects it; a low score opens a follow-up, which the service manager closes', async () => {
    const started = await startPlan();
    const firstCall = started.nextTasks.calls[0];
    const [chen, liu] = contactIds;

    const queue = await call('GET', `/api/calls?planId=${started.id}&status=due`, tokens.desk);
    expect(queue.body.calls.map((c: Json) => c.id)).toEqual([firstCall.id]);
    expect((await call('POST', `/api/calls/${firstCall.id}/wrong-number`, tokens.engineer, { contactId: chen })).status).toBe(403);
    const foreign = await call('POST', `/api/calls/${firstCall.id}/wrong-number`, tokens.desk, { contactId: 999_999_999 });
    expect(foreign).toMatchObject({ status: 400, body: { error: { details: [{ field: 'contactId' }] } } });

    expect(await call('POST', `/api/calls/${firstCall.id}/wrong-number`, tokens.desk, { contactId: chen, note: 'a restaurant' })).toMatchObject({ status: 200, body: { status: 'due' } });
    const flagged = await call('GET', `/api/calls/${firstCall.id}`, tokens.desk);
    expect(flagged.body.contacts.find((c: Json) => c.id === chen)).toMatchObject({ wrongNumber: true });
    expect(flagged.body.attempts).toBe(1);

    const badPatch = await call('PATCH', `/api/customers/${customerId}/contacts/${chen}`, tokens.desk, { phone: 'x'.repeat(100) });
    expect(badPatch).toMatchObject({ status: 400, body: { error: { details: [{ field: 'phone' }] } } });
    expect((await call('PATCH', `/api/customers/${otherCustomerId}/contacts/${chen}`, tokens.desk, { phone: '+86 797 0000009' })).status).toBe(404);
    const corrected = await call('PATCH', `/api/customers/${customerId}/contacts/${chen}`, tokens.desk, { phone: '+86 797 0000009' });
    expect(corrected).toMatchObject({ status: 200, body: { id: chen, phone: '+86 797 0000009', wrongNumber: false } });

    const lowScore = { contactId: liu, answers: { usage: 'daily', mastery: 'needs training', problems: 'exposure drifts' }, satisfaction: 2 };
    const outOfRange = await call('POST', `/api/calls/${firstCall.id}/complete`, tokens.desk, { ...lowScore, satisfaction: 6 });
    expect(outOfRange).toMatchObject({ status: 400, body: { error: { details: [{ field: 'satisfaction' }] } } });
    const key = { 'idempotency-key': `call-${firstCall.id}` };
    const done = await call('POST', `/api/calls/${firstCall.id}/complete`, tokens.desk, lowScore, key);
    expect(done).toMatchObject({ status: 200, body: { status: 'done', followUp: true } });
    // The same request again (a retry after a lost answer): the first answer, nothing applied twice.
    expect(await call('POST', `/api/calls/${firstCall.id}/complete`, tokens.desk, lowScore, key)).toMatchObject({ status: 200, body: done.body });
    expect((await call('POST', `/api/calls/${firstCall.id}/complete`, tokens.desk, lowScore)).status).toBe(409);
    // A zh-CN reader is refused, and reads the plan's timeline and follow-ups, in Chinese; an English reader in English.
    const refusedInChinese = await call('POST', `/api/calls/${firstCall.id}/complete`, tokens.desk, lowScore, { 'accept-language': 'zh-CN' });
    expect(refusedInChinese).toMatchObject({ status: 409, body: { error: { message: `回访 ${firstCall.taskKey} 不在待办状态（已完成、已跳过、已取消或不存在）。` } } });
    const inChinese = (await call('GET', `/api/care-plans/${started.id}`, tokens.sm, undefined, { 'accept-language': 'zh-CN' })).body;
    expect(inChinese.timeline.map((e: Json) => e.summary)).toEqual(expect.arrayContaining([`电话回访 ${firstCall.taskKey}：满意度 2/5，需跟进（满意度低）`, `电话回访 ${firstCall.taskKey}：联系人 ${chen} 的号码错误`]));
    expect(inChinese.followUps[0].summary).toBe(`电话回访 ${firstCall.taskKey}：满意度 2/5`);
    const inEnglish = await plan(started.id);
    expect(inEnglish.timeline.map((e: Json) => e.summary)).toContain(`Return call ${firstCall.taskKey}: satisfaction 2/5, follow-up (low satisfaction)`);
    expect(inEnglish.followUps[0].summary).toBe(`Return call ${firstCall.taskKey}: satisfaction 2/5`);
    // An entry stored before words (no words column) is told as it was stored, in any language.
    await system.db.knex('care_plan_events').insert({ plan_id: started.id, event_key: 'before-words', kind: 'policy_updated', at: new Date(), summary: 'care policy updated (stored before words)', data: null });
    expect((await call('GET', `/api/care-plans/${started.id}`, tokens.sm, undefined, { 'accept-language': 'zh-CN' })).body.timeline.map((e: Json) => e.summary)).toContain('care policy updated (stored before words)');

    const withFollowUp = await plan(started.id);
    expect(withFollowUp.followUps).toEqual([expect.objectContaining({ reason: 'low_score', status: 'open', callId: firstCall.id })]);
    const followUp = withFollowUp.followUps[0];
    const followUpDeadline = () => system.db.knex('deadlines').where({ record_type: 'care_plan', record_id: started.id, kind: 'care_follow_up' }).first('status');
    await poll('the follow-up deadline', async () => ((await followUpDeadline()) as { status: string } | undefined)?.status === 'open' || undefined);

    const path = `/api/care-plans/${started.id}/follow-ups/${followUp.id}/close`;
    expect((await call('POST', path, tokens.desk, { outcome: 'called back' })).status).toBe(403);
    expect(await call('POST', path, tokens.sm, { outcome: '' })).toMatchObject({ status: 400, body: { error: { details: [{ field: 'outcome' }] } } });
    expect(await call('POST', path, tokens.sm, { outcome: 'trained the operators; ticket not needed' })).toMatchObject({ status: 200, body: { status: 'closed' } });
    expect((await call('POST', path, tokens.sm, { outcome: 'again' })).status).toBe(409);
    const closed = await plan(started.id);
    expect(closed.followUps[0]).toMatchObject({ status: 'closed', outcome: 'trained the operators; ticket not needed', closedAt: expect.any(String) });
    expect(((await followUpDeadline()) as { status: string }).status).toBe('met');
  });

  it('an extra visit, a maintenance contract, then the end: open tasks cancelled, later steps refused', async () => {
    const started = await startPlan();
    const extra = await call('POST', `/api/care-plans/${started.id}/visits`, tokens.sm, { dueAt: '2030-06-01T09:00:00+08:00', reason: 'escort inspection before the gala' });
    expect(extra).toMatchObject({ status: 200, body: { taskKey: 'extra:1', dueAt: '2030-06-01T01:00:00.000Z' } });
    const withExtra = await plan(started.id);
    expect(withExtra.nextTasks.visits.find((v: Json) => v.taskKey === 'extra:1')).toMatchObject({ kind: 'extra', assigneeUserId: userIds.engineer });

    const contract = { startsAt: '2031-01-01T00:00:00+08:00', endsAt: '2032-01-01T00:00:00+08:00', visitsPerYear: 10 };
    const tooFew = await call('POST', `/api/care-plans/${started.id}/maintenance-contracts`, tokens.sm, { ...contract, visitsPerYear: 2 });
    expect(tooFew).toMatchObject({ status: 400, body: { error: { details: [{ field: 'visitsPerYear' }] } } });
    expect((await call('POST', `/api/care-plans/${started.id}/maintenance-contracts`, tokens.sm, contract)).status).toBe(200);
    expect((await call('POST', `/api/care-plans/${started.id}/maintenance-contracts`, tokens.sm, contract)).status).toBe(409);
    expect((await plan(started.id)).contracts).toEqual([{ id: 'C20310101', startsAt: '2030-12-31T16:00:00.000Z', endsAt: '2031-12-31T16:00:00.000Z', visitsPerYear: 10 }]);

    expect(await call('POST', `/api/care-plans/${started.id}/end`, tokens.sm, {})).toMatchObject({ status: 400, body: { error: { details: [{ field: 'reason' }] } } });
    expect((await call('POST', `/api/care-plans/${started.id}/end`, tokens.sm, { reason: 'equipment retired' })).status).toBe(200);
    const ended = await plan(started.id);
    expect(ended).toMatchObject({ status: 'ended', endReason: 'equipment retired' });
    expect(ended.nextTasks).toEqual({ visits: [], calls: [] });
    expect(ended.pastTasks.visits.every((v: Json) => v.status === 'cancelled')).toBe(true);
    expect((await call('POST', `/api/care-plans/${started.id}/end`, tokens.sm, { reason: 'again' })).status).toBe(409);
    expect((await call('POST', `/api/visits/${withExtra.nextTasks.visits[0].id}/skip`, tokens.sm, { reason: 'late' })).status).toBe(409);
  });

  it('who reads a plan: the customer its own, the engineer their customer’s, finance none; its deadlines on their home', async () => {
    const started = await startPlan();
    expect((await call('GET', `/api/care-plans/${started.id}`, tokens.customer)).status).toBe(200);
    expect((await call('GET', `/api/care-plans/${started.id}`, tokens.otherCustomer)).status).toBe(404);
    expect((await call('GET', `/api/care-plans/${started.id}`, tokens.finance)).status).toBe(404);
    expect((await call('GET', `/api/care-plans/${started.id}`, tokens.engineer)).status).toBe(200);
    expect((await call('GET', '/api/care-plans', tokens.otherCustomer)).body.carePlans.map((p: Json) => p.id)).not.toContain(started.id);
    expect((await call('GET', `/api/calls?planId=${started.id}`, tokens.customer)).body.calls).toHaveLength(1);
    // The plan's page lists only the tasks its reader may open one by one: the engineer's visits, no calls (the desk's, with the contacts).
    const tasksOf = async (token: string) => {
      const { nextTasks, pastTasks } = (await call('GET', `/api/care-plans/${started.id}`, token)).body;
      return { visits: [...nextTasks.visits, ...pastTasks.visits].length, calls: [...nextTasks.calls, ...pastTasks.calls].length };
    };
    expect(await tasksOf(tokens.sm)).toEqual({ visits: 1, calls: 1 });
    expect(await tasksOf(tokens.engineer)).toEqual({ visits: 1, calls: 0 });

    const onHome = async (token: string) => (await call('GET', '/api/deadlines', token)).body.deadlines.filter((d: Json) => d.recordType === 'care_plan' && d.recordId === started.id);
    await poll('the plan’s deadlines', async () => ((await onHome(tokens.sm)).length >= 2 ? true : undefined));
    expect((await onHome(tokens.engineer)).length).toBeGreaterThan(0);
    expect((await onHome(tokens.desk)).length).toBeGreaterThan(0);
    expect(await onHome(tokens.otherEngineer)).toEqual([]);
    expect(await onHome(tokens.finance)).toEqual([]);
  });

  it('a dealer’s warranty card in time starts the device’s care plan from the sale; the dealer reads it, another dealer does not', async () => {
    const { knex } = system.db;
    const users = new UsersRepository(knex);
    const dealerToken = async (name: string) => {
      const dealer = await call('POST', '/api/dealers', tokens.admin, { name });
      expect(dealer.status).toBe(201);
      return users.issueToken((await users.create({ name, email: `${name.toLowerCase().replace(/\W+/g, '-')}@dealer.test`, role: 'dealer', dealerId: dealer.body.id })).id, 'test');
    };
    const [seller, otherDealer] = [await dealerToken('Care Dealer'), await dealerToken('Other Care Dealer')];
    const serial = newSerial('SOLD');
    const saleDate = new Date(Date.now() + 8 * 3_600_000 - 5 * 86_400_000).toISOString().slice(0, 10);
    const sale = await call('POST', '/api/dealer-sales', seller, { deviceSerial: serial, model: 'M1', saleDate, customerName: 'Zhang San' });
    expect(sale.status).toBe(201);
    const card = await call('POST', `/api/dealer-sales/${sale.body.id}/card`, seller, { cardDate: new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10), customerPhone: '13800000000' });
    expect(card.status).toBe(200);

    const workflowId = `care-plan-dealer-sale-${sale.body.id}`;
    const planRow = await poll('the sold device’s care plan', async () => (await knex('care_plans').where({ workflow_id: workflowId }).first('id')) as { id: number } | undefined);
    const sold = await plan(Number(planRow.id));
    expect(sold).toMatchObject({ status: 'active', projectId: null, customerName: 'Zhang San' });
    expect(sold.devices.map((d: Json) => d.serial)).toEqual([serial]);
    // Ages count from the sale (its day's start in China).
    expect(sold.warrantyStartsAt).toBe(new Date(`${saleDate}T00:00:00+08:00`).toISOString());
    expect((await call('GET', `/api/care-plans/${planRow.id}`, seller)).status).toBe(200);
    expect((await call('GET', `/api/care-plans/${planRow.id}`, otherDealer)).status).toBe(404);
    expect((await call('GET', `/api/care-plans?serial=${serial}`, seller)).body.carePlans.map((p: Json) => p.id)).toEqual([Number(planRow.id)]);
  });

  describe('CSV import', () => {
    const header = 'customerId,siteId,serial,model,startDate,warrantyEndsOn';

    it('imports a good file as one plan per customer and start date, and the same file again imports nothing', async () => {
      const [a, b, c] = [newSerial('CSV'), newSerial('CSV'), newSerial('CSV')];
      const csv = [header, `${customerId},,${a},DR-7000,${monthAgoPlus(3)},`, `${customerId},,${b},DR-7000,${monthAgoPlus(3)},`, `${otherCustomerId},,"${c}",MR-1500,${monthAgoPlus(5)},2031-01-31`].join('\n');
      const imported = await call('POST', '/api/care-plans/import', tokens.sm, { csv });
      expect(imported.status).toBe(200);
      expect(imported.body.started.map((s: Json) => s.rows)).toEqual([[1, 2], [3]]);
      expect(imported.body.skipped).toEqual([]);
      const [first, second] = imported.body.started.map((s: Json) => s.planId);
      expect((await plan(first)).devices.map((d: Json) => d.serial)).toEqual([a, b]);
      expect(await plan(second)).toMatchObject({ customerId: otherCustomerId, warrantyEndsAt: '2031-01-31T16:00:00.000Z' });

      const plans = await count('care_plans');
      const again = await call('POST', '/api/care-plans/import', tokens.sm, { csv });
      expect(again).toMatchObject({ status: 200, body: { started: [] } });
      expect(again.body.skipped).toEqual([
        { row: 1, serial: a, planId: first },
        { row: 2, serial: b, planId: first },
        { row: 3, serial: c, planId: second },
      ]);
      expect(await count('care_plans')).toBe(plans);
    });

    it('a bad row is a 400 naming the row and the field, and nothing of the file is imported', async () => {
      const before = [await count('care_plans'), await count('devices')];
      const good = newSerial('CSV');
      const csv = [header, `${customerId},,${good},DR-7000,2026-01-05,`, `${customerId},,${newSerial('CSV')},DR-7000,2026-13-01,`, `${customerId},,${newSerial('CSV')},,2026-01-05,`, `999999999,,${newSerial('CSV')},DR,2026-01-05,`].join('\n');
      const answer = await call('POST', '/api/care-plans/import', tokens.sm, { csv });
      expect(answer.status).toBe(400);
      const fields = answer.body.error.details.map((d: Json) => d.field);
      expect(fields).toEqual(expect.arrayContaining(['rows.2.startDate', 'rows.3.model', 'rows.4.customerId']));
      expect(fields).not.toContain('rows.1.serial');
      // Each problem said in the reader's language, with its row.
      const inChinese = await call('POST', '/api/care-plans/import', tokens.sm, { csv }, { 'accept-language': 'zh-CN' });
      expect(inChinese.body.error.message).toBe('文件中有 3 处问题，未导入任何内容。');
      expect(inChinese.body.error.details.find((d: Json) => d.field === 'rows.3.model').message).toMatch(/^第 3 行：设备 .+ 尚未登记：请填写型号以登记。$/);
      expect(answer.body.error.details.find((d: Json) => d.field === 'rows.3.model').message).toMatch(/^Row 3: Device .+ is not registered: give its model to register it\.$/);
      expect([await count('care_plans'), await count('devices')]).toEqual(before);
      expect(await count('devices', { serial: good })).toBe(0);

      const noColumn = await call('POST', '/api/care-plans/import', tokens.sm, { csv: 'customerId,serial\n1,X' });
      expect(noColumn).toMatchObject({ status: 400, body: { error: { details: [{ field: 'csv.startDate' }] } } });
      const unreadable = await call('POST', '/api/care-plans/import', tokens.sm, { csv: `${header}\n1,,"unclosed,DR,2026-01-05,` });
      expect(unreadable.status).toBe(400);
      expect(unreadable.body.error.details[0].field).toMatch(/^csv/);
      expect((await call('POST', '/api/care-plans/import', tokens.desk, { csv })).status).toBe(403);
    });
  });
});
