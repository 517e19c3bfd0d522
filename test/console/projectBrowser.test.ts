/**
 * A project from start to handover through the console's forms in real Chromium (the PM works in
 * Chinese), then a smoke pass of every page in English (test/support/consoleSmoke.ts: no Chinese
 * left but the records' own words, exports answering): home, projects, the project, both
 * certificates, each step form (the steps whose record is the project), tickets; screenshots of
 * each page go to a folder under the test's temp dir (CONSOLE_SCREENSHOTS to choose it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createConsole } from '../../console';
import { STEP_FORMS, STEP_NAMES } from '../../processes/delivery/console/stepForms';
import { smokePages } from '../support/consoleSmoke';
import { startProjectHarness, type ProjectHarness } from '../support/projectHarness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOTS = path.join(process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-console-')), 'project-to-handover');

let h: ProjectHarness;
let browser: Browser;
let page: Page;
const complaints: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  h = await startProjectHarness('console-project-browser');
  h.app.use(createConsole({ knex: h.system.db.knex, temporal: { client: h.system.temporal.client, taskQueue: h.system.temporal.taskQueue, namespace: 'default' } }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await (await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } })).newPage();
  page.on('response', (response) => {
    if (response.status() >= 400) complaints.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  page.on('pageerror', (error) => complaints.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) complaints.push(`console: ${message.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

it('takes a project from kickoff to handover through the forms, then every page in the other language', async () => {
  const created = await h.createProject({ name: 'DR room, Jiujiang Hospital' });
  expect(created.status).toBe(201);
  const id: number = created.body.id;
  await h.waitFor(id, 'its first timeline event', (p) => p.timeline.length > 0);
  const url = (p: string) => `${h.server.url}${p}`;

  /** Opens the step's form from the project page, fills it, sends it, and lands on the project again. */
  async function step(name: string, fill: () => Promise<void>) {
    await page.goto(url(`/projects/${id}`));
    await page.click(`nav.steps a[href="/projects/${id}/steps/${name}"]`);
    await page.waitForURL(url(`/projects/${id}/steps/${name}`));
    await fill();
    await shot(`step-${name}`);
    await page.click('form.step button[type=submit]');
    await page.waitForURL(url(`/projects/${id}?done=${name}`));
    expect(await page.locator('p.notice').textContent()).toMatch(/^已记录步骤：/);
  }
  const sign = async () => {
    await page.fill('#f-signatures-0-name', 'Wang Fang');
    await page.fill('#f-signatures-1-name', 'Zhang Wei');
  };

  await page.goto(url('/'));
  await page.fill('#f-token', h.pmToken);
  await page.click('form.signin button[type=submit]');
  await page.waitForURL(url('/home'));
  expect(await page.locator('h1').textContent()).toBe('我的工作');
  await shot('home-zh-CN');

  // A mistake first: the API's message shows beside the field, and the typed values stay.
  await page.goto(url(`/projects/${id}/steps/kickoff`));
  await page.fill('#f-meetingDate', '2026-11-23');
  await page.fill('#f-plan', '三号机房安装');
  await page.click('form.step button[type=submit]');
  await page.waitForURL(url(`/projects/${id}/steps/kickoff`));
  expect(await page.locator('#f-acceptanceItems-error').textContent()).not.toBe('');
  expect(await page.locator('#f-plan').inputValue()).toBe('三号机房安装');
  await shot('step-kickoff-error');

  await step('kickoff', async () => {
    await page.fill('#f-meetingDate', '2026-11-23');
    await page.fill('#f-plan', '三号机房安装');
    await page.fill('#f-acceptanceItems-0', '图像质量');
    await page.fill('#f-acceptanceItems-1', '网络');
    await page.fill('#f-completionCriteria', '全部测试签字');
  });
  await step('unboxing', sign);
  await step('installation-complete', async () => {
    await page.fill('#f-testRecords-0-name', '曝光测试');
    await page.check('#f-testRecords-0-passed');
    await page.fill('#f-testRecords-0-signatures-customer', 'Wang Fang');
    await page.fill('#f-testRecords-0-signatures-company', 'Zhang Wei');
  });
  await step('initial-acceptance', async () => {
    await page.fill('#f-items-0-name', '图像质量');
    await page.check('#f-items-0-passed');
    await page.fill('#f-items-0-signedBy', 'Wang Fang');
    await sign();
  });
  await h.waitFor(id, 'the trial running', (p) => p.trial?.status === 'running', 20_000);
  await step('trial-report', async () => page.fill('#f-summary', '试运行无故障'));
  await h.waitForStage(id, 'final_acceptance', 60_000);
  await step('final-acceptance', async () => {
    await page.check('#f-passed');
    await page.fill('#f-scores-hardware', '28');
    await page.fill('#f-scores-software', '45');
    await page.fill('#f-scores-documents', '9');
    await page.fill('#f-scores-satisfaction', '10');
    await sign();
  });
  await step('handover', async () => {
    await page.fill('#f-documents-0-name', '工程竣工资料移交清单');
    await page.check('#f-documents-0-delivered');
    await sign();
  });
  expect((await h.project(id)).stage).toBe('completed');
  expect(await page.locator('dl.facts dd').first().textContent()).toBe('已完成');
  await shot('project-completed-zh-CN');

  // Every page in English.
  await page.selectOption('#locale-switch', 'en');
  await page.click('form.locale button[type=submit]');
  await page.waitForURL(url(`/projects/${id}?done=handover`));
  const data = ['DR room, Jiujiang Hospital', 'Wang Fang', 'Zhang Wei', '三号机房安装', '图像质量', '网络', '全部测试签字', '曝光测试', '试运行无故障', '工程竣工资料移交清单'];
  const pages: Array<readonly [string, string]> = [
    ['home-en', '/home'],
    ['projects-en', '/projects'],
    ['project-en', `/projects/${id}`],
    ['certificate-initial-en', `/projects/${id}/certificates/initial`],
    ['certificate-final-en', `/projects/${id}/certificates/final`],
    // The step forms of the project itself (a trial issue's or DOA case's need that record).
    ...STEP_NAMES.filter((name) => !('target' in STEP_FORMS[name])).map((name) => [`step-${name}-en`, `/projects/${id}/steps/${name}`] as const),
    ['tickets-en', '/tickets'],
  ];
  const customer = (await h.system.db.knex('customers').select('name')) as Array<{ name: string }>;
  expect(await smokePages(page, pages, { base: h.server.url, locale: 'en', screenshots: SCREENSHOTS, data: [...data, ...customer.map((c) => c.name)] })).toEqual([]);
  await page.goto(url(`/projects/${id}/certificates/final`));
  expect(await page.locator('h1').textContent()).toBe('Final acceptance certificate');
  await page.emulateMedia({ media: 'print' });
  expect(await page.locator('header.site').isVisible()).toBe(false);
  await shot('certificate-final-print');

  // Only the deliberate mistake was refused.
  expect(complaints.filter((c) => c !== '404 GET /favicon.ico')).toEqual([`400 POST /projects/${id}/steps/kickoff`]);
  expect(fs.readdirSync(SCREENSHOTS).length).toBeGreaterThanOrEqual(15);
});
