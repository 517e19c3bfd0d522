/**
 * Single sign-on in Debian's Chromium (playwright-core), in both languages (zh-CN on a 390 px phone,
 * English at 1366 px), against a real OpenID provider run by the test (oidc-provider, with its own
 * login form): an admin invites a person by mail; the person follows a deep link, signs in with the
 * provider and lands on it; signs out; signs in again (the provider remembers them: no form); is
 * deactivated and their session stops at the next click. A person the provider knows but Aftercare
 * does not is refused with a clear message. No Temporal: these pages read the database.
 */
import fs from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createConsole } from '../../console';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createMailTransport, NoticeOutbox, type MailTransport } from '../../platform/notices';
import { OIDC_CALLBACK_PATH } from '../../platform/config/config';
import { UsersRepository } from '../../people/repository';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { freePort } from '../support/ports';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';
import { startOidcProvider, type TestProvider } from '../support/oidcProvider';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ADMIN_TOKEN = 'ac_oidc-browser-admin-token-0001';
const DEEP_LINK = '/projects?stage=awaiting_kickoff';
const CLIENT = { clientId: 'aftercare-console', clientSecret: 'the-test-client-secret-0123456789' };
const ACCOUNTS = {
  'pm-en': { email: 'PM-EN@maker.test', email_verified: true },
  'pm-zh': { email: 'pm-zh@maker.test', email_verified: true },
  stranger: { email: 'stranger@elsewhere.test', email_verified: true },
};

let db: TestDatabase;
let sink: SmtpSink;
let transport: MailTransport;
let server: ApiServer;
let provider: TestProvider;
let browser: Browser;
const mail = { outbox: undefined as unknown as NoticeOutbox, publicUrl: '' };

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  db = await createTestDatabase();
  sink = await startSmtpSink();
  transport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: 'Aftercare <aftercare@maker.test>' });
  mail.outbox = new NoticeOutbox(db.knex, transport);
  await new UsersRepository(db.knex).ensureAdmin(ADMIN_TOKEN);
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}${OIDC_CALLBACK_PATH}`;
  provider = await startOidcProvider({ ...CLIENT, redirectUri, accounts: ACCOUNTS });
  const app = createApp({ knex: db.knex, mail });
  app.use(createConsole({ knex: db.knex, mail, oidc: { issuer: provider.issuer, ...CLIENT, name: 'Maker ID', redirectUri } }));
  server = await startApiServer(app, port, '127.0.0.1');
  mail.publicUrl = server.url;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await provider?.stop();
  await server?.close();
  await transport?.close();
  await sink?.stop();
  await db?.destroy();
});

const WORDS = {
  en: {
    login: 'pm-en',
    browserLocale: 'en-US',
    viewport: { width: 1366, height: 800 },
    button: 'Sign in with Maker ID',
    home: 'My work',
    projects: 'Projects',
    signedOut: 'You are signed out.',
    ended: 'Your session was ended. Sign in again.',
    unknown: 'Maker ID signed you in as stranger@elsewhere.test, but no active staff account in Aftercare has that address. Ask an administrator to invite you.',
    gone: 'Maker ID signed you in as pm-en@maker.test, but no active staff account in Aftercare has that address. Ask an administrator to invite you.',
  },
  'zh-CN': {
    login: 'pm-zh',
    browserLocale: 'zh-CN',
    viewport: { width: 390, height: 844 },
    button: '使用 Maker ID 登录',
    home: '我的工作',
    projects: '项目',
    signedOut: '您已退出登录。',
    ended: '会话已被终止。请重新登录。',
    unknown: 'Maker ID 已确认您的身份为 stranger@elsewhere.test，但 Aftercare 中没有使用该地址的有效员工账户。请联系管理员邀请您。',
    gone: 'Maker ID 已确认您的身份为 pm-zh@maker.test，但 Aftercare 中没有使用该地址的有效员工账户。请联系管理员邀请您。',
  },
} as const;

async function newContext(locale: keyof typeof WORDS): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: WORDS[locale].browserLocale, viewport: WORDS[locale].viewport });
  // The provider's development form imports a web font: no network beyond this machine in tests.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  return context;
}

/** At the provider's own login form: any password, the login names the account. */
async function signInAtProvider(page: Page, login: string): Promise<void> {
  await page.waitForSelector('input[name=login]');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
}

const problem = (page: Page) => page.locator('p.sso-refused').textContent();

it.each(['en', 'zh-CN'] as const)('%s: invited, signs in with the provider onto the deep link, signs out, signs in again, and is stopped at once when deactivated', async (locale) => {
  const words = WORDS[locale];
  const email = ACCOUNTS[words.login].email.toLowerCase();
  const invited = await fetch(`${server.url}/api/users/invitations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, name: locale === 'en' ? 'Grace Hopper' : '王芳', role: 'project_manager', locale }),
  });
  expect(invited.status).toBe(201);
  const userId = ((await invited.json()) as { user: { id: number } }).user.id;

  const context = await newContext(locale);
  try {
    const page = await context.newPage();
    // A deep link while signed out: the sign-in page, with the provider's button.
    await page.goto(`${server.url}${DEEP_LINK}`);
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('next') === DEEP_LINK);
    expect(await page.locator('html').getAttribute('lang')).toBe(locale);
    const button = page.locator('a.sso-start');
    expect(await button.textContent()).toBe(words.button);
    // The button fits the page (390 px on the phone).
    const box = (await button.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(words.viewport.width);
    // A string, run in the page: the test's TypeScript has no DOM types.
    expect((await page.evaluate('document.documentElement.scrollWidth')) as number).toBeLessThanOrEqual(words.viewport.width);

    // With the provider: its form, then the page asked for.
    await button.click();
    await signInAtProvider(page, words.login);
    await page.waitForURL(`${server.url}${DEEP_LINK}`);
    expect(await page.locator('h1').textContent()).toMatch(new RegExp(`^${words.projects}`));

    // Sign out.
    await page.click('form.signout button[type=submit]');
    await page.waitForURL(`${server.url}/?ended=signed_out`);
    expect(await page.locator('p.notice').textContent()).toBe(words.signedOut);

    // Again: the provider still knows them, no form this time; home.
    await page.click('a.sso-start');
    await page.waitForURL(`${server.url}/home`);
    expect(await page.locator('h1').textContent()).toBe(words.home);

    // Deactivated: the next click ends the session, and the provider can no longer sign them in.
    const deactivated = await fetch(`${server.url}/api/users/${userId}/deactivate`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(deactivated.status).toBe(200);
    await page.goto(`${server.url}${DEEP_LINK}`);
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('ended') === 'user_deactivated');
    expect(await page.locator('p.notice').textContent()).toBe(words.ended);
    await page.click('a.sso-start');
    await page.waitForURL((url) => url.pathname === OIDC_CALLBACK_PATH);
    expect(await problem(page)).toBe(words.gone);
  } finally {
    await context.close();
  }

  // Someone the provider knows and Aftercare does not: refused, in the page's language.
  const strangers = await newContext(locale);
  try {
    const page = await strangers.newPage();
    await page.goto(`${server.url}/`);
    await page.click('a.sso-start');
    await signInAtProvider(page, 'stranger');
    await page.waitForURL((url) => url.pathname === OIDC_CALLBACK_PATH);
    expect(await problem(page)).toBe(words.unknown);
    expect(await page.locator('html').getAttribute('lang')).toBe(locale);
    expect((await strangers.cookies()).some((cookie) => cookie.name === 'aftercare_session')).toBe(false);
  } finally {
    await strangers.close();
  }
});
