/**
 * Dealer warranty in a real browser (Chromium via playwright-core) against the real API commands,
 * workflows and database: finance runs a period's settlement from the console, reviews the statement
 * (the write-off notice goes out), the dealer confirms it in its own language and the ledger shows
 * one posting; the dealer's own pages work in Chinese, a bad claim shows its problem beside the
 * field; dealer B reaches none of dealer A's pages (404). Finance works in English, so every page
 * of the dealer area is then smoked in Chinese (test/support/consoleSmoke.ts) as each of its roles
 * sees it: finance, the sales clerk, the technical appraiser and the dealer, with their forms.
 * Screenshots go to CONSOLE_SCREENSHOTS (`dealer/` for the smoke pass).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { apiModules } from '../../api/index';
import { createConsole } from '../../console';
import { DealersRepository } from '../../installedBase/dealers';
import { DealerWarrantyRepository } from '../../processes/dealer/repository';
import { UsersRepository } from '../../people/repository';
import { DEFAULT_POLICY } from '../../domain/policy';
import { smokePages, type SmokeOptions } from '../support/consoleSmoke';
import { startTestSystem, type TestSystem } from '../support/services';
import { passSecondFactor } from '../support/secondFactor';
import { ALL_ROWS } from '../../domain/access';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Screenshots of the pages, to look at when a page changes: CONSOLE_SCREENSHOTS=dir, else a temp dir. */
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-console-'));

let system: TestSystem;
let server: ApiServer;
let app: ReturnType<typeof createApp>;
let browser: Browser;
const tokens = {} as Record<'finance' | 'dealerA' | 'dealerB' | 'financeZh' | 'clerk' | 'appraiser', string>;
let dealerA: number;
let saleA: number;
let claimA: number;
/** For the smoke pass: a claim still in review, a sale waiting for its card, an open dealer task. */
let claimInReview: number;
let salePending: number;
let taskA: number;
const complaints: string[] = [];
const period = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }).slice(0, 7);
const today = () => new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });

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
  await passSecondFactor(page, token);
  await page.waitForURL(`${server.url}/home`);
}

/** Sends the form `id` on the page; answers the status of the post. */
async function send(page: Page, id: string, fields: Record<string, string> = {}): Promise<number> {
  for (const [name, value] of Object.entries(fields)) await page.fill(`#f-${id}-${name}`, value);
  const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.startsWith(`/dealer/forms/${id}`)), page.click(`#form-${id} button[type=submit]`)]);
  await page.waitForLoadState();
  return answer.status();
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  system = await startTestSystem('dealer-browser');
  const { knex } = system.db;
  const dealers = new DealersRepository(knex);
  dealerA = (await dealers.create({ name: 'Ganzhou Medical Trading', contactEmail: 'finance@ganzhou.test', locale: 'zh-CN' })).id;
  const dealerB = (await dealers.create({ name: 'Jiujiang Equipment', contactEmail: 'finance@jiujiang.test' })).id;
  const users = new UsersRepository(knex);
  const finance = await users.create({ name: 'Zhou Min', email: 'finance@maker.test', role: 'finance', locale: 'en' });
  const userA = await users.create({ name: 'Ganzhou Service', email: 'service@ganzhou.test', role: 'dealer', dealerId: dealerA, locale: 'zh-CN' });
  const userB = await users.create({ name: 'Jiujiang Service', email: 'service@jiujiang.test', role: 'dealer', dealerId: dealerB, locale: 'en' });
  tokens.finance = await users.issueToken(finance.id, 'browser');
  tokens.dealerA = await users.issueToken(userA.id, 'browser');
  tokens.dealerB = await users.issueToken(userB.id, 'browser');
  for (const [key, role, name] of [['financeZh', 'finance', 'Qian Cai'], ['clerk', 'sales_clerk', 'Sun Xiao'], ['appraiser', 'technical_appraiser', 'Wu Jian']] as const) {
    const person = await users.create({ name, email: `${key}@maker.test`, role, locale: 'zh-CN' });
    tokens[key] = await users.issueToken(person.id, 'browser');
  }

  // Dealer A's approved claim: a travel line and a cleaning line, decided this month.
  const warranty = new DealerWarrantyRepository(knex);
  const terms = { ...DEFAULT_POLICY.dealer, auditSampleRate: 0 };
  await warranty.putModelReference('M1', [{ partNo: 'P-100' }], [{ operation: 'replace-pump', standardHundredths: 150 }]);
  const sale = await warranty.createSale({ dealerId: dealerA, deviceSerial: `SN-BR-${process.pid}`, model: 'M1', saleDate: today(), customerName: 'Zhang San' }, terms, new Date());
  await warranty.completeCard(sale.id, today(), {}, DEFAULT_POLICY, ALL_ROWS);
  const claim = await warranty.submitClaim({ dealerId: dealerA, deviceSerial: sale.deviceSerial, faultCode: 'E1', repairDate: today(), workDone: 'pump replaced', lines: [{ kind: 'travel', amount: { amount: 20000, currency: 'CNY' } }, { kind: 'other', amount: { amount: 550, currency: 'CNY' }, description: 'cleaning' }] }, terms, 1, new Date(), today());
  await warranty.decide(claim.id, [{ lineNo: 1, decision: { kind: 'approve' } }, { lineNo: 2, decision: { kind: 'approve' } }], terms, 1, new Date());
  saleA = sale.id;
  claimA = claim.id;
  // A sale still waiting for its card, for the dealer's pages.
  salePending = (await warranty.createSale({ dealerId: dealerA, deviceSerial: `SN-BR-${process.pid}-2`, model: 'M1', saleDate: today(), customerName: 'Li Si' }, terms, new Date())).id;
  // A claim in review (its part awaited) and a service task, for the clerk's, appraiser's and dealer's forms.
  claimInReview = (await warranty.submitClaim({ dealerId: dealerA, deviceSerial: sale.deviceSerial, faultCode: 'E2', repairDate: today(), workDone: 'pump checked', lines: [{ kind: 'part', partNo: 'P-100', quantity: 1, unitPrice: { amount: 10000, currency: 'CNY' } }] }, terms, 1, new Date(), today())).id;
  taskA = (await warranty.createTask({ dealerId: dealerA, deviceSerial: sale.deviceSerial, customerName: 'Zhang San', request: 'annual check' }, terms, 1, new Date())).id;

  const temporal = { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' };
  app = createApp({ knex, temporal, routers: apiModules, logger: { error: (m, e) => console.error(m, e) } });
  app.use(createConsole({ knex, temporal }));
  server = await startApiServer(app, 0, '127.0.0.1');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  if (system) {
    const running = system.temporal.client.workflow.list({ query: `TaskQueue = '${system.temporal.taskQueue}' AND ExecutionStatus = 'Running'` });
    for await (const workflow of running) await system.temporal.client.workflow.getHandle(workflow.workflowId).terminate('test finished').catch(() => undefined);
  }
  if (app) await settleBackgroundWork(app);
  await server?.close();
  await system?.stop();
});

it('finance runs a settlement from the console: review, the notice, the dealer confirms, the ledger shows one posting', async () => {
  const page = await newPage();
  await signIn(page, tokens.finance);
  await page.goto(`${server.url}/dealer`);
  expect(new URL(page.url()).pathname).toBe('/dealer/statements');
  // Not a month: the problem beside the field, nothing run.
  expect(await send(page, 'run', { period: '2026-13' })).toBe(400);
  expect(await page.locator('#f-run-period-error').textContent()).toContain('YYYY-MM');
  expect(await system.db.knex('settlements').count({ n: '*' }).first()).toMatchObject({ n: 0 });
  expect(await send(page, 'run', { period })).toBe(303);
  const statement = (await system.db.knex('settlements').where({ dealer_id: dealerA }).first()) as { id: number };
  await page.goto(`${server.url}/dealer/statements?period=${period}`);
  expect(await page.locator('#status-review tbody tr').count()).toBe(1);
  expect(await page.locator('#totals tbody tr').first().locator('td').nth(2).textContent()).toBe('CN¥205.50');
  await page.click(`#status-review a[href="/dealer/statements/${statement.id}"]`);
  await page.waitForURL(`${server.url}/dealer/statements/${statement.id}`);
  expect(await page.locator('.fact-status').textContent()).toBe('in review by finance');
  expect(await page.locator('#lines tbody tr').count()).toBe(2);
  // Finance reviews; the dealer has nothing to confirm on this page.
  expect(await page.locator('#form-confirm').count()).toBe(0);
  expect(await send(page, 'review', { holdLineIds: '' })).toBe(303);
  expect(await page.locator('.fact-status').textContent()).toBe('sent, awaiting the dealer');
  const [mail] = await system.smtp.waitFor(1, 20_000);
  expect(mail!.envelope.to).toEqual(['finance@ganzhou.test']);
  expect(mail!.subject).toContain('三包费用核销通知');
  const notice = await page.context().newPage();
  await notice.goto(`${server.url}/dealer/statements/${statement.id}/notice?lang=en`);
  expect(await notice.locator('h1').first().textContent()).toBe('Warranty cost write-off notice');
  expect(await notice.content()).toContain('205.50');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'dealer-statement-sent-en.png'), fullPage: true });

  // The dealer confirms the version it read, in its own language.
  const dealerPage = await newPage('zh-CN');
  await signIn(dealerPage, tokens.dealerA);
  await dealerPage.goto(`${server.url}/dealer/statements/${statement.id}`);
  expect(await dealerPage.locator('#form-review').count()).toBe(0);
  expect(await dealerPage.locator('#form-confirm h3').textContent()).toBe('确认结算单');
  expect(await send(dealerPage, 'confirm')).toBe(303);
  expect(await dealerPage.locator('.fact-status').textContent()).toBe('已确认并入账');
  expect(await dealerPage.locator('#ledger tbody tr').count()).toBe(1);

  await page.reload();
  expect(await page.locator('.fact-status').textContent()).toBe('confirmed and posted');
  expect(await page.locator('#ledger tbody tr').count()).toBe(1);
  expect(await page.locator('#ledger tbody tr td').nth(3).textContent()).toBe('-CN¥205.50');
  const entries = await system.db.knex('ledger_entries').where({ dealer_id: dealerA });
  expect(entries.map((e: { amount_minor: unknown }) => Number(e.amount_minor))).toEqual([-20550]);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'dealer-statement-confirmed-en.png'), fullPage: true });
  expect(complaints).toEqual([]);
});

it('a dealer’s own pages in Chinese: sales and cards due, claims with the claim form, statements', async () => {
  const page = await newPage('zh-CN');
  await signIn(page, tokens.dealerA);
  await page.goto(`${server.url}/dealer`);
  expect(await page.locator('h1').textContent()).toBe('经销商三包：Ganzhou Medical Trading');
  expect(await page.locator('#sales h2').textContent()).toBe('销售与待交三包卡');
  expect(await page.locator('#sales tbody tr').count()).toBe(2);
  expect(await page.locator(`#claims a[href="/dealer/claims/${claimA}"]`).count()).toBe(1);
  expect(await page.locator('#statements tbody tr').count()).toBe(1);
  // A repair date in the future: the problem beside the field, in the page's language (Chinese), nothing recorded.
  expect(await send(page, 'claim', { deviceSerial: `SN-BR-${process.pid}-2`, faultCode: 'E9', repairDate: '2099-01-01', workDone: 'checked', travel: '50.00' })).toBe(400);
  expect(await page.locator('#f-claim-repairDate-error').textContent()).toBe('不能是将来的日期。');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'dealer-own-zh-CN.png'), fullPage: true });
  await page.goto(`${server.url}/dealer/claims/${claimA}`);
  expect(await page.locator('#lines tbody tr').count()).toBe(2);
  // The clerk's and appraiser's forms are not the dealer's.
  expect(await page.locator('#form-decision, #form-appraisal').count()).toBe(0);
  expect(complaints).toEqual([]);
});

it('dealer B reaches none of dealer A’s pages: each answers 404', async () => {
  const page = await newPage();
  await signIn(page, tokens.dealerB);
  const statement = (await system.db.knex('settlements').where({ dealer_id: dealerA }).first()) as { id: number };
  for (const path of [`/dealer/statements/${statement.id}`, `/dealer/statements/${statement.id}/notice`, `/dealer/claims/${claimA}`, `/dealer/sales/${saleA}`]) {
    const answer = await page.goto(`${server.url}${path}`);
    expect({ path, status: answer!.status() }).toEqual({ path, status: 404 });
  }
  await page.goto(`${server.url}/dealer`);
  expect(await page.locator('#statements tbody tr').count()).toBe(0);
  expect(await page.locator('#sales tbody tr').count()).toBe(0);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'dealer-other-en.png'), fullPage: true });
  expect(complaints).toEqual([]);
});

it('every page of the dealer area in Chinese, as finance, the sales clerk, the appraiser and the dealer see it', async () => {
  const statement = (await system.db.knex('settlements').where({ dealer_id: dealerA }).first()) as { id: number };
  const data = ['Ganzhou Medical Trading', 'Jiujiang Equipment', 'Ganzhou Service', 'Zhang San', 'Li Si', 'Zhou Min', 'Qian Cai', 'Sun Xiao', 'Wu Jian', 'pump replaced', 'pump checked', 'cleaning', 'annual check', 'replace-pump'];
  const zh: SmokeOptions = { base: server.url, locale: 'zh-CN', screenshots: path.join(SCREENSHOTS, 'dealer'), data };
  const claims = [[`claim-zh-CN`, `/dealer/claims/${claimA}`], [`claim-review-zh-CN`, `/dealer/claims/${claimInReview}`]] as const;
  const visits: Array<[keyof typeof tokens, ReadonlyArray<readonly [string, string]>]> = [
    ['financeZh', [['home-finance-zh-CN', '/home'], ['statements-zh-CN', '/dealer/statements'], ['statements-period-zh-CN', `/dealer/statements?period=${period}`], ['statement-finance-zh-CN', `/dealer/statements/${statement.id}`]]],
    ['clerk', [['home-clerk-zh-CN', '/home'], ['tasks-zh-CN', '/dealer/tasks'], ['task-clerk-zh-CN', `/dealer/tasks/${taskA}`], ['parts-clerk-zh-CN', '/dealer/parts'], ...claims.map(([n, t]) => [`${n}-clerk`, t] as const)]],
    ['appraiser', [['home-appraiser-zh-CN', '/home'], ['parts-zh-CN', '/dealer/parts'], ...claims.map(([n, t]) => [`${n}-appraiser`, t] as const)]],
    ['dealerA', [['home-dealer-zh-CN', '/home'], ['dealer-zh-CN', '/dealer'], ['sale-zh-CN', `/dealer/sales/${salePending}`], ['sale-carded-zh-CN', `/dealer/sales/${saleA}`], ['task-dealer-zh-CN', `/dealer/tasks/${taskA}`], ['statement-dealer-zh-CN', `/dealer/statements/${statement.id}`], ...claims.map(([n, t]) => [`${n}-dealer`, t] as const)]],
  ];
  const problems: string[] = [];
  const forms: Record<string, number> = {};
  for (const [who, pages] of visits) {
    const page = await newPage('zh-CN');
    await signIn(page, tokens[who]);
    problems.push(...(await smokePages(page, pages, zh)));
    for (const [, target] of pages) {
      await page.goto(`${server.url}${target}`);
      forms[`${who} ${target}`] = await page.locator('section[id^="form-"]').count();
    }
    if (who === 'financeZh') {
      // The notice is the e-mail's own HTML, inline styles and all: opened beside the console's
      // pages (as the walk above does), outside their script and policy watch.
      const notice = await page.context().newPage();
      problems.push(...(await smokePages(notice, [['notice-zh-CN', `/dealer/statements/${statement.id}/notice`]], zh)));
    }
    await page.context().close();
  }
  expect(problems).toEqual([]);
  // The forms each role acts with were on the pages smoked.
  expect(forms[`clerk /dealer/claims/${claimInReview}`]).toBeGreaterThan(0);
  expect(forms[`appraiser /dealer/claims/${claimInReview}`]).toBeGreaterThan(0);
  expect(forms[`dealerA /dealer/sales/${salePending}`]).toBe(1);
  expect(forms[`dealerA /dealer/tasks/${taskA}`]).toBe(1);
  expect(forms[`clerk /dealer/tasks/${taskA}`]).toBe(1);
  expect(forms['financeZh /dealer/statements']).toBeGreaterThan(0);
  expect(complaints).toEqual([]);
});
