/**
 * People sign in as people, in Debian's Chromium (playwright-core), in both languages: an admin
 * invites a person through the API, the invitation arrives at a real SMTP server, the person opens
 * its link, sets a password and lands signed in; signs out; a deep link followed while signed out
 * leads to the sign-in form, a wrong password is refused beside the field in the page's language,
 * the right one lands on the page asked for. No Temporal needed: these pages read the database.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createConsole } from '../../console';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createMailTransport, NoticeOutbox, type MailTransport } from '../../platform/notices';
import { UsersRepository } from '../../people/repository';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ADMIN_TOKEN = 'ac_people-browser-admin-token-01';
const DEEP_LINK = '/projects?stage=awaiting_kickoff';

let db: TestDatabase;
let sink: SmtpSink;
let transport: MailTransport;
let server: ApiServer;
let browser: Browser;
const mail = { outbox: undefined as unknown as NoticeOutbox, publicUrl: '' };

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  db = await createTestDatabase();
  sink = await startSmtpSink();
  transport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: 'Aftercare <aftercare@maker.test>' });
  mail.outbox = new NoticeOutbox(db.knex, transport);
  await new UsersRepository(db.knex).ensureAdmin(ADMIN_TOKEN);
  const app = createApp({ knex: db.knex, mail });
  app.use(createConsole({ knex: db.knex, mail }));
  server = await startApiServer(app, 0, '127.0.0.1');
  mail.publicUrl = server.url;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await transport?.close();
  await sink?.stop();
  await db?.destroy();
});

const WORDS = {
  en: {
    browserLocale: 'en-US',
    setPassword: 'Set your password',
    home: 'My work',
    signIn: 'Sign in',
    signedOut: 'You are signed out.',
    askedFor: 'Sign in to open the page you asked for.',
    wrong: 'That e-mail address and password do not match an active account.',
    projects: 'Projects',
    subject: 'Your Aftercare account: set your password',
  },
  'zh-CN': {
    browserLocale: 'zh-CN',
    setPassword: '设置密码',
    home: '我的工作',
    signIn: '登录',
    signedOut: '您已退出登录。',
    askedFor: '登录后将打开您请求的页面。',
    wrong: '电子邮箱与密码不匹配任何有效账户。',
    projects: '项目',
    subject: 'Aftercare 账户邀请：请设置密码',
  },
} as const;

let mailsRead = 0;

async function fillAndSubmit(page: Page, fields: Record<string, string>, form: string): Promise<void> {
  for (const [selector, value] of Object.entries(fields)) await page.fill(selector, value);
  await page.click(`${form} button[type=submit]`);
}

it.each(['en', 'zh-CN'] as const)('%s: invited by mail, sets a password, signs out, signs in again past a wrong password, and lands on the deep link', async (locale) => {
  const words = WORDS[locale];
  const email = `pm-${locale.toLowerCase()}@maker.test`;
  const password = locale === 'en' ? 'a lantern by the gate' : '江边的灯笼照亮了回家的小路';

  // The admin invites a project manager (the API; the people page is a later slice).
  const invited = await fetch(`${server.url}/api/users/invitations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, name: locale === 'en' ? 'Grace Hopper' : '王芳', role: 'project_manager', locale }),
  });
  expect(invited.status).toBe(201);
  const received = (await sink.waitFor(mailsRead + 1))[mailsRead]!;
  mailsRead += 1;
  expect(received.envelope.to).toEqual([email]);
  expect(received.subject).toBe(words.subject);
  const link = /http:\/\/\S+\/password\?token=[A-Za-z0-9_-]+/.exec(received.text)![0];

  const context = await browser.newContext({ locale: words.browserLocale, viewport: { width: 1100, height: 800 } });
  try {
    const page = await context.newPage();

    // The link from the mail: set the password, land signed in.
    await page.goto(link);
    expect(await page.locator('h1').textContent()).toBe(words.setPassword);
    await fillAndSubmit(page, { '#f-password': password, '#f-confirm': password }, 'form.password');
    await page.waitForURL(`${server.url}/home`);
    expect(await page.locator('html').getAttribute('lang')).toBe(locale);
    expect(await page.locator('h1').textContent()).toBe(words.home);

    // Sign out.
    await page.click('form.signout button[type=submit]');
    await page.waitForURL(`${server.url}/?ended=signed_out`);
    expect(await page.locator('p.notice').textContent()).toBe(words.signedOut);

    // A deep link while signed out: the sign-in form, which keeps it.
    await page.goto(`${server.url}${DEEP_LINK}`);
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('next') === DEEP_LINK);
    expect(await page.locator('h1').textContent()).toBe(words.signIn);
    expect(await page.locator('p.notice').textContent()).toBe(words.askedFor);
    // The first button of the page's content is the sign-in.
    expect(await page.locator('main button').first().textContent()).toBe(words.signIn);

    // A wrong password: refused beside the field, in the page's language.
    await fillAndSubmit(page, { '#f-email': email, '#f-password': 'not my password at all' }, 'form.signin-password');
    await page.locator('#f-password-error').waitFor();
    expect(await page.locator('#f-password-error').textContent()).toBe(words.wrong);
    expect(await page.locator('#f-password').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#f-email').inputValue()).toBe(email);

    // The right one: on the page asked for.
    await fillAndSubmit(page, { '#f-password': password }, 'form.signin-password');
    await page.waitForURL(`${server.url}${DEEP_LINK}`);
    expect(await page.locator('h1').textContent()).toMatch(new RegExp(`^${words.projects}`));

    // The link was single-use.
    await page.goto(link);
    expect(await page.locator('h1').textContent()).not.toBe(words.setPassword);
    expect(await page.locator('form.forgot').count()).toBe(1);
  } finally {
    await context.close();
  }
});
