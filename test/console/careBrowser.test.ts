/**
 * Asset care from the console in real Chromium (playwright-core) against a real care-plan workflow
 * and database: the engineer finds the visit under "my visits", completes it with the checklist,
 * findings and the customer's signature (a mistake first, shown beside its field), moves the next
 * visit with a reason, and prints the inspection report; the service desk records a wrong number
 * and then the call with the script's answers, a low score opening a follow-up. Both work in
 * Chinese; then a smoke pass of every care page in English (test/support/consoleSmoke.ts): an
 * English-reading desk's calls and the open call's form, the service manager's lists, plans with
 * their step forms, visits and report, and the engineer's pages with the visit's step forms once
 * they switch to English. Screenshots of each page go to `care/` in CONSOLE_SCREENSHOTS (else a temp dir).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { settleBackgroundWork, startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { CareRepository } from '../../processes/care/repository';
import { CustomersRepository } from '../../installedBase/customers';
import { UsersRepository } from '../../people/repository';
import { resolvePolicy, type PolicyOverride } from '../../domain/policy';
import { carePlan } from '../../workflows';
import { carePlanWorkflowId, type CarePlanInput } from '../../processes/care/messages';
import { smokePages, type SmokeOptions } from '../support/consoleSmoke';
import { startTestSystem, type TestSystem } from '../support/services';
import { ALL_ROWS } from '../../domain/access';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOTS = path.join(process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-console-')), 'care');
/** The records' own words, typed in Chinese: an English page shows them as they are. */
const DATA = ['南昌市第一医院', '八一大道 1 号', '王芳', '李雷', '刘洋', '陈洁', '图像偶尔变慢', '重新插好探测器电缆', '散热风扇有噪音', '机房湿度偏高', '更换散热风扇', '客户机房本周装修', '空号', '每天约 40 例', '操作熟练，保养需再培训', '风扇噪音', '希望尽快更换风扇'];

/** Two visits an hour apart and a first call within the hour, none overdue during the test. */
const POLICY: PolicyOverride = {
  care: { inspectionTiers: [{ fromMonth: 1, every: 'PT1H' }], returnCallFirstWithin: 'PT1M', returnCallEvery: 'P1Y', taskHorizon: 'PT150M', visitWindow: 'P1D', callWindow: 'P1D' },
};

let system: TestSystem;
let server: ApiServer;
let app: ReturnType<typeof createApp>;
let browser: Browser;
let care: CareRepository;
let planId: number;
const tokens: Record<string, string> = {};
const complaints: string[] = [];

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

async function newPage(locale: string): Promise<Page> {
  const page = await (await browser.newContext({ locale, viewport: { width: 1280, height: 900 } })).newPage();
  page.on('response', (response) => {
    // The mistakes the test makes on purpose answer 400; anything else is a complaint.
    if (response.status() >= 400 && response.status() !== 400) complaints.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  page.on('pageerror', (error) => complaints.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) complaints.push(`console: ${message.text()}`);
  });
  return page;
}

const url = (p: string) => `${server.url}${p}`;
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

async function signIn(page: Page, who: string): Promise<void> {
  await page.goto(url('/'));
  await page.fill('#f-token', tokens[who]!);
  await page.click('form.signin button[type=submit]');
  await page.waitForURL(url('/home'));
}

/** Sends the step form of the page's section `step-<step>`; answers the POST's status. */
async function send(page: Page, step: string): Promise<number> {
  const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/steps/${step}`)), page.click(`#step-${step} button[type=submit]`)]);
  await page.waitForLoadState();
  return answer.status();
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH`);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  system = await startTestSystem('care-browser');
  const { knex } = system.db;
  care = new CareRepository(knex);
  const users = new UsersRepository(knex);
  const customers = new CustomersRepository(knex);
  const customer = await customers.create({
    name: '南昌市第一医院',
    address: '八一大道 1 号',
    contacts: [
      { name: '王芳', email: 'wang.fang@hospital.test', role: 'technical_lead', phone: '+86 791 555 0101' },
      { name: '李雷', email: 'li.lei@hospital.test', role: 'main_user', phone: '+86 791 555 0199' },
    ],
  });
  const make = async (key: string, name: string, role: 'engineer' | 'dispatcher' | 'service_manager', locale: 'zh-CN' | 'en') => {
    const user = await users.create({ name, email: `${key}@care-browser.test`, role, locale });
    tokens[key] = await users.issueToken(user.id, 'browser');
    return user;
  };
  const engineer = await make('engineer', '刘洋', 'engineer', 'zh-CN');
  await make('desk', '陈洁', 'dispatcher', 'zh-CN');
  await make('deskEn', 'Zhou Desk', 'dispatcher', 'en');
  await make('manager', 'Li Manager', 'service_manager', 'en');
  await customers.assignEngineer(customer.id, engineer.id);
  const policy = resolvePolicy({ contract: POLICY });
  const anchorAt = new Date().toISOString();
  const plan = await care.createPlan({ customerId: customer.id, siteId: null, projectId: null, customerClass: 'regular', anchorAt: new Date(anchorAt), warrantyEndsAt: null, policy, deviceIds: [] }, new Date());
  planId = plan.id;
  const input: CarePlanInput = { planId, customerId: customer.id, customerName: customer.name, deviceIds: [], customerClass: 'regular', anchorAt, timeZone: 'Asia/Shanghai', policy, customerContacts: [{ name: '王芳', email: 'wang.fang@hospital.test', locale: 'zh-CN' }] };
  const temporal = { client: system.temporal.client, taskQueue: system.temporal.taskQueue, namespace: 'default' };
  await system.temporal.client.workflow.start(carePlan, { taskQueue: temporal.taskQueue, workflowId: carePlanWorkflowId(planId), args: [input] });
  app = createApp({ knex, temporal, logger: { error: (m, e) => console.error(m, e) } });
  app.use(createConsole({ knex, temporal }));
  server = await startApiServer(app, 0, '127.0.0.1');
  await poll('two visits and a call', async () => {
    const [visits, calls] = await Promise.all([care.listVisits({ planId, now: new Date(), scope: ALL_ROWS }), care.listCalls({ planId, now: new Date(), scope: ALL_ROWS })]);
    return visits.length >= 2 && calls.length >= 1 ? true : undefined;
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await system?.temporal.client.workflow.getHandle(carePlanWorkflowId(planId)).terminate('test finished').catch(() => undefined);
  if (app) await settleBackgroundWork(app);
  await server?.close();
  await system?.stop();
});

it('an engineer completes a visit and the service desk records a call from the console (in Chinese), then every care page in English', async () => {
  const [first, second] = await care.listVisits({ planId, now: new Date(), scope: ALL_ROWS });

  // The engineer: "my visits", the visit, a mistake, then the visit done.
  const engineer = await newPage('zh-CN');
  await signIn(engineer, 'engineer');
  await engineer.click('header.site nav a[href="/visits"]');
  await engineer.waitForURL(url('/visits'));
  expect(await engineer.locator('h1').textContent()).toBe('我的巡检');
  await shot(engineer, 'visits-zh-CN');
  await engineer.click(`a[href="/visits/${first!.id}"]`);
  await engineer.waitForURL(url(`/visits/${first!.id}`));
  expect(await engineer.locator('#step-complete h2').textContent()).toBe('完成巡检');
  // Keyboard: the first checklist box takes focus and a space ticks it.
  await engineer.focus('#f-visit-complete-checklist-earthing');
  await engineer.keyboard.press('Space');
  expect(await engineer.isChecked('#f-visit-complete-checklist-earthing')).toBe(true);
  await engineer.check('#f-visit-complete-checklist-dustRemoval');
  await engineer.selectOption('#f-visit-complete-checklist-operatingState', 'attention');
  await engineer.fill('#f-visit-complete-checklist-customerFeedback', '图像偶尔变慢');
  await engineer.fill('#f-visit-complete-checklist-fixesDone', '重新插好探测器电缆');
  await engineer.fill('#f-visit-complete-findings', '散热风扇有噪音\n机房湿度偏高');
  await engineer.fill('#f-visit-complete-openItems', '更换散热风扇');
  // A signature of blanks passes the browser's check, not the server's: shown beside the field, nothing done.
  await engineer.fill('#f-visit-complete-signature-name', '  ');
  expect(await send(engineer, 'complete')).toBe(400);
  expect(await engineer.locator('#f-visit-complete-signature-name-error').textContent()).toBe('必填。');
  expect(await engineer.locator('#f-visit-complete-signature-name').getAttribute('aria-invalid')).toBe('true');
  expect(await engineer.inputValue('#f-visit-complete-findings')).toBe('散热风扇有噪音\n机房湿度偏高');
  expect((await care.getVisit(first!.id))!.status).toBe('due');
  await shot(engineer, 'visit-error-zh-CN');
  await engineer.fill('#f-visit-complete-signature-name', '王芳');
  expect(await send(engineer, 'complete')).toBe(303);
  expect(engineer.url()).toBe(url(`/visits/${first!.id}?done=complete`));
  expect(await engineer.locator('p.notice').textContent()).toBe('已记录步骤：完成巡检。');
  expect(await engineer.locator('dl.facts dd').first().textContent()).toBe('已完成');
  const done = (await care.getVisit(first!.id))!;
  expect(done.outcome).toMatchObject({ checklist: { earthing: true, dustRemoval: true, operatingState: 'attention', customerFeedback: '图像偶尔变慢', fixesDone: '重新插好探测器电缆' }, findings: ['散热风扇有噪音', '机房湿度偏高'], openItems: ['更换散热风扇'], signature: { name: '王芳' } });
  expect(done.reportDueAt).not.toBeNull();
  await shot(engineer, 'visit-done-zh-CN');

  // The inspection report prints without the console's frame.
  await engineer.click(`a[href="/visits/${first!.id}/report"]`);
  await engineer.waitForURL(url(`/visits/${first!.id}/report`));
  expect(await engineer.locator('h1').textContent()).toBe('巡检报告');
  expect(await engineer.locator('ol.findings li').allTextContents()).toEqual(['散热风扇有噪音', '机房湿度偏高']);
  await engineer.emulateMedia({ media: 'print' });
  expect(await engineer.locator('header.site').isVisible()).toBe(false);
  expect(await engineer.locator('p.no-print').isVisible()).toBe(false);
  await shot(engineer, 'inspection-report-print-zh-CN');
  await engineer.emulateMedia({ media: 'screen' });

  // The next visit moves, with a reason; it shows what the last one left open.
  await engineer.goto(url(`/visits/${second!.id}`));
  expect(await engineer.locator('ul.carried li').allTextContents()).toEqual(['更换散热风扇']);
  const movedTo = new Date(second!.dueAt.getTime() + 2 * 86_400_000);
  const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(movedTo).replace(' ', 'T');
  await engineer.fill('#f-visit-reschedule-dueAt', local);
  await engineer.fill('#f-visit-reschedule-reason', '客户机房本周装修');
  expect(await send(engineer, 'reschedule')).toBe(303);
  const moved = (await care.getVisit(second!.id))!;
  expect(Math.abs(moved.dueAt.getTime() - movedTo.getTime())).toBeLessThan(60_000);

  // The engineer's home holds the plan's open visit among their work, one click from the plan.
  await engineer.goto(url('/home'));
  expect(await engineer.locator(`main a[href="/care-plans/${planId}"]`).count()).toBeGreaterThan(0);
  await shot(engineer, 'home-engineer-zh-CN');

  // Smoke, in English, while the call is open: an English-reading desk's calls and the call's form.
  const en: SmokeOptions = { base: server.url, locale: 'en', screenshots: SCREENSHOTS, data: [...DATA, 'Zhou Desk', 'Li Manager'] };
  const [openCall] = await care.listCalls({ planId, now: new Date(), scope: ALL_ROWS });
  const deskEn = await newPage('en-US');
  await signIn(deskEn, 'deskEn');
  const problems = await smokePages(deskEn, [['home-desk-en', '/home'], ['calls-en', '/calls'], ['call-en', `/calls/${openCall!.id}`]], en);
  expect(await deskEn.locator('#step-complete').count()).toBe(1);

  // The service desk: the calls of the day, a wrong number, then the call with the script's answers.
  const desk = await newPage('zh-CN');
  await signIn(desk, 'desk');
  await desk.click('header.site nav a[href="/calls"]');
  await desk.waitForURL(url('/calls'));
  expect(await desk.locator('h1').textContent()).toBe('今日回访');
  const [call] = await care.listCalls({ planId, now: new Date(), scope: ALL_ROWS });
  expect(await desk.locator(`#calls-today a[href="/calls/${call!.id}"], #calls-overdue a[href="/calls/${call!.id}"]`).count()).toBe(1);
  await shot(desk, 'calls-zh-CN');
  await desk.click(`a[href="/calls/${call!.id}"]`);
  await desk.waitForURL(url(`/calls/${call!.id}`));
  const [wangFang, liLei] = call!.contactIds;
  await desk.selectOption('#f-call-wrong-number-contactId', String(liLei));
  await desk.fill('#f-call-wrong-number-note', '空号');
  expect(await send(desk, 'wrong-number')).toBe(303);
  await desk.goto(url(`/calls/${call!.id}`));
  // The wrong number is flagged, and no longer offered.
  expect(await desk.locator('td .clock-warning').count()).toBe(1);
  expect(await desk.locator(`#f-call-complete-contactId option[value="${liLei}"]`).count()).toBe(0);
  await desk.selectOption('#f-call-complete-contactId', String(wangFang));
  await desk.fill('#f-call-complete-answers-usage', '每天约 40 例');
  await desk.fill('#f-call-complete-answers-mastery', '操作熟练，保养需再培训');
  await desk.fill('#f-call-complete-answers-problems', '风扇噪音');
  await desk.selectOption('#f-call-complete-satisfaction', '2');
  await desk.fill('#f-call-complete-answers-suggestions', '希望尽快更换风扇');
  await shot(desk, 'call-zh-CN');
  expect(await send(desk, 'complete')).toBe(303);
  expect(desk.url()).toBe(url(`/calls?done=complete&call=${call!.id}`));
  expect(await desk.locator('p.notice').textContent()).toBe(`回访 #${call!.id} 已记录。`);
  const recorded = (await care.getCall(call!.id))!;
  expect(recorded.status).toBe('done');
  expect(recorded.outcome).toMatchObject({ satisfaction: 2, contactId: wangFang, answers: { usage: '每天约 40 例', mastery: '操作熟练，保养需再培训', problems: '风扇噪音', suggestions: '希望尽快更换风扇' } });
  expect((await system.db.knex('customer_contacts').where({ id: liLei }).first()).wrong_number_at).not.toBeNull();
  // A score of 2 is at or below the policy's line: a follow-up for the service manager.
  expect((await care.followUps(planId)).map((f) => f.reason)).toEqual(['low_score']);

  // Smoke: every care page in English, as the service manager.
  const manager = await newPage('en-US');
  await signIn(manager, 'manager');
  const pages: Array<[string, string, string]> = [
    ['/visits', 'visits-manager-en', 'Visits'],
    [`/visits/${second!.id}`, 'visit-manager-en', 'Inspection visit · 南昌市第一医院'],
    [`/visits/${first!.id}`, 'visit-done-en', 'Inspection visit · 南昌市第一医院'],
    [`/visits/${first!.id}/report`, 'inspection-report-en', 'Inspection report'],
    ['/calls', 'calls-manager-en', 'Calls today'],
    [`/calls/${call!.id}`, 'call-done-en', 'Return call · 南昌市第一医院'],
    ['/home', 'home-manager-en', 'My work'],
    ['/care-plans', 'care-plans-en', 'Care plans'],
    [`/care-plans/${planId}`, 'care-plan-en', `Care plan #${planId} · 南昌市第一医院`],
  ];
  for (const [pathname, name, heading] of pages) {
    problems.push(...(await smokePages(manager, [[name, pathname]], en)));
    expect([pathname, await manager.locator('h1').textContent()]).toEqual([pathname, heading]);
  }
  // The plan's page: the done visit with its report, the moved one next, the follow-up.
  expect(await manager.locator(`table.tasks-past a[href="/visits/${first!.id}/report"]`).count()).toBe(1);
  expect(await manager.locator(`table.tasks-next a[href="/visits/${second!.id}"]`).count()).toBe(1);
  expect(await manager.locator('body').textContent()).toContain('Low satisfaction');

  // The engineer switches to English: their home, visits, the open visit's step forms, the report.
  await engineer.goto(url('/visits'));
  await engineer.selectOption('#locale-switch', 'en');
  await engineer.click('form.locale button[type=submit]');
  await engineer.waitForURL(url('/visits'));
  problems.push(...(await smokePages(engineer, [['home-engineer-en', '/home'], ['visits-engineer-en', '/visits'], ['visit-engineer-en', `/visits/${second!.id}`], ['visit-done-engineer-en', `/visits/${first!.id}`], ['inspection-report-engineer-en', `/visits/${first!.id}/report`], ['care-plan-engineer-en', `/care-plans/${planId}`]], en)));
  await engineer.goto(url(`/visits/${second!.id}`));
  expect(await engineer.locator('#step-complete').count()).toBe(1);
  expect(problems).toEqual([]);
  expect(complaints).toEqual([]);
});
