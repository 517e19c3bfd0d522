/**
 * The KPI page in real Chromium (playwright-core, Debian's chromium) as a service manager who reads
 * Chinese: the charts draw (chart.js loads under the content policy), the filter form works, and a
 * smoke pass of every page the service manager opens, in Chinese, fails on any 4xx/5xx, script or
 * policy error, and on any English message text or message key left on the page (an untranslated
 * word). Screenshots go to $CONSOLE_SCREENSHOTS/kpis (a temp folder by default). No Temporal: the
 * pages read the database only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp, startApiServer, type ApiServer } from '../../api';
import { createConsole } from '../../console';
import { catalog } from '../../console/messages';
import { UsersRepository } from '../../db/repositories/users';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { KPI_NOW, seedKpiFixture, type KpiFixture } from '../support/kpiFixture';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SCREENSHOTS = path.join(process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-console-')), 'kpis');

let db: TestDatabase;
let server: ApiServer;
let browser: Browser;
let page: Page;
let fixture: KpiFixture;
let token: string;
const complaints: string[] = [];

/**
 * What a Chinese page shows in English: any English message of the catalog that is a phrase (a zh
 * text copied from the English, or an English page's word left in), any message key, and any run of
 * three or more English words (a hard-coded or humanized text). The fixture's own data (names,
 * symptoms) are at most two words.
 */
function untranslated(text: string): string[] {
  const en = catalog('en');
  const found: string[] = [];
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    const english = en[key].replace(/\{\w+\}.*$/, '').trim();
    if (english.length >= 8 && /\s/.test(english) && text.includes(english)) found.push(`${key}: ${english}`);
    if (/\.[a-z]/.test(key) && text.includes(key)) found.push(`key ${key}`);
  }
  for (const run of text.matchAll(/[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}/g)) found.push(`words: ${run[0]}`);
  return found;
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  db = await createTestDatabase();
  fixture = await seedKpiFixture(db.knex);
  const users = new UsersRepository(db.knex);
  const manager = await users.create({ name: '赵经理', email: 'manager@kpi-browser.test', role: 'service_manager', locale: 'zh-CN' });
  token = await users.issueToken(manager.id, 'browser');
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
  await page.click('nav[aria-label="Main"] a[href="/kpis"]');
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

  // The smoke pass: every page the service manager opens, in Chinese.
  const pages: Array<[string, string]> = [
    ['home-zh-CN', '/home'],
    ['projects-zh-CN', '/projects'],
    ['tickets-zh-CN', '/tickets'],
    ['ticket-zh-CN', `/tickets/${fixture.tickets.t5}`],
    ['kpis-year-zh-CN', '/kpis?from=2025-04-01&to=2026-03-31'],
    ['kpis-empty-zh-CN', '/kpis?from=2025-01-01&to=2025-01-31'],
  ];
  for (const [name, target] of pages) {
    await page.goto(url(target));
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.locator('h1').count()).toBe(1);
    expect({ page: target, untranslated: untranslated(await page.locator('body').innerText()) }).toEqual({ page: target, untranslated: [] });
    await shot(name);
  }
  const csv = await page.request.get(url('/kpis.csv?from=2026-03-01&to=2026-03-31'));
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain('一次修复率');

  expect(complaints.filter((c) => c !== '404 GET /favicon.ico')).toEqual([]);
  expect(fs.readdirSync(SCREENSHOTS).length).toBeGreaterThanOrEqual(8);
});
