/**
 * The console in a real browser: Debian's Chromium driven by playwright-core, against the real API,
 * a real project workflow on the test Temporal server and a real database. This is what posts the
 * forms the way people's browsers do (Origin, Referrer-Policy, CSP, cookies), which the HTTP-level
 * tests in console.test.ts cannot show.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createConsole } from '../../console';
import { SESSION_COOKIE } from '../../platform/console/session';
import { UsersRepository } from '../../people/repository';
import { startProjectHarness, type ProjectHarness } from '../support/projectHarness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Screenshots of the pages, to look at when a page changes: CONSOLE_SCREENSHOTS=dir, else a temp dir. */
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'aftercare-console-'));

let h: ProjectHarness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Anything the browser complains about: CSP violations, failed loads, script errors. */
const complaints: string[] = [];

function watch(target: Page): void {
  target.on('console', (message) => {
    // Answers of 4xx are logged as "Failed to load resource"; the 'response' listener names them instead.
    if ((message.type() === 'error' || message.type() === 'warning') && !message.text().startsWith('Failed to load resource')) complaints.push(`${message.type()}: ${message.text()}`);
  });
  target.on('response', (response) => {
    if (response.status() >= 400) complaints.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  target.on('pageerror', (error) => complaints.push(`pageerror: ${error.message}`));
  target.on('requestfailed', (request) => complaints.push(`failed: ${request.url()}`));
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  h = await startProjectHarness('console-browser');
  h.app.use(createConsole({ knex: h.system.db.knex }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  watch(page);
});

afterAll(async () => {
  await browser?.close();
  await h?.stop();
});

it('signs in through the form, walks every page, switches the language, signs out, and the old cookie is refused', async () => {
  const created = await h.createProject({ name: 'DR room, Nanchang First Hospital' });
  expect(created.status).toBe(201);
  const projectId: number = created.body.id;
  const contractNo: string = created.body.contractNo;
  await h.waitFor(projectId, 'its first timeline event', (p) => p.timeline.length > 0);

  // The sign-in form, in the browser's language.
  await page.goto(`${h.server.url}/`);
  expect(await page.locator('h1').textContent()).toBe('Sign in');

  // A wrong token: the problem shows beside the field.
  await page.fill('#f-token', 'ac_wrong');
  await page.click('form.signin button[type=submit]');
  expect(await page.locator('#f-token-error').textContent()).toContain('That token is not valid');
  expect(await page.locator('#f-token').getAttribute('aria-invalid')).toBe('true');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'signin-error.png'), fullPage: true });

  // The right one (the PM's, whose locale is zh-CN). Chromium now sends a real Origin.
  await page.fill('#f-token', h.pmToken);
  const [signIn] = await Promise.all([page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/login')), page.click('form.signin button[type=submit]')]);
  expect(await signIn.headerValue('origin')).toBe(h.server.url);
  await page.waitForURL(`${h.server.url}/home`);

  // The PM's home, in Chinese for this user; then the work queue with the project started through the API.
  expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
  expect(await page.locator('h1').textContent()).toBe('我的工作');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'home-zh-CN.png'), fullPage: true });
  await page.click('header.site nav a[href="/projects"]');
  await page.waitForURL(`${h.server.url}/projects`);
  expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
  expect(await page.locator('h1').textContent()).toBe('项目');
  const row = page.locator('tbody tr', { hasText: contractNo });
  expect(await row.locator('.stage').textContent()).toBe('待启动会');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'projects-zh-CN.png'), fullPage: true });

  // Filter by stage.
  await page.click('nav.filters a[href="/projects?stage=awaiting_kickoff"]');
  await page.waitForURL(/stage=awaiting_kickoff/);
  expect(await page.locator('nav.filters a[aria-current="page"]').textContent()).toMatch(/^待启动会 1$/);

  // The project's page.
  await page.click(`a:text("${contractNo}")`);
  await page.waitForURL(`${h.server.url}/projects/${projectId}`);
  expect(await page.locator('h1').textContent()).toBe(`${contractNo} · DR room, Nanchang First Hospital`);
  expect(await page.locator('h2').allTextContents()).toEqual(['里程碑', '设备', '试运行', '试运行问题', '开箱不良（DOA）', '时间线']);
  expect(await page.locator('table').last().locator('tbody tr').count()).toBeGreaterThan(0);

  // Switch to English: the same page comes back in English, and the choice is kept on the user.
  await page.selectOption('#locale-switch', 'en');
  await page.click('form.locale button[type=submit]');
  await page.waitForURL(`${h.server.url}/projects/${projectId}`);
  expect(await page.locator('html').getAttribute('lang')).toBe('en');
  expect(await page.locator('h2').allTextContents()).toEqual(['Milestones', 'Devices', 'Trial run', 'Trial issues', 'DOA cases', 'Timeline']);
  expect(await page.locator('dl.facts dd').first().textContent()).toBe('Awaiting kickoff');
  const pm = await new UsersRepository(h.system.db.knex).getByEmail('pm@maker.test');
  expect(pm?.locale).toBe('en');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'project-en.png'), fullPage: true });

  await page.click('header.site nav a[href="/projects"]');
  await page.waitForURL(`${h.server.url}/projects`);
  expect(await page.locator('h1').textContent()).toBe('Projects');

  // Sign out; keep the cookie a thief would have copied.
  const stolen = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
  expect(stolen?.httpOnly).toBe(true);
  await page.click('form.signout button[type=submit]');
  await page.waitForURL(`${h.server.url}/?ended=signed_out`);
  expect(await page.locator('.notice').textContent()).toBe('You are signed out.');
  expect((await context.cookies()).some((c) => c.name === SESSION_COOKIE)).toBe(false);
  await page.goto(`${h.server.url}/projects`);
  await page.waitForURL(`${h.server.url}/?next=%2Fprojects`);

  // The old session cookie, replayed from another browser, is refused.
  const thief = await browser.newContext({ locale: 'en-US' });
  try {
    await thief.addCookies([{ ...stolen! }]);
    const thiefPage = await thief.newPage();
    watch(thiefPage);
    await thiefPage.goto(`${h.server.url}/projects`);
    expect(thiefPage.url()).toBe(`${h.server.url}/?ended=signed_out&next=%2Fprojects`);
    expect(await thiefPage.locator('h1').textContent()).toBe('Sign in');
    await thiefPage.screenshot({ path: path.join(SCREENSHOTS, 'signed-out.png'), fullPage: true });
  } finally {
    await thief.close();
  }

  // No CSP violation, failed load or script error on any page; only the wrong token was refused
  // (and Chromium's own look for a favicon, which the console does not have).
  expect(complaints.filter((c) => c !== '404 GET /favicon.ico')).toEqual(['401 POST /login']);
});

it('fits a 390 px phone in Chinese and English: the header wraps whole words and nothing scrolls the page sideways', async () => {
  const created = await h.createProject({ name: '手机宽度检查项目 Phone width check' });
  expect(created.status).toBe(201);
  const projectId: number = created.body.id;
  await h.waitFor(projectId, 'its first timeline event', (p) => p.timeline.length > 0);
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  try {
    const phonePage = await phone.newPage();
    await phonePage.goto(`${h.server.url}/`);
    await phonePage.fill('#f-token', h.pmToken);
    await Promise.all([phonePage.waitForURL(`${h.server.url}/home`), phonePage.click('form.signin button[type=submit]')]);
    for (const language of ['zh-CN', 'en'] as const) {
      await phonePage.goto(`${h.server.url}/home`);
      await phonePage.selectOption('#locale-switch', language);
      await Promise.all([phonePage.waitForURL(/\/home$/), phonePage.click('form.locale button[type=submit]')]);
      for (const where of ['/home', '/projects', `/projects/${projectId}`]) {
        await phonePage.goto(`${h.server.url}${where}`);
        // A string, run in the page: the test's TypeScript has no DOM types.
        const layout = (await phonePage.evaluate(`({
          pageWidth: document.documentElement.scrollWidth,
          viewport: window.innerWidth,
          // A link broken over lines is taller than one line of its text.
          brokenLinks: [...document.querySelectorAll('header.site nav a')].filter((a) => a.getBoundingClientRect().height > parseFloat(getComputedStyle(a).fontSize) * 2).map((a) => a.textContent),
        })`)) as { pageWidth: number; viewport: number; brokenLinks: string[] };
        expect({ where, language, ...layout }).toEqual({ where, language, pageWidth: layout.viewport, viewport: layout.viewport, brokenLinks: [] });
        await phonePage.screenshot({ path: path.join(SCREENSHOTS, `phone-${language}${where.replace(/\//g, '_')}.png`), fullPage: true });
      }
    }
  } finally {
    await phone.close();
  }
});
