/**
 * P3 ↔ P4 / P5 on the real server, with second-scale policies: a return call's low score opens a
 * complaint and a visit's finding a repair ticket, each linked both ways (the ticket names the care
 * plan and follow-up, the follow-up names the ticket) and opened once; a closed repair puts its return
 * call on the device's care plan (none when no plan covers it); a repair on a dealer-sold device under
 * its recognised card goes to a dealer task, once even when two intakes race for the same follow-up.
 * Each link names its record only to a caller who may read that record. Mail is asserted at the SMTP
 * sink; every wait polls.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { careModule } from '../../processes/care/api';
import { dealerWarrantyModule } from '../../processes/dealer/api';
import { careTicketsModule, ticketsModule } from '../../api/index';
import { createConsole } from '../../console';
import { CareRepository } from '../../processes/care/repository';
import { CustomersRepository } from '../../installedBase/customers';
import { DealersRepository } from '../../installedBase/dealers';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { DevicesRepository } from '../../installedBase/devices';
import { PolicyLayersRepository } from '../../schedule/policies/repository';
import { UsersRepository } from '../../people/repository';
import { generateToken } from '../../platform/tokens';
import type { Role } from '../../domain/access';
import { DEFAULT_POLICY, resolvePolicy, type PolicyOverride } from '../../domain/policy';
import { carePlan } from '../../workflows';
import { carePlanWorkflowId, completeCallUpdate, completeVisitUpdate, endPlanUpdate, updatePolicyUpdate, type CarePlanInput } from '../../processes/care/messages';
import type { Actor } from '../../platform/workflowKit/steps';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { startTestSystem, type TestSystem } from '../support/services';
import { ALL_ROWS } from '../../domain/access';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis));
const CNY = (amount: number) => ({ amount, currency: 'CNY' });

/** Tickets: nothing breaches while a repair is worked; a complaint's reply is due in 4 s; the survey (and the return call) 15 s after the close. */
const TICKET_TERMS: PolicyOverride = {
  sla: {
    clock: { kind: '24x7' },
    levels: {
      '1': { respond: 'PT10M', onSite: 'PT10M', resolve: 'PT10M' },
      '2': { respond: 'PT10M', onSite: 'PT10M', resolve: 'PT10M' },
      '3': { respond: 'PT10M', onSite: 'PT10M', resolve: 'PT10M' },
      '4': { respond: 'PT10M', onSite: 'PT10M', resolve: 'PT10M' },
    },
    complaintReplyWithin: 'PT4S',
  },
  ticket: { surveyWithin: 'PT15S' },
};

/** The plan: its first call and first inspection within seconds; quiet once they exist. */
const CARE_FAST: PolicyOverride['care'] = {
  inspectionTiers: [{ fromMonth: 1, every: 'PT2S' }],
  returnCallFirstWithin: 'PT2S',
  returnCallEvery: 'P1Y',
  taskHorizon: 'PT3S',
  remindBefore: 'PT2S',
  visitWindow: 'PT1M',
  callWindow: 'PT1M',
  followUpWithin: 'PT1M',
  freeMaintenanceBeforeWarrantyEnd: 'PT4S',
};
const CARE_QUIET: PolicyOverride['care'] = { ...CARE_FAST, inspectionTiers: [{ fromMonth: 1, every: 'P1Y' }] };

describe('tickets linked to asset care and dealer warranty', () => {
  let system: TestSystem;
  let server: ApiServer;
  let app: ReturnType<typeof createApp>;
  let care: CareRepository;
  const tokens = {} as Record<string, string>;
  const ids = {} as Record<string, number>;
  let desk: Actor;
  let customerId: number;
  let serial: string;
  let planId: number;
  let plan: WorkflowHandle<typeof carePlan>;
  const contact = { name: 'Chen Jing', email: 'chen.jing@customer.test', locale: 'en' as const };

  const call = async (method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };

  async function poll<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 45_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(150);
    }
  }

  const waitForMail = (keyPrefix: string, to: string) => poll(`mail ${keyPrefix} to ${to}`, () => system.smtp.messages.find((m) => m.idempotencyKey?.startsWith(keyPrefix) && m.envelope.to.includes(to)));
  const ticket = async (id: number) => (await call('GET', `/api/tickets/${id}`, tokens.manager!)).body;
  const step = (id: number, name: string, body: unknown = {}, token = tokens.dispatcher!) => call('POST', `/api/tickets/${id}/${name}`, token, body);
  const meta = () => ({ actor: desk, occurredAt: new Date().toISOString() });

  /** Acknowledged, on site, resolved and closed by the engineer: the survey and the return call are due. */
  async function repairAndClose(id: number): Promise<Json> {
    for (const name of ['acknowledge', 'arrive']) expect((await step(id, name, {}, tokens.engineer)).status).toBe(200);
    const resolved = await step(id, 'resolve', { diagnosis: 'loose earth', workDone: 'earth wire fastened', qualityFault: true, parts: [], labourMinutes: 30, labourRate: CNY(20_000), travel: CNY(0) }, tokens.engineer);
    expect(resolved.status).toBe(200);
    // A repair's close takes no complaint record.
    expect((await step(id, 'close', { rootCause: 'loose earth' }, tokens.engineer)).body.error.details).toEqual([{ field: 'rootCause', message: 'only a complaint records this at close' }]);
    const closed = await step(id, 'close', {}, tokens.engineer);
    expect(closed.body).toMatchObject({ status: 'closed' });
    return closed.body;
  }

  beforeAll(async () => {
    system = await startTestSystem('ticket-links');
    const { knex } = system.db;
    care = new CareRepository(knex);
    const users = new UsersRepository(knex);
    await users.ensureAdmin(generateToken());
    app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: [ticketsModule, careTicketsModule, dealerWarrantyModule, careModule], logger: { error: (m, e) => console.error(m, e) } });
    app.use(createConsole({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' } }));
    server = await startApiServer(app, 0, '127.0.0.1');
    await new PolicyLayersRepository(knex).put('template', 'default', TICKET_TERMS);
    const people: [string, Role][] = [
      ['dispatcher', 'dispatcher'],
      ['engineer', 'engineer'],
      ['manager', 'service_manager'],
      ['clerk', 'sales_clerk'],
      // Reads tickets and dealer tasks alike.
      ['leader', 'leadership'],
      // An engineer with no visit on the plan and not the customer's one-to-one engineer.
      ['outsider', 'engineer'],
    ];
    for (const [name, role] of people) {
      const user = await users.create({ name, email: `${name}.links@maker.test`, role, locale: 'en' });
      ids[name] = user.id;
      tokens[name] = await users.issueToken(user.id, 'test');
    }
    desk = { userId: ids.dispatcher!, name: 'dispatcher', role: 'dispatcher' };
    const customers = new CustomersRepository(knex);
    customerId = (await customers.create({ name: `Links hospital ${Date.now()}`, contacts: [{ ...contact, role: 'equipment', phone: '+86 10 5555 0101' }] })).id;
    await customers.assignEngineer(customerId, ids.engineer!);
    serial = `CT-${process.pid}-${Date.now()}`;
    const devices = new DevicesRepository(knex);
    const [device] = await devices.createMany(customerId, [{ model: 'CT-900', serial }]);
    await devices.setWarranty([serial], new Date(Date.now() - 86_400_000), new Date(Date.now() + 365 * 86_400_000));

    // The device's care plan: call:1 and inspection:1 come due within seconds, then it goes quiet.
    const policy = resolvePolicy({ contract: { care: CARE_FAST } as PolicyOverride });
    const anchorAt = new Date().toISOString();
    planId = (await care.createPlan({ customerId, siteId: null, projectId: null, customerClass: 'regular', anchorAt: new Date(anchorAt), warrantyEndsAt: null, policy, deviceIds: [device!.id] }, new Date())).id;
    const input: CarePlanInput = { planId, customerId, customerName: 'Links hospital', deviceIds: [device!.id], customerClass: 'regular', anchorAt, timeZone: 'Asia/Shanghai', policy, customerContacts: [contact] };
    plan = await system.temporal.client.workflow.start(carePlan, { taskQueue: system.temporal.taskQueue, workflowId: carePlanWorkflowId(planId), args: [input] });
    const listed = (key: string, kind: 'visits' | 'calls') => (kind === 'visits' ? care.listVisits({ planId, now: new Date(), scope: ALL_ROWS }) : care.listCalls({ planId, now: new Date(), scope: ALL_ROWS })).then((rows) => rows.find((r) => r.taskKey === key));
    await poll('call:1 and inspection:1', async () => ((await listed('call:1', 'calls')) && (await listed('inspection:1', 'visits')) ? true : undefined));
    await plan.executeUpdate(updatePolicyUpdate, { args: [{ ...meta(), policy: resolvePolicy({ contract: { care: CARE_QUIET } as PolicyOverride }) }] });
  });

  afterAll(async () => {
    await plan?.executeUpdate(endPlanUpdate, { args: [{ ...meta(), reason: 'test over' }] }).catch(() => undefined);
    const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
    for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
    if (app) await settleBackgroundWork(app);
    await server?.close();
    await system?.stop();
  });

  it('a return call’s low score opens a complaint linked both ways, once; its reply clock warns the desk', async () => {
    await plan.executeUpdate(completeCallUpdate, { args: [{ ...meta(), taskKey: 'call:1', answers: { usage: 'daily', mastery: 'good', problems: 'slow to start' }, satisfaction: 1 }] });
    const [followUp] = await care.followUps(planId);
    expect(followUp).toMatchObject({ reason: 'low_score', ticketId: null });
    // The service manager heard of the follow-up, at the sink.
    await waitForMail(`${carePlanWorkflowId(planId)}:follow-up:call:1:low_score`, 'manager.links@maker.test');

    const path = `/api/care-plans/${planId}/follow-ups/${followUp!.id}/ticket`;
    const [opened, twice] = await Promise.all([call('POST', path, tokens.manager!, { kind: 'complaint', category: 'quality' }), call('POST', path, tokens.manager!, { kind: 'complaint', category: 'quality' })]);
    const won = opened.status === 201 ? opened : twice;
    const lost = opened.status === 201 ? twice : opened;
    expect(won).toMatchObject({ status: 201, body: { kind: 'complaint', carePlanId: planId, careFollowUpId: followUp!.id, channel: 'asset_care', customerId } });
    expect(won.body.symptom).toContain('satisfaction 1/5');
    expect(lost.status).toBe(409);
    expect(lost.body.error.message).toContain(`ticket ${won.body.id}`);
    const id = won.body.id as number;

    // Both sides name each other, and both timelines say so.
    expect(await care.getFollowUp(planId, followUp!.id)).toMatchObject({ ticketId: id });
    const planRead = await call('GET', `/api/care-plans/${planId}`, tokens.manager!);
    expect(planRead.status).toBe(200);
    expect(planRead.body.followUps.find((f: Json) => f.id === followUp!.id)).toMatchObject({ reason: 'low_score', ticketId: id });
    const read = await ticket(id);
    expect(read).toMatchObject({ carePlanId: planId, careFollowUpId: followUp!.id, dealerTaskId: null, progress: { complaint: { category: 'quality' } } });
    const callRow = (await care.listCalls({ planId, now: new Date(), scope: ALL_ROWS })).find((c) => c.taskKey === 'call:1')!;
    expect(read.careOrigin).toEqual({ carePlanId: planId, followUpId: followUp!.id, reason: 'low_score', callId: callRow.id, visitId: null, finding: null });
    expect(read.timeline.map((e: Json) => e.kind)).toContain('opened_from_care');
    // The plan's entry is words (said in each reader's language), its English kept as the summary.
    expect((await care.timeline(planId)).find((e) => e.kind === 'ticket_opened')).toMatchObject({
      summary: `complaint ${id} opened for follow-up ${followUp!.id} (low score)`,
      words: { key: 'timeline.care.ticket_opened', params: { kind: 'complaint', ticket: id, origin: 'follow_up', followUp: followUp!.id, reason: 'low_score' } },
      data: { ticketId: id, kind: 'complaint', followUpId: followUp!.id },
    });
    expect(await system.db.knex('tickets').where({ care_follow_up_id: followUp!.id }).count({ n: '*' }).first()).toMatchObject({ n: 1 });

    // The complaint runs its own clock: nobody assigned, its first warning goes to the desk.
    const warning = await waitForMail(`ticket-${id}:clock:reply:warning_1`, 'dispatcher.links@maker.test');
    expect(warning.subject).toMatch(/Complaint reply/);

    expect((await call('POST', `/api/care-plans/${planId}/follow-ups/999999/ticket`, tokens.manager!, { kind: 'complaint' })).status).toBe(404);
    expect((await call('POST', path, tokens.manager!, { kind: 'warranty' })).body.error.details).toEqual([expect.objectContaining({ field: 'kind' })]);
    // Who may not open tickets may not open this one either.
    expect((await call('POST', path, tokens.clerk!, { kind: 'complaint' })).status).toBe(403);
    // Who may open tickets but not read this plan finds no plan there.
    expect((await call('POST', path, tokens.outsider!, { kind: 'complaint' })).status).toBe(404);

    // Given the complaint to work, the outsider reads it, but not the plan it came from: no plan, follow-up or call, and nothing naming them.
    expect((await step(id, 'assign', { engineerUserId: ids.outsider })).status).toBe(200);
    const theirs = await call('GET', `/api/tickets/${id}`, tokens.outsider!);
    expect(theirs).toMatchObject({ status: 200, body: { channel: 'asset_care', carePlanId: null, careFollowUpId: null, careOrigin: null, returnCalls: [] } });
    expect(theirs.body.timeline.find((e: Json) => e.kind === 'opened_from_care')).toMatchObject({ summary: 'opened from asset care', data: null });
    expect(JSON.stringify(theirs.body)).not.toContain(`care plan ${planId}`);
    const listedTheirs = (await call('GET', '/api/tickets?queue=all', tokens.outsider!)).body.tickets.find((t: Json) => t.id === id);
    expect(listedTheirs).toMatchObject({ carePlanId: null, careFollowUpId: null });
    expect((await call('GET', `/api/care-plans/${planId}`, tokens.outsider!)).status).toBe(404);
    // The other way: the one-to-one engineer reads the plan, no longer this complaint: the plan does not name it to them.
    const engineersPlan = (await call('GET', `/api/care-plans/${planId}`, tokens.engineer!)).body;
    expect(engineersPlan.followUps.find((f: Json) => f.id === followUp!.id)).toMatchObject({ reason: 'low_score', ticketId: null });
    expect(engineersPlan.timeline.find((e: Json) => e.kind === 'ticket_opened')).toMatchObject({ summary: 'About a ticket not yours to open', data: null });
  });

  it('a visit’s finding opens a repair ticket for the one-to-one engineer; its close puts the return call on the plan', async () => {
    await plan.executeUpdate(completeVisitUpdate, { args: [{ ...meta(), taskKey: 'inspection:1', checklist: { earthing: false, dustRemoval: true, operatingState: 'running' }, findings: ['earth wire loose on the gantry', 'dust filter worn'], signature: { name: 'Chen Jing' } }] });
    const visit = (await care.listVisits({ planId, now: new Date(), scope: ALL_ROWS })).find((v) => v.taskKey === 'inspection:1')!;
    expect(visit.status).toBe('done');
    const path = `/api/care-plans/${planId}/visits/${visit.id}/ticket`;
    expect((await call('POST', path, tokens.dispatcher!, { finding: 5 })).body.error.details).toEqual([expect.objectContaining({ field: 'finding' })]);

    const opened = await call('POST', path, tokens.dispatcher!, { finding: 0, level: 2 });
    expect(opened).toMatchObject({ status: 201, body: { kind: 'repair', serial, symptom: 'earth wire loose on the gantry', entitlement: 'warranty', level: 2, assigneeUserId: ids.engineer, carePlanId: planId } });
    const id = opened.body.id as number;
    expect((await call('POST', path, tokens.dispatcher!, { finding: 0 })).status).toBe(409);
    const findingFollowUp = (await care.followUps(planId)).find((f) => f.reason === 'finding')!;
    expect(findingFollowUp).toMatchObject({ visitId: visit.id, finding: 0, ticketId: id, status: 'closed' });
    expect(opened.body.careFollowUpId).toBe(findingFollowUp.id);
    expect((await ticket(id)).careOrigin).toEqual({ carePlanId: planId, followUpId: findingFollowUp.id, reason: 'finding', callId: null, visitId: visit.id, finding: 0 });
    expect((await care.timeline(planId)).find((e) => e.kind === 'ticket_opened' && e.key === `ticket:${id}`)).toMatchObject({
      summary: `ticket ${id} opened for finding 0 of visit inspection:1`,
      words: { key: 'timeline.care.ticket_opened', params: { kind: 'repair', ticket: id, origin: 'finding', n: 0, visit: 'inspection:1' } },
    });
    // Dispatched to the customer's one-to-one engineer, who hears of it.
    await waitForMail(`ticket-${id}:assigned:intake`, 'engineer.links@maker.test');

    const closed = await repairAndClose(id);
    // The return call lands in the plan's call queue, due when the survey is, naming its ticket.
    const returnCall = await poll('the return call', async () => (await care.listCalls({ planId, now: new Date(), scope: ALL_ROWS })).find((c) => c.taskKey === `repair:${id}:0`));
    expect(returnCall).toMatchObject({ status: 'due', ticketId: id });
    const surveyDue = (await ticket(id)).progress.surveyDue as string;
    expect(returnCall.dueAt.toISOString()).toBe(surveyDue);
    expect(new Date(surveyDue).getTime() - new Date(closed.at).getTime()).toBe(15_000);
    const read = await poll('the ticket names its return call', async () => {
      const body = await ticket(id);
      return body.timeline.some((e: Json) => e.kind === 'return_call_scheduled') ? body : undefined;
    });
    expect(read.returnCalls).toEqual([{ callId: returnCall.id, carePlanId: planId, taskKey: `repair:${id}:0`, status: 'due', dueAt: surveyDue }]);
    expect(read.timeline.find((e: Json) => e.kind === 'return_call_scheduled').summary).toContain(`on care plan ${planId}`);
    // The engineer reads the plan (the customer’s one-to-one) but no call: the return call is not listed to them.
    const engineers = (await call('GET', `/api/tickets/${id}`, tokens.engineer!)).body;
    expect(engineers).toMatchObject({ carePlanId: planId, returnCalls: [], careOrigin: { carePlanId: planId, reason: 'finding', callId: null, visitId: visit.id, finding: 0 } });
    expect(engineers.timeline.find((e: Json) => e.kind === 'return_call_scheduled').summary).toContain(`on care plan ${planId}`);
    // The care plan's read shows the call with its ticket, and the finding's follow-up with the ticket too.
    const planRead = (await call('GET', `/api/care-plans/${planId}`, tokens.manager!)).body;
    expect(planRead.nextTasks.calls.find((c: Json) => c.taskKey === `repair:${id}:0`)).toMatchObject({ ticketId: id, status: 'due' });
    expect(planRead.followUps.find((f: Json) => f.reason === 'finding')).toMatchObject({ ticketId: id, visitId: visit.id });
    // The desk is reminded of the call, at the sink.
    await waitForMail(`${carePlanWorkflowId(planId)}:repair:${id}:0:v0:reminder`, 'dispatcher.links@maker.test');
    const answered = await plan.executeUpdate(completeCallUpdate, { args: [{ ...meta(), taskKey: `repair:${id}:0`, answers: { usage: 'daily', mastery: 'good', suggestions: 'call before coming' }, satisfaction: 5 }] });
    // The call's answers are the ticket's survey: recorded on the ticket, by the desk, closed for good.
    expect(answered).toMatchObject({ status: 'done', followUp: false, ticketSurvey: 'surveyed' });
    const surveyed = await ticket(id);
    expect(surveyed.returnCalls[0]).toMatchObject({ status: 'done' });
    expect(surveyed.progress.surveys).toEqual([expect.objectContaining({ score: 5, comment: 'call before coming', satisfied: true, reopened: false })]);
    expect(surveyed.timeline.find((e: Json) => e.kind === 'surveyed')).toMatchObject({ actor: desk.name });
    expect((await step(id, 'survey', { score: 1 })).status).toBe(409);
  });

  it('a return call’s low score reopens its repair (no care follow-up); the next close’s call is the next round’s survey', async () => {
    const opened = await call('POST', '/api/tickets', tokens.dispatcher!, { customerId, serial, symptom: 'display flickers', level: 3, channel: 'phone', contact });
    expect(opened.status).toBe(201);
    const id = opened.body.id as number;
    if (opened.body.assigneeUserId !== ids.engineer) expect((await step(id, 'assign', { engineerUserId: ids.engineer })).status).toBe(200);
    await repairAndClose(id);
    await poll('round 0’s call', async () => (await care.listCalls({ planId, now: new Date(), scope: ALL_ROWS })).find((c) => c.taskKey === `repair:${id}:0`));
    const followUpsBefore = (await care.followUps(planId)).length;

    const low = await plan.executeUpdate(completeCallUpdate, { args: [{ ...meta(), taskKey: `repair:${id}:0`, answers: { usage: 'daily', mastery: 'good', problems: 'still flickers' }, satisfaction: 2 }] });
    expect(low).toMatchObject({ status: 'done', followUp: false, ticketSurvey: 'reopened' });
    const reopened = await ticket(id);
    expect(reopened).toMatchObject({ status: 'assigned', closedAt: null, progress: expect.objectContaining({ reopened: 1 }) });
    expect(reopened.progress.surveys).toEqual([expect.objectContaining({ score: 2, comment: 'still flickers', reopened: true })]);
    // The ticket is back at work: the care plan opens no follow-up of its own for that score.
    expect((await care.followUps(planId)).length).toBe(followUpsBefore);

    // Fixed again and closed: the second close's call is the survey of round 1.
    await repairAndClose(id);
    await poll('round 1’s call', async () => (await care.listCalls({ planId, now: new Date(), scope: ALL_ROWS })).find((c) => c.taskKey === `repair:${id}:1`));
    const satisfied = await plan.executeUpdate(completeCallUpdate, { args: [{ ...meta(), taskKey: `repair:${id}:1`, answers: { usage: 'daily', mastery: 'good' }, satisfaction: 4 }] });
    expect(satisfied).toMatchObject({ ticketSurvey: 'surveyed', followUp: false });
    // The console says so beside "recorded", in the reader's language.
    const desk = new ConsoleVisitor(server.url);
    await desk.signIn(tokens.dispatcher!);
    expect((await desk.get('/calls?done=complete&call=1&survey=surveyed')).body).toContain('took the answers as its survey: the customer is satisfied');
    expect((await ticket(id)).progress.surveys.map((s: Json) => s.score)).toEqual([2, 4]);
  });

  it('a return call after the customer answered the link is not the survey: a low score there opens a care follow-up', async () => {
    const opened = await call('POST', '/api/tickets', tokens.dispatcher!, { customerId, serial, symptom: 'fan loud', level: 3, channel: 'phone', contact });
    const id = opened.body.id as number;
    if (opened.body.assigneeUserId !== ids.engineer) expect((await step(id, 'assign', { engineerUserId: ids.engineer })).status).toBe(200);
    await repairAndClose(id);
    await poll('the call', async () => (await care.listCalls({ planId, now: new Date(), scope: ALL_ROWS })).find((c) => c.taskKey === `repair:${id}:0`));
    expect((await step(id, 'survey', { score: 5 })).status).toBe(200);

    // The desk records the call in the console; the answer page says the ticket did not take it.
    const callRow = (await care.listCalls({ planId, now: new Date(), scope: ALL_ROWS })).find((c) => c.taskKey === `repair:${id}:0`)!;
    const desk = new ConsoleVisitor(server.url);
    await desk.signIn(tokens.dispatcher!);
    await desk.get(`/calls/${callRow.id}`);
    const sent = await desk.post(`/calls/${callRow.id}/steps/complete`, { 'answers.usage': 'rarely', 'answers.mastery': 'poor', satisfaction: '1' });
    expect(sent.status).toBe(303);
    const location = sent.headers.get('location')!;
    expect(location).toBe(`/calls?done=complete&call=${callRow.id}&survey=not_taken`);
    expect((await desk.get(location)).body).toContain('Its repair ticket had its survey already');
    expect((await ticket(id)).progress.surveys).toEqual([expect.objectContaining({ score: 5 })]);
    const followUp = (await care.followUps(planId)).find((f) => f.callId === callRow?.id);
    expect(followUp).toMatchObject({ reason: 'low_score', status: 'open' });
    await waitForMail(`${carePlanWorkflowId(planId)}:follow-up:repair:${id}:0:low_score`, 'manager.links@maker.test');
  });

  it('a closed repair on a device no care plan covers schedules no call, and says so', async () => {
    const other = `MR-${process.pid}-${Date.now()}`;
    const devices = new DevicesRepository(system.db.knex);
    await devices.createMany(customerId, [{ model: 'MR-1500', serial: other }]);
    await devices.setWarranty([other], new Date(Date.now() - 86_400_000), new Date(Date.now() + 365 * 86_400_000));
    const opened = await call('POST', '/api/tickets', tokens.dispatcher!, { customerId, serial: other, symptom: 'coil noise', level: 3, channel: 'phone', contact });
    expect(opened.status).toBe(201);
    await repairAndClose(opened.body.id);
    const read = await poll('no return call recorded', async () => {
      const body = await ticket(opened.body.id);
      return body.timeline.some((e: Json) => e.kind === 'return_call_none') ? body : undefined;
    });
    expect(read.returnCalls).toEqual([]);
    expect(read.status).toBe('closed');
  });

  it('三包: a repair on a dealer-sold device under its recognised card becomes a dealer task; the ticket records it', async () => {
    const { knex } = system.db;
    const dealerId = (await new DealersRepository(knex).create(`Links dealer ${Date.now()}`)).id;
    const users = new UsersRepository(knex);
    const dealerToken = await users.issueToken((await users.create({ name: 'Dealer Liu', email: 'dealer.links@maker.test', role: 'dealer', dealerId, locale: 'en' })).id, 'test');
    const warranty = new DealerWarrantyRepository(knex);
    const today = new Date().toLocaleDateString('sv-SE', { timeZone: DEFAULT_POLICY.dealer.settlementTimeZone });
    const nextYear = `${Number(today.slice(0, 4)) + 1}${today.slice(4)}`;
    const soldSerial = `PUMP-${process.pid}-${Date.now()}`;
    const sale = await warranty.createSale({ dealerId, deviceSerial: soldSerial, model: 'P-20', saleDate: today, customerName: 'Farm Li' }, DEFAULT_POLICY.dealer, new Date());
    const { deviceId } = await warranty.recordCardInTime(sale.id, today, {}, nextYear, 'Asia/Shanghai', new Date());
    const owner = Number(((await knex('devices').where({ id: deviceId }).first('customer_id')) as { customer_id: number }).customer_id);
    // A second dealer-sold device whose card is still pending: no recognised warranty, an ordinary ticket.
    const pendingSerial = `${soldSerial}-B`;
    await warranty.createSale({ dealerId, deviceSerial: pendingSerial, model: 'P-20', saleDate: today, customerName: 'Farm Li' }, DEFAULT_POLICY.dealer, new Date());
    await new DevicesRepository(knex).createMany(owner, [{ model: 'P-20', serial: pendingSerial }]);

    const farmer = { name: 'Li Nong', email: 'li.nong@farm.test', phone: '13800000000', locale: 'en' };
    const opened = await call('POST', '/api/tickets', tokens.dispatcher!, { customerId: owner, serial: soldSerial, symptom: 'pump stalls under load', level: 2, channel: 'phone', contact: farmer });
    // The dispatcher may not read dealer tasks: the ticket says it went to the dealer, not which task.
    expect(opened).toMatchObject({ status: 201, body: { kind: 'repair', status: 'closed', entitlement: 'warranty', clocks: [], assigneeUserId: null, dealerTaskId: null } });
    const desk = (await call('GET', `/api/tickets/${opened.body.id}`, tokens.dispatcher!)).body;
    expect(desk.dealerTaskId).toBeNull();
    expect(desk.timeline.find((e: Json) => e.kind === 'routed_to_dealer')).toMatchObject({ summary: '三包: routed to the dealer, whose dealer task takes the repair', data: null });
    // Leadership reads both: the task is named.
    const read = (await call('GET', `/api/tickets/${opened.body.id}`, tokens.leader!)).body;
    const taskId = read.dealerTaskId as number;
    expect(taskId).toEqual(expect.any(Number));
    expect(read.timeline.find((e: Json) => e.kind === 'routed_to_dealer')).toMatchObject({ data: { dealerId, saleId: sale.id, dealerTaskId: taskId } });
    const task = await call('GET', `/api/dealer-tasks/${taskId}`, dealerToken);
    expect(task).toMatchObject({ status: 200, body: { dealerId, deviceSerial: soldSerial, request: 'pump stalls under load', status: 'open' } });
    // The company's steps are not the dealer's: refused, naming the task.
    const refused = await step(opened.body.id, 'acknowledge');
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain('went to the dealer (三包)');
    expect(refused.body.error.message).not.toContain(`${taskId}`);
    // The dealer's process runs: arranged, the end user hears when the service comes.
    expect((await call('POST', `/api/dealer-tasks/${taskId}/arrange`, dealerToken, { visitAt: '2026-12-02T09:00:00+08:00', arrangement: 'engineer brings a spare pump' })).status).toBe(200);
    await waitForMail(`dealer-task-${taskId}:arranged`, farmer.email);

    const ordinary = await call('POST', '/api/tickets', tokens.dispatcher!, { customerId: owner, serial: pendingSerial, symptom: 'pump leaks', level: 3, channel: 'phone', contact: farmer });
    expect(ordinary).toMatchObject({ status: 201, body: { status: 'open', dealerTaskId: null } });
    expect(ordinary.body.clocks.length).toBe(3);

    // Two 三包 intakes race for one care follow-up on the device's plan: one ticket, one dealer task; the refused one leaves none.
    const soldPlan = await care.createPlan({ customerId: owner, siteId: null, projectId: null, customerClass: 'regular', anchorAt: new Date(), warrantyEndsAt: null, policy: DEFAULT_POLICY, deviceIds: [deviceId!] }, new Date());
    await care.addFollowUp(soldPlan.id, { key: 'call:1:unsolved_problem', customerId: owner, reason: 'unsolved_problem', summary: 'call:1: pump still stalls', dueAt: new Date(Date.now() + 86_400_000) }, new Date());
    const [followUp] = await care.followUps(soldPlan.id);
    const tasksOf = async () => ((await knex('dealer_tasks').where({ device_serial: soldSerial }).select('id')) as { id: number }[]).map((r) => Number(r.id));
    const before = await tasksOf();
    const path = `/api/care-plans/${soldPlan.id}/follow-ups/${followUp!.id}/ticket`;
    const raced = await Promise.all([1, 2].map(() => call('POST', path, tokens.manager!, { kind: 'repair', contact: farmer })));
    expect(raced.map((r) => r.status).sort()).toEqual([201, 409]);
    const won = raced.find((r) => r.status === 201)!;
    expect(won.body).toMatchObject({ status: 'closed', carePlanId: soldPlan.id, careFollowUpId: followUp!.id, serial: soldSerial });
    const added = (await tasksOf()).filter((t) => !before.includes(t));
    expect(added).toHaveLength(1);
    expect((await call('GET', `/api/tickets/${won.body.id}`, tokens.leader!)).body.dealerTaskId).toBe(added[0]);
    expect(await knex('tickets').where({ care_follow_up_id: followUp!.id }).count({ n: '*' }).first()).toMatchObject({ n: 1 });
    // Nor did the refused intake leave a task's deadline rows behind: every dealer task deadline has its task.
    expect(await knex('deadlines').where({ record_type: 'dealer_task' }).whereNotIn('record_id', knex('dealer_tasks').select('id')).count({ n: '*' }).first()).toMatchObject({ n: 0 });
    const lostRace = raced.find((r) => r.status === 409)!;
    expect(lostRace.body.error.message).toContain(`ticket ${won.body.id}`);
  });
});
