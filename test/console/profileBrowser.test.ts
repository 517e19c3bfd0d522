/**
 * The profile in Debian's Chromium (playwright-core), in both languages and at phone and desk width:
 * a person opens it from their name in the header, changes name and language (the page turns to
 * zh-CN), changes the password (their session on the phone ends), signs in again on the phone (390 px),
 * makes a token and sees it once, revokes it (the API refuses it), and changes their e-mail address
 * through the link mailed to the real SMTP sink. No Temporal needed.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createConsole } from '../../console';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createMailTransport, NoticeOutbox, type MailTransport } from '../../platform/notices';
import { AccountsRepository } from '../../people/accounts';
import { hashPassword } from '../../people/passwords';
import { UsersRepository } from '../../people/repository';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const EMAIL = 'lin.profile@maker.test';
const PASSWORD = 'a lantern by the gate';
const NEW_PASSWORD = '江边的灯笼照亮了回家的小路';

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
  const person = await new UsersRepository(db.knex).create({ name: 'Lin Profile', email: EMAIL, role: 'service_manager', locale: 'en' });
  await new AccountsRepository(db.knex).setPasswordHash(person.id, await hashPassword(PASSWORD), new Date());
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

async function fillAndSubmit(page: Page, fields: Record<string, string>, form: string): Promise<void> {
  for (const [selector, value] of Object.entries(fields)) await page.fill(selector, value);
  await page.click(`${form} button[type=submit]`);
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${server.url}/`);
  await fillAndSubmit(page, { '#f-email': email, '#f-password': password }, 'form.signin-password');
  await page.waitForURL(`${server.url}/home`);
}

/** The page never scrolls sideways: what is wider scrolls in its own box. */
// A string, so the test's Node types need no DOM: it runs in the page.
const fitsWidth = (page: Page) => page.evaluate('document.documentElement.scrollWidth <= window.innerWidth') as Promise<boolean>;

it('changes name, language, password, makes and revokes a token, and changes the e-mail address, at desk and phone width', async () => {
  const desk = await browser.newContext({ locale: 'en-US', viewport: { width: 1366, height: 900 } });
  const phone = await browser.newContext({ locale: 'zh-CN', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  try {
    const onDesk = await desk.newPage();
    const onPhone = await phone.newPage();
    await signIn(onDesk, EMAIL, PASSWORD);
    await signIn(onPhone, EMAIL, PASSWORD);

    // From the name in the header, in English.
    await onDesk.click('header a.profile');
    await onDesk.waitForURL(`${server.url}/profile`);
    expect(await onDesk.locator('h1').textContent()).toBe('Your profile');
    expect(await onDesk.locator('table.sessions tbody tr').count()).toBe(2);
    await onDesk.fill('#f-name', '林晓');
    await onDesk.selectOption('#f-locale', 'zh-CN');
    await fillAndSubmit(onDesk, { '#f-timeZone': 'Asia/Shanghai' }, 'form.profile');
    await onDesk.waitForURL(`${server.url}/profile?done=saved`);
    expect(await onDesk.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await onDesk.locator('h1').textContent()).toBe('个人资料');
    expect(await onDesk.locator('header a.profile').textContent()).toBe('林晓');

    // A new password, in Chinese: the phone's session ends, this one stays.
    await fillAndSubmit(onDesk, { '#f-current': PASSWORD, '#f-password': NEW_PASSWORD, '#f-confirm': NEW_PASSWORD }, 'form.password');
    await onDesk.waitForURL(`${server.url}/profile?done=password`);
    expect(await onDesk.locator('p.notice').textContent()).toBe('密码已修改；您的其他会话已结束。');
    await onPhone.goto(`${server.url}/profile/tokens`);
    expect(onPhone.url()).toContain('ended=password_changed');

    // On the phone: sign in again, make a token, see it once, revoke it.
    await fillAndSubmit(onPhone, { '#f-email': EMAIL, '#f-password': NEW_PASSWORD }, 'form.signin-password');
    await onPhone.waitForURL(`${server.url}/profile/tokens`);
    expect(await onPhone.locator('h1').textContent()).toBe('API 令牌');
    await onPhone.selectOption('#f-role', 'service_manager');
    await fillAndSubmit(onPhone, { '#f-name': 'ERP', '#f-expiresInDays': '30' }, 'form.token');
    const token = (await onPhone.locator('code.new-token').textContent())!;
    expect(token).toMatch(/^ac_/);
    expect(await fitsWidth(onPhone)).toBe(true);
    const asApi = () => fetch(`${server.url}/api/users/me`, { headers: { authorization: `Bearer ${token}` } });
    expect((await asApi()).status).toBe(200);
    await onPhone.goto(`${server.url}/profile/tokens`);
    expect(await onPhone.locator('code.new-token').count()).toBe(0);
    expect(await onPhone.content()).not.toContain(token);
    expect(await fitsWidth(onPhone)).toBe(true);
    await onPhone.click('table.tokens a[href$="/revoke"]');
    expect(await onPhone.locator('h1').textContent()).toBe('撤销令牌 ERP？');
    await onPhone.click('form.revoke button[type=submit]');
    await onPhone.waitForURL(/\/profile\/tokens\?revoked=\d+$/);
    expect(await onPhone.locator('p.notice').textContent()).toBe('令牌 ERP 已撤销。');
    expect((await asApi()).status).toBe(401);

    // A new e-mail address, through the link mailed to it.
    await onDesk.goto(`${server.url}/profile`);
    await fillAndSubmit(onDesk, { '#f-new-email': 'lin.new@maker.test', '#f-email-current': NEW_PASSWORD }, 'form.email');
    expect(await onDesk.locator('p.notice').textContent()).toBe('链接已发送至 lin.new@maker.test。打开该链接后邮箱才会更改。');
    const received = (await sink.waitFor(1))[0]!;
    expect(received.envelope.to).toEqual(['lin.new@maker.test']);
    expect(received.subject).toBe('请确认您的 Aftercare 新邮箱');
    const link = /http:\/\/\S+\/profile\/email\/confirm\?token=[A-Za-z0-9_-]+/.exec(received.text)![0];
    await onPhone.goto(link);
    await onPhone.click('form.email-confirm button[type=submit]');
    expect(await onPhone.locator('main p').first().textContent()).toBe('您的电子邮箱已改为 lin.new@maker.test。');
    await onDesk.goto(`${server.url}/profile`);
    expect(await onDesk.locator('main').textContent()).toContain('您使用 lin.new@maker.test 登录。');
    expect(await fitsWidth(onDesk)).toBe(true);
    await onPhone.goto(`${server.url}/profile`);
    expect(await onPhone.locator('h1').textContent()).toBe('个人资料');
    expect(await fitsWidth(onPhone)).toBe(true);
  } finally {
    await desk.close();
    await phone.close();
  }
}, 60_000);
