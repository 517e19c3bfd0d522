/**
 * The service manager's plan steps from the console over HTTP, against a real care-plan workflow
 * and database: an extra visit, a maintenance contract (the workflow's own check first, shown beside
 * its field), closing the follow-up a low call score opened, and ending the plan — each answered
 * with a redirect back to the plan and recorded as the API's route would record it.
 */
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { CareRepository } from '../../processes/care/repository';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import { resolvePolicy, type PolicyOverride } from '../../domain/policy';
import { carePlan } from '../../workflows';
import { carePlanWorkflowId, type CarePlanInput } from '../../processes/care/messages';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { startTestSystem, type TestSystem } from '../support/services';
import { ALL_ROWS } from '../../domain/access';

/** A first call within the minute, so a low score can open a follow-up during the test. */
const POLICY: PolicyOverride = {
  care: { inspectionTiers: [{ fromMonth: 1, every: 'PT1H' }], returnCallFirstWithin: 'PT1M', returnCallEvery: 'P1Y', taskHorizon: 'PT150M', visitWindow: 'P1D', callWindow: 'P1D' },
};

let system: TestSystem;
let server: ApiServer;
let app: ReturnType<typeof createApp>;
let care: CareRepository;
let planId: number;
const visitors: Record<string, ConsoleVisitor> = {};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Opens the page the form is on (for its CSRF token), then sends the form. */
async function send(who: string, path: string, form: Record<string, string>) {
  await visitors[who]!.get(path.replace(/\/steps\/.*$/, ''));
  return visitors[who]!.post(path, form);
}

beforeAll(async () => {
  system = await startTestSystem('care-plan-forms');
  const { knex } = system.db;
  care = new CareRepository(knex);
  const users = new UsersRepository(knex);
  const customers = new CustomersRepository(knex);
  const customer = await customers.create({ name: 'Ganzhou People’s Hospital', contacts: [{ name: 'Zhao Min', email: 'zhao@ganzhou.test', role: 'technical_lead', phone: '+86 797 555 0101' }] });
  const make = async (key: string, role: 'engineer' | 'dispatcher' | 'service_manager') => {
    const user = await users.create({ name: `${key} user`, email: `${key}@care-plan-forms.test`, role, locale: 'en' });
    visitors[key] = new ConsoleVisitor('');
    return { user, token: await users.issueToken(user.id, 'console') };
  };
  const people = { engineer: await make('engineer', 'engineer'), desk: await make('desk', 'dispatcher'), manager: await make('manager', 'service_manager') };
  await customers.assignEngineer(customer.id, people.engineer.user.id);
  const policy = resolvePolicy({ contract: POLICY });
  const anchorAt = new Date().toISOString();
  const plan = await care.createPlan({ customerId: customer.id, siteId: null, projectId: null, customerClass: 'regular', anchorAt: new Date(anchorAt), warrantyEndsAt: null, policy, deviceIds: [] }, new Date());
  planId = plan.id;
  const input: CarePlanInput = { planId, customerId: customer.id, customerName: customer.name, deviceIds: [], customerClass: 'regular', anchorAt, timeZone: 'Asia/Shanghai', policy, customerContacts: [{ name: 'Zhao Min', email: 'zhao@ganzhou.test', locale: 'en' }] };
  const temporal = { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' };
  await system.temporal.client.workflow.start(carePlan, { taskQueue: temporal.taskQueue, workflowId: carePlanWorkflowId(planId), args: [input] });
  app = createApp({ knex, temporal, logger: { error: (m, e) => console.error(m, e) } });
  app.use(createConsole({ knex, temporal }));
  server = await startApiServer(app, 0, '127.0.0.1');
  for (const [key, { token }] of Object.entries(people)) {
    visitors[key] = new ConsoleVisitor(server.url);
    expect((await visitors[key]!.signIn(token)).status).toBe(303);
  }
  await poll('the first call', async () => ((await care.listCalls({ planId, now: new Date(), scope: ALL_ROWS })).length >= 1 ? true : undefined));
});

afterAll(async () => {
  await system?.temporal.client.workflow.getHandle(carePlanWorkflowId(planId)).terminate('test finished').catch(() => undefined);
  if (app) await settleBackgroundWork(app);
  await server?.close();
  await system?.stop();
});

it('adds an extra visit, due when the form says in the customer’s zone', async () => {
  const before = (await care.listVisits({ planId, now: new Date(), scope: ALL_ROWS })).length;
  const answer = await send('manager', `/care-plans/${planId}/steps/extra-visit`, { dueAt: '2030-05-01T09:00', reason: 'escort inspection before the congress' });
  expect([answer.status, answer.headers.get('location')]).toEqual([303, `/care-plans/${planId}?done=extra-visit`]);
  const visits = await care.listVisits({ planId, now: new Date(), scope: ALL_ROWS });
  expect(visits).toHaveLength(before + 1);
  const extra = visits.find((v) => v.kind === 'extra')!;
  // 09:00 in the customer's zone (Asia/Shanghai).
  expect(extra.dueAt.toISOString()).toBe('2030-05-01T01:00:00.000Z');
  expect((await visitors.manager!.get(`/care-plans/${planId}?done=extra-visit`)).body).toContain('Step recorded: Add an extra visit.');
});

it('adds a maintenance contract, after showing the workflow’s own check beside its field', async () => {
  const form = { startsAt: '2031-01-01T00:00', endsAt: '2032-01-01T00:00' };
  const tooFew = await send('manager', `/care-plans/${planId}/steps/contract`, { ...form, visitsPerYear: '1' });
  expect(tooFew.status).toBe(400);
  expect(tooFew.body).toMatch(/id="f-plan-contract-visitsPerYear-error">Must be at least \d+ visits a year/);
  expect((await care.getPlan(planId))!.contracts).toHaveLength(0);
  const answer = await send('manager', `/care-plans/${planId}/steps/contract`, { ...form, visitsPerYear: '12' });
  expect(answer.status).toBe(303);
  expect((await care.getPlan(planId))!.contracts).toEqual([expect.objectContaining({ id: 'C20310101', startsAt: '2030-12-31T16:00:00.000Z', visitsPerYear: 12 })]);
});

it('closes the follow-up a low call score opened, with its outcome', async () => {
  const [call] = await care.listCalls({ planId, now: new Date(), scope: ALL_ROWS });
  const scored = await send('desk', `/calls/${call!.id}/steps/complete`, { 'answers.usage': 'daily', 'answers.mastery': 'yes', satisfaction: '2' });
  expect(scored.status).toBe(303);
  const followUp = await poll('the follow-up', async () => (await care.followUps(planId)).find((f) => f.status === 'open'));
  expect((await visitors.manager!.get(`/care-plans/${planId}`)).body).toContain(`<option value="${followUp.id}">`);
  const answer = await send('manager', `/care-plans/${planId}/steps/close-follow-up`, { followUpId: String(followUp.id), outcome: 'called back; the operator was trained again' });
  expect(answer.status).toBe(303);
  expect(await care.getFollowUp(planId, followUp.id)).toEqual(expect.objectContaining({ status: 'closed', outcome: 'called back; the operator was trained again' }));
  // Closed: no longer offered, and its form is gone with the last open one.
  expect((await visitors.manager!.get(`/care-plans/${planId}`)).body).not.toContain('/steps/close-follow-up');
  // Sent again from a page left open (or by a colleague a moment later): refused, and said above the
  // page although the form is gone, so nobody believes their outcome was recorded.
  const again = await send('manager', `/care-plans/${planId}/steps/close-follow-up`, { followUpId: String(followUp.id), outcome: 'a second outcome' });
  expect(again.status).toBeGreaterThanOrEqual(400);
  expect(again.body).toMatch(/<div class="error" role="alert"><ul><li>[^<]+<\/li>/);
  expect(await care.getFollowUp(planId, followUp.id)).toEqual(expect.objectContaining({ outcome: 'called back; the operator was trained again' }));
});

it('refuses the plan steps to an engineer, then ends the plan for the service manager', async () => {
  expect((await send('engineer', `/care-plans/${planId}/steps/end`, { reason: 'retired' })).status).toBe(403);
  // The API's own schema holds too: a reason longer than the route takes, beside its field.
  const long = await send('manager', `/care-plans/${planId}/steps/end`, { reason: 'x'.repeat(501) });
  expect(long.status).toBe(400);
  expect(long.body).toMatch(/id="f-plan-end-reason-error">must be at most 500 characters/);
  expect((await care.getPlan(planId))!.status).toBe('active');
  const answer = await send('manager', `/care-plans/${planId}/steps/end`, { reason: 'equipment retired' });
  expect(answer.status).toBe(303);
  expect(await care.getPlan(planId)).toEqual(expect.objectContaining({ status: 'ended', endReason: 'equipment retired' }));
  // An ended plan has no steps left to take.
  expect((await visitors.manager!.get(`/care-plans/${planId}`)).body).not.toContain('/steps/');
});
