/**
 * The second factor in Debian's Chromium (playwright-core), in both languages, on a desk and (zh-CN)
 * on a 390 px phone: a finance person invited through the API sets a password and is made to enrol;
 * they read the secret off the page (no camera), the test computes the code with otpauth, they see
 * their recovery codes, sign out, and sign in again past the gate: a wrong code and the code already
 * used are refused beside the field in the page's language, a recovery code works once and is refused
 * the second time. No Temporal: these pages read the database.
 */
import fs from 'node:fs';
import * as OTPAuth from 'otpauth';
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
const ADMIN_TOKEN = 'ac_second-factor-browser-admin-1';
const DEEP_LINK = '/projects?stage=awaiting_kickoff';
const STEP = 30_000;

let db: TestDatabase;
let sink: SmtpSink;
let transport: MailTransport;
let server: ApiServer;
let browser: Browser;
let clock = new Date('2026-12-08T04:00:00.000Z');
const mail = { outbox: undefined as unknown as NoticeOutbox, publicUrl: '' };

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  db = await createTestDatabase();
  sink = await startSmtpSink();
  transport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: 'Aftercare <aftercare@maker.test>' });
  mail.outbox = new NoticeOutbox(db.knex, transport);
  await new UsersRepository(db.knex).ensureAdmin(ADMIN_TOKEN);
  const app = createApp({ knex: db.knex, mail });
  app.use(createConsole({ knex: db.knex, mail, now: () => clock }));
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
    width: 1366,
    title: 'Second factor',
    required: 'Your role requires a second factor. Set it up to continue.',
    codesTitle: 'Your recovery codes',
    gateTitle: 'Enter your second factor',
    wrong: 'That code is not right. Check the time on your phone and try the current code.',
    reused: 'That code was used already. Wait for the next code and enter that.',
    recoveryUsed: 'That recovery code is not valid or was used already.',
    projects: 'Projects',
  },
  'zh-CN': {
    width: 390,
    title: '双重验证',
    required: '您的角色必须启用双重验证。请先完成设置再继续。',
    codesTitle: '您的恢复码',
    gateTitle: '请输入双重验证码',
    wrong: '验证码不正确。请检查手机时间，并输入当前的验证码。',
    reused: '此验证码已使用过。请等待下一个验证码再输入。',
    recoveryUsed: '此恢复码无效或已使用过。',
    projects: '项目',
  },
} as const;

let mailsRead = 0;
const codeAt = (secret: string) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: clock.getTime() });

async function submit(page: Page, form: string, fields: Record<string, string>): Promise<void> {
  for (const [selector, value] of Object.entries(fields)) await page.fill(`${form} ${selector}`, value);
  await page.click(`${form} button[type=submit]`);
}

/** Nothing wider than the window: the page reads without scrolling sideways. */
// A string, run in the page: the test's TypeScript has no DOM types.
const fitsWidth = async (page: Page) => (await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')) as boolean;

it.each(['en', 'zh-CN'] as const)('%s: made to enrol, reads the secret, keeps recovery codes; at the gate a wrong and a reused code are refused, a recovery code works once', async (locale) => {
  const words = WORDS[locale];
  const email = `finance-${locale.toLowerCase()}@maker.test`;
  const password = locale === 'en' ? 'a ledger balanced at dusk' : '月底的账本终于在灯下对平了';
  const invited = await fetch(`${server.url}/api/users/invitations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, name: locale === 'en' ? 'Ada Lovelace' : '钱财', role: 'finance', locale }),
  });
  expect(invited.status).toBe(201);
  const received = (await sink.waitFor(mailsRead + 1))[mailsRead]!;
  mailsRead += 1;
  const link = /http:\/\/\S+\/password\?token=[A-Za-z0-9_-]+/.exec(received.text)![0];

  const context = await browser.newContext({ locale, viewport: { width: words.width, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(link);
    await submit(page, 'form.password', { '#f-password': password, '#f-confirm': password });
    // Finance must enrol before anything else.
    await page.waitForURL(`${server.url}/profile/second-factor`);
    expect(await page.locator('h1').textContent()).toBe(words.title);
    expect(await page.locator('p.notice').textContent()).toBe(words.required);
    // The QR code loads (a data: image the page's CSP admits); the secret is there as text.
    expect(await page.evaluate("(() => { const img = document.querySelector('img.factor-qr'); return img.complete && img.naturalWidth > 0; })()")).toBe(true);
    const secret = (await page.locator('code.factor-secret').textContent())!.replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await fitsWidth(page)).toBe(true);
    await page.goto(`${server.url}/home`);
    await page.waitForURL(`${server.url}/profile/second-factor`);

    const enrolCode = codeAt(secret);
    await submit(page, 'form.factor-confirm', { '#f-code': enrolCode });
    await page.locator('ol.recovery-codes').waitFor();
    expect(await page.locator('h1').textContent()).toBe(words.codesTitle);
    const recoveryCodes = await page.locator('ol.recovery-codes code').allTextContents();
    expect(recoveryCodes).toHaveLength(10);
    expect(await fitsWidth(page)).toBe(true);
    await page.click('main a[href="/home"]');
    await page.waitForURL(`${server.url}/home`);
    await page.click('form.signout button[type=submit]');
    await page.waitForURL(`${server.url}/?ended=signed_out`);

    // Again, by a deep link: the password, then the gate, which keeps the link.
    await page.goto(`${server.url}${DEEP_LINK}`);
    await submit(page, 'form.signin-password', { '#f-email': email, '#f-password': password });
    await page.waitForURL((url) => url.pathname === '/second-factor' && url.searchParams.get('next') === DEEP_LINK);
    expect(await page.locator('h1').textContent()).toBe(words.gateTitle);
    expect(await fitsWidth(page)).toBe(true);
    await submit(page, 'form.second-factor', { '#f-code': enrolCode === '000000' ? '000001' : '000000' });
    expect(await page.locator('#f-code-error').textContent()).toBe(words.wrong);
    expect(await page.locator('#f-code').getAttribute('aria-invalid')).toBe('true');
    // The code that enrolled, still on the phone's screen: used already.
    await submit(page, 'form.second-factor', { '#f-code': enrolCode });
    expect(await page.locator('#f-code-error').textContent()).toBe(words.reused);
    await submit(page, 'form.second-factor', { '#f-code': recoveryCodes[0]! });
    await page.waitForURL(`${server.url}${DEEP_LINK}`);
    expect(await page.locator('h1').textContent()).toMatch(new RegExp(`^${words.projects}`));

    // The same recovery code a second time: refused; the app's next code lets them in.
    await page.click('form.signout button[type=submit]');
    await page.waitForURL(`${server.url}/?ended=signed_out`);
    await submit(page, 'form.signin-password', { '#f-email': email, '#f-password': password });
    await page.waitForURL(`${server.url}/second-factor`);
    await submit(page, 'form.second-factor', { '#f-code': recoveryCodes[0]! });
    expect(await page.locator('#f-code-error').textContent()).toBe(words.recoveryUsed);
    clock = new Date(clock.getTime() + STEP);
    await submit(page, 'form.second-factor', { '#f-code': codeAt(secret) });
    await page.waitForURL(`${server.url}/home`);
  } finally {
    await context.close();
  }
});
