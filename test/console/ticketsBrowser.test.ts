/**
 * The ticket pages in a real browser (Chromium via playwright-core) against the real API, a real
 * ticket workflow on the test Temporal server and a real database: the dispatcher signs in, finds
 * the ticket on the board, opens it and sees its clocks; nothing on the pages breaks the CSP.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { ticketsModule } from '../../api/index';
import { createConsole } from '../../console';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import { startTestSystem, type TestSystem } from '../support/services';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let system: TestSystem;
let server: ApiServer;
let app: ReturnType<typeof createApp>;
let browser: Browser;
let page: Page;
let token: string;
let ticketId: number;
const complaints: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  system = await startTestSystem('tickets-browser');
  const { knex } = system.db;
  const users = new UsersRepository(knex);
  const dispatcher = await users.create({ name: 'Chen Jie', email: 'dispatcher@browser.test', role: 'dispatcher', locale: 'en' });
  token = await users.issueToken(dispatcher.id, 'browser');
  const customer = await new CustomersRepository(knex).create({ name: 'Nanchang First Hospital' });
  app = createApp({ knex, temporal: { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' }, routers: [ticketsModule], logger: { error: (m, e) => console.error(m, e) } });
  app.use(createConsole({ knex }));
  server = await startApiServer(app, 0, '127.0.0.1');
  const opened = await fetch(`${server.url}/api/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ customerId: customer.id, model: 'DR-7000', symptom: 'no image on the detector', level: 2, channel: 'phone', contact: { name: 'Wang Fang', email: 'wang.fang@hospital.test' } }),
  });
  expect(opened.status).toBe(201);
  ticketId = ((await opened.json()) as { id: number }).id;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  page.on('console', (message) => {
    if ((message.type() === 'error' || message.type() === 'warning') && !message.text().startsWith('Failed to load resource')) complaints.push(message.text());
  });
  page.on('pageerror', (error) => complaints.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
  for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
  await settleBackgroundWork(app);
  await server?.close();
  await system?.stop();
});

it('the dispatcher finds an unassigned ticket on the board and opens its page with the clocks', async () => {
  await page.goto(`${server.url}/`);
  await page.fill('#f-token', token);
  await page.click('form.signin button[type=submit]');
  await page.waitForURL(`${server.url}/home`);
  await page.click('header nav a[href="/tickets"]');
  await page.waitForURL(`${server.url}/tickets`);
  await page.click('nav.filters a[href="/tickets?queue=unassigned"]');
  await page.waitForURL(`${server.url}/tickets?queue=unassigned`);
  expect(await page.locator('h1').textContent()).toBe('Tickets: Unassigned');
  await page.click(`a[href="/tickets/${ticketId}"]`);
  await page.waitForURL(`${server.url}/tickets/${ticketId}`);
  const rows = await page.locator('table').first().locator('tbody tr th').allTextContents();
  expect(rows).toEqual(['Response', 'On site', 'Repair']);
  expect(await page.locator('table').first().locator('tbody tr td').first().textContent()).toBe('on time');
  expect(complaints).toEqual([]);
});
