/**
 * The KPI page in real Chromium (playwright-core, Debian's chromium) as a service manager who reads
 * Chinese: the charts draw (chart.js loads under the content policy), the filter form works, and a
 * smoke pass of every page the service manager opens, in Chinese, fails on any 4xx/5xx, script or
 * policy error, and on any English message text or message key left on the page (an untranslated
 * word). Then every role's home in English and in Chinese (switched through the language form),
 * and the KPIs with their exports in English (test/support/consoleSmoke.ts). Screenshots go to
 * $CONSOLE_SCREENSHOTS/kpis (a temp folder by default). No Temporal: the pages read the database only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { ROLES, type Role } from '../../people/roles';
import { UsersRepository } from '../../people/repository';
import { smokePages } from '../support/consoleSmoke';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { KPI_NOW, seedKpiFixture, type KpiFixture } from '../support/kpiFixture';
import { passSecondFactor } from '../support/secondFactor';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOTS = path.join(process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-console-')), 'kpis');

let db: TestDatabase;
let server: ApiServer;
let browser: Browser;
let page: Page;
let fixture: KpiFixture;
let token: string;
/** A person of each role (a dealer's of the fixture's North dealer), for each role's home. */
const roleTokens = {} as Record<Role, string>;
const complaints: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  db = await createTestDatabase();
  fixture = await seedKpiFixture(db.knex);
  const users = new UsersRepository(db.knex);
  const manager = await users.create({ name: '赵经理', email: 'manager@kpi-browser.test', role: 'service_manager', locale: 'zh-CN' });
  token = await users.issueToken(manager.id, 'browser');
  for (const role of ROLES) {
    const person = await users.create({ name: `Smoke ${role}`, email: `${role}@kpi-browser.test`, role, locale: 'en', ...(role === 'dealer' ? { dealerId: fixture.north } : {}) });
    roleTokens[role] = await users.issueToken(person.id, 'browser');
  }
  const app = createApp({ knex: db.knex });
  app.use(createConsole({ knex: db.knex, now: () => KPI_NOW }));
  server = await startApiServer(app, 0, '127.0.0.1');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await (await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } })).newPage();
  page.on('response', (response) => {
    if (response.status() >= 400) complaints.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  page.on('pageerror', (error) => complaints.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // A content-policy refusal is logged as an error: the charts' script must not meet one.
    if ((message.type() === 'error' || message.type() === 'warning') && !message.text().startsWith('Failed to load resource')) complaints.push(`console: ${message.text()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await db?.destroy();
});

const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
const url = (p: string) => `${server.url}${p}`;

it('draws the KPI charts, filters, and every page the service manager opens is wholly in Chinese', async () => {
  await page.goto(url('/'));
  await page.fill('#f-token', token);
  await page.click('form.signin button[type=submit]');
  await page.waitForURL(url('/home'));

  // From the navigation, then a filter through the form.
  await page.click('header.site nav a[href="/kpis"]');
  await page.waitForURL(url('/kpis'));
  await page.fill('#kpi-from', '2026-03-01');
  await page.fill('#kpi-to', '2026-03-31');
  await page.click('form.kpi-filters button[type=submit]');
  await page.waitForURL(/\/kpis\?from=2026-03-01&to=2026-03-31/);
  expect(await page.locator('tr[data-kpi="firstTimeFix"] td.figure').textContent()).toBe('25%');
  // chart.js drew both charts: it sizes each canvas to its box.
  await page.waitForFunction("[...document.querySelectorAll('canvas[data-chart]')].every((c) => c.width > 0 && window.Chart && window.Chart.getChart(c))");
  expect(await page.locator('canvas[data-chart]').count()).toBe(2);
  await shot('kpis-zh-CN');

  await page.selectOption('#kpi-dealer', String(fixture.north));
  await page.click('form.kpi-filters button[type=submit]');
  await page.waitForURL(new RegExp(`dealer=${fixture.north}`));
  expect(await page.locator('tr[data-kpi="overdueVisits"] td.figure').textContent()).toBe('—');
  await shot('kpis-dealer-zh-CN');

  // The smoke pass: every page the service manager opens, in Chinese, with their lists' exports.
  const data = ['North Dealer', 'South Dealer', 'North', 'South', 'KPI Hospital', 'Engineer Li', 'Engineer Wang', 'no image'];
  const zh = { base: server.url, locale: 'zh-CN', screenshots: SCREENSHOTS, data } as const;
  const problems = await smokePages(
    page,
    [
      ['home-zh-CN', '/home'],
      ['projects-zh-CN', '/projects'],
      ['tickets-zh-CN', '/tickets'],
      ['ticket-zh-CN', `/tickets/${fixture.tickets.t5}`],
      ['kpis-year-zh-CN', '/kpis?from=2025-04-01&to=2026-03-31'],
      ['kpis-empty-zh-CN', '/kpis?from=2025-01-01&to=2025-01-31'],
    ],
    zh,
  );
  const csv = await page.request.get(url('/kpis.csv?from=2026-03-01&to=2026-03-31'));
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain('一次修复率');

  expect(problems).toEqual([]);
  expect(complaints.filter((c) => c !== '404 GET /favicon.ico')).toEqual([]);
  expect(fs.readdirSync(SCREENSHOTS).length).toBeGreaterThanOrEqual(8);
});

it('every role’s home in both languages, and the KPIs with their exports in English', async () => {
  const problems: string[] = [];
  for (const role of ROLES) {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const visitor = await context.newPage();
    try {
      await visitor.goto(url('/'));
      await visitor.fill('#f-token', roleTokens[role]);
      await visitor.click('form.signin button[type=submit]');
      await passSecondFactor(visitor, roleTokens[role], () => KPI_NOW);
      await visitor.waitForURL(url('/home'));
      const data = ['North Dealer', 'KPI Hospital', `Smoke ${role}`];
      problems.push(...(await smokePages(visitor, [[`home-${role}-en`, '/home']], { base: server.url, locale: 'en', screenshots: SCREENSHOTS, data })));
      if (role === 'service_manager') {
        problems.push(...(await smokePages(visitor, [['kpis-en', '/kpis?from=2026-03-01&to=2026-03-31'], ['kpis-dealer-en', `/kpis?from=2026-03-01&to=2026-03-31&dealer=${fixture.north}`]], { base: server.url, locale: 'en', screenshots: SCREENSHOTS, data })));
      }
      await visitor.selectOption('#locale-switch', 'zh-CN');
      await Promise.all([visitor.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/locale')), visitor.click('form.locale button[type=submit]')]);
      await visitor.waitForLoadState();
      problems.push(...(await smokePages(visitor, [[`home-${role}-zh-CN`, '/home']], { base: server.url, locale: 'zh-CN', screenshots: SCREENSHOTS, data })));
    } finally {
      await context.close();
    }
  }
  expect(problems).toEqual([]);
});
