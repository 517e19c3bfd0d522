/**
 * A ticket taken through its ladder from the console in a real browser (Chromium via playwright-core)
 * against the real API code, a real ticket workflow and database: each step is a form on the
 * ticket's page; a bad value shows beside its field, a step the ticket does not allow now shows
 * above its form; the engineer finds it under "my tickets"; the page also speaks Chinese. The
 * walk is in English, so every ticket page is smoked in Chinese (test/support/consoleSmoke.ts): the
 * dispatcher's queues with their exports and the open ticket with its step forms, then the engineer's
 * queues, home and the closed ticket. Screenshots go to `tickets/` in CONSOLE_SCREENSHOTS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { ticketsModule } from '../../api/index';
import { createConsole } from '../../console';
import { CustomersRepository } from '../../installedBase/customers';
import { DevicesRepository } from '../../installedBase/devices';
import { UsersRepository } from '../../people/repository';
import { TICKET_QUEUES } from '../../processes/tickets/console/tickets';
import { smokePages, type SmokeOptions } from '../support/consoleSmoke';
import { startTestSystem, type TestSystem } from '../support/services';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOTS = path.join(process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-console-')), 'tickets');
/** The records' own words, typed in English: a Chinese page shows them as they are. */
const DATA = ['Nanchang First Hospital', 'no image on the detector', 'Wang Fang', 'Chen Jie', 'Liu Yang', 'Zhao Lei', 'cable fault', 'replaced the detector cable', 'detector board ordered', 'ward without imaging', 'quick and clean'];

let system: TestSystem;
let server: ApiServer;
let app: ReturnType<typeof createApp>;
let browser: Browser;
let tokens: { dispatcher: string; engineer: string; desk: string };
let engineerId: number;
let ticketId: number;
const complaints: string[] = [];

async function newPage(locale = 'en-US'): Promise<Page> {
  const page = await (await browser.newContext({ locale })).newPage();
  page.on('console', (message) => {
    if ((message.type() === 'error' || message.type() === 'warning') && !message.text().startsWith('Failed to load resource')) complaints.push(message.text());
  });
  page.on('pageerror', (error) => complaints.push(error.message));
  return page;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${server.url}/`);
  await page.fill('#f-token', token);
  await page.click('form.signin button[type=submit]');
  await page.waitForURL(`${server.url}/home`);
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  system = await startTestSystem('ticket-steps-browser');
  const { knex } = system.db;
  const users = new UsersRepository(knex);
  const dispatcher = await users.create({ name: 'Chen Jie', email: 'dispatcher@browser.test', role: 'dispatcher', locale: 'en' });
  const engineer = await users.create({ name: 'Liu Yang', email: 'engineer@browser.test', role: 'engineer', locale: 'en' });
  // A second dispatcher who reads Chinese, for the smoke pass of the dispatcher's pages.
  const desk = await users.create({ name: 'Zhao Lei', email: 'desk@browser.test', role: 'dispatcher', locale: 'zh-CN' });
  engineerId = engineer.id;
  tokens = { dispatcher: await users.issueToken(dispatcher.id, 'browser'), engineer: await users.issueToken(engineer.id, 'browser'), desk: await users.issueToken(desk.id, 'browser') };
  const customer = await new CustomersRepository(knex).create({ name: 'Nanchang First Hospital' });
  const serial = `BR-${process.pid}-${Date.now()}`;
  const devices = new DevicesRepository(knex);
  await devices.createMany(customer.id, [{ model: 'DR-7000', serial }]);
  await devices.setWarranty([serial], new Date(Date.now() - 86_400_000), new Date(Date.now() + 365 * 86_400_000));
  const temporal = { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' };
  app = createApp({ knex, temporal, routers: [ticketsModule], logger: { error: (m, e) => console.error(m, e) } });
  app.use(createConsole({ knex, temporal }));
  server = await startApiServer(app, 0, '127.0.0.1');
  const opened = await fetch(`${server.url}/api/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.dispatcher}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: customer.id, serial, symptom: 'no image on the detector', level: 3, channel: 'phone', contact: { name: 'Wang Fang', email: 'wang.fang@hospital.test' } }),
  });
  expect(opened.status).toBe(201);
  ticketId = ((await opened.json()) as { id: number }).id;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
  for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
  await settleBackgroundWork(app);
  await server?.close();
  await system?.stop();
});

it('takes a ticket through its ladder from the console: each step a form, problems beside the fields', async () => {
  const zh: SmokeOptions = { base: server.url, locale: 'zh-CN', screenshots: SCREENSHOTS, data: DATA };
  // Smoke, in Chinese: the dispatcher's queues and the open ticket with every step form it offers.
  const deskPage = await newPage('zh-CN');
  await signIn(deskPage, tokens.desk);
  const problems = await smokePages(deskPage, [['home-dispatcher-zh-CN', '/home'], ...TICKET_QUEUES.map((q) => [`tickets-${q}-zh-CN`, `/tickets?queue=${q}`] as const), ['ticket-open-zh-CN', `/tickets/${ticketId}`]], zh);
  expect(await deskPage.locator('#step-assign').count()).toBe(1);

  const page = await newPage();
  await signIn(page, tokens.dispatcher);
  const ticketUrl = `${server.url}/tickets/${ticketId}`;
  await page.goto(ticketUrl);
  const status = () => page.locator('dl.facts dd').nth(1).textContent();
  /** Fills a step's form and sends it; answers the page's status code. */
  async function take(step: string, fields: Record<string, string> = {}, ticks: string[] = []): Promise<number> {
    for (const [name, value] of Object.entries(fields)) await page.fill(`#f-${step}-${name}`, value);
    for (const name of ticks) await page.check(`#f-${step}-${name}`);
    const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/steps/${step}`)), page.click(`#step-${step} button[type=submit]`)]);
    await page.waitForLoadState();
    return answer.status();
  }

  expect(await page.locator('#step-assign h3').textContent()).toBe('Assign (dispatch) to an engineer');
  // Nobody with that id: the API's problem shows beside the field, nothing changed.
  expect(await take('assign', { engineerUserId: '999999' })).toBe(400);
  expect(await page.locator('#f-assign-engineerUserId-error').textContent()).toContain('not an active engineer');
  expect(await page.locator('#f-assign-engineerUserId').getAttribute('aria-invalid')).toBe('true');
  expect(await status()).toBe('Open');

  expect(await take('assign', { engineerUserId: String(engineerId) })).toBe(303);
  expect(page.url()).toBe(ticketUrl);
  expect(await status()).toBe('Assigned');
  expect(await take('acknowledge')).toBe(303);
  // Already done: the reason shows above the form.
  expect(await take('acknowledge')).toBe(409);
  expect(await page.locator('#step-acknowledge .error').textContent()).toContain('already acknowledged');
  expect(await take('arrive')).toBe(303);
  expect(await status()).toBe('On site');
  expect(await take('hold', { reason: 'parts', note: 'detector board ordered' })).toBe(303);
  expect(await page.locator('dl.facts dd').nth(1).textContent()).toContain('On hold');
  expect(await take('resume')).toBe(303);
  expect(await take('level', { level: '2', levelReason: 'ward without imaging' })).toBe(303);
  expect(await page.locator('dl.facts dd').nth(2).textContent()).toBe('2');
  // A money amount that is not one: beside its field.
  expect(await take('resolve', { diagnosis: 'cable fault', workDone: 'replaced the detector cable', labourMinutes: '30', labourRate: 'two hundred', travel: '0' }, ['qualityFault'])).toBe(400);
  expect(await page.locator('#f-resolve-labourRate-error').count()).toBe(1);
  expect(await take('resolve', { diagnosis: 'cable fault', workDone: 'replaced the detector cable', labourMinutes: '30', labourRate: '200.00', travel: '0', partNumber: 'C-12', partQuantity: '1', partUnitCost: '300.00' }, ['qualityFault'])).toBe(303);
  expect(await status()).toBe('Resolved');
  expect(await take('close')).toBe(303);
  expect(await status()).toBe('Closed');
  expect(await take('survey', { score: '7' })).toBe(400);
  expect(await page.locator('#f-survey-score-error').count()).toBe(1);
  expect(await take('survey', { score: '5', comment: 'quick and clean' })).toBe(303);

  // The close's return call (none here: no care plan) is recorded beside the steps, on its own time.
  const kinds = (await page.locator('table').last().locator('tbody tr td:nth-child(2)').allTextContents()).filter((k) => !k.startsWith('Return call'));
  expect(kinds).toEqual(['Assigned', 'Acknowledged', 'Arrived', 'Hold', 'Resumed', 'Level changed', 'Resolved', 'Closed', 'Surveyed']);
  const ticket = await system.db.knex('tickets').where({ id: ticketId }).first();
  expect(ticket.status).toBe('closed');

  // The engineer's "my tickets" lists it; the page speaks Chinese too.
  const engineerPage = await newPage('zh-CN');
  await signIn(engineerPage, tokens.engineer);
  await engineerPage.goto(`${server.url}/tickets?queue=all`);
  expect(await engineerPage.locator(`a[href="/tickets/${ticketId}"]`).count()).toBe(1);
  await engineerPage.selectOption('#locale-switch', 'zh-CN');
  await engineerPage.click('form.locale button[type=submit]');
  await engineerPage.goto(`${server.url}/tickets/${ticketId}`);
  expect(await engineerPage.locator('#step-resolve h3').textContent()).toBe('修复：维修记录');
  // An engineer does not dispatch: no assign form.
  expect(await engineerPage.locator('#step-assign').count()).toBe(0);
  // In Chinese too: a refusal (the ticket's process has ended) and a field's problem, each in the page's language.
  await engineerPage.fill('#f-reopen-reopenReason', 'fault came back');
  await Promise.all([engineerPage.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/steps/reopen')), engineerPage.click('#step-reopen button[type=submit]')]);
  await engineerPage.waitForLoadState();
  expect(await engineerPage.locator('#step-reopen .error').textContent()).toContain(`工单 ${ticketId} 状态为“已关闭”`);
  await engineerPage.fill('#f-survey-score', '7');
  await Promise.all([engineerPage.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/steps/survey')), engineerPage.click('#step-survey button[type=submit]')]);
  await engineerPage.waitForLoadState();
  expect(await engineerPage.locator('#f-survey-score-error').textContent()).toMatch(/[\u4e00-\u9fff]/);
  // The timeline as the workflow recorded it, said in Chinese.
  expect(await engineerPage.locator('table').last().textContent()).toContain('挂起：等待配件（detector board ordered）');
  problems.push(...(await smokePages(engineerPage, [['home-engineer-zh-CN', '/home'], ['tickets-mine-engineer-zh-CN', '/tickets?queue=mine'], ['tickets-all-engineer-zh-CN', '/tickets?queue=all'], ['ticket-closed-zh-CN', `/tickets/${ticketId}`]], zh)));
  expect(problems).toEqual([]);
  expect(complaints).toEqual([]);
});
