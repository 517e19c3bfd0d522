/**
 * People administration in Debian's Chromium (playwright-core), in both languages, zh-CN at a
 * 390 px phone width: an admin signs in, opens /people, invites a project manager, a dealer user and
 * a customer's contact through the page; each mail arrives at a real SMTP server; the project manager
 * opens the link, sets a password and signs in; the admin sees the states change (sent → accepted),
 * changes the project manager's role, resends the dealer user's invitation (the first link then
 * refused) and the dealer user accepts the new one, signs out and in again; the customer's contact
 * finds their link expired, is sent a new one and accepts it; a reset by mail from another browser
 * ends the dealer user's session; the admin deactivates the project manager, whose open session stops
 * at once; then adds a region and a team on /units. No Temporal needed: these pages read the database.
 */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createConsole } from '../../console';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createMailTransport, NoticeOutbox, type MailTransport } from '../../platform/notices';
import { CustomersRepository } from '../../installedBase/customers';
import { DealersRepository } from '../../installedBase/dealers';
import { UsersRepository } from '../../people/repository';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ADMIN_TOKEN = 'ac_people-admin-browser-token-01';

let db: TestDatabase;
let sink: SmtpSink;
let transport: MailTransport;
let server: ApiServer;
let browser: Browser;
let customerId: number;
let dealerId: number;
const mail = { outbox: undefined as unknown as NoticeOutbox, publicUrl: '' };

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), or set CHROMIUM_PATH`);
  db = await createTestDatabase();
  sink = await startSmtpSink();
  transport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: 'Aftercare <aftercare@maker.test>' });
  mail.outbox = new NoticeOutbox(db.knex, transport);
  await new UsersRepository(db.knex).ensureAdmin(ADMIN_TOKEN);
  customerId = (
    await new CustomersRepository(db.knex).create({
      name: 'Browser Hospital',
      contacts: [
        { name: 'Contact EN', email: 'contact-en@hospital.test', role: 'interface', isPrimary: true },
        { name: '联系人', email: 'contact-zh-cn@hospital.test', role: 'interface', isPrimary: false },
      ],
    })
  ).id;
  dealerId = (await new DealersRepository(db.knex).create('Browser Dealer')).id;
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
  en: { setPassword: 'Set your password', newPassword: 'Choose a new password', expired: 'Expired', people: 'People', invited: 'Invitation sent.', sent: 'Sent', accepted: 'Accepted', changed: 'Changes saved.', dispatcher: 'Dispatcher', resent: 'A new invitation was sent; the earlier link no longer works.', deactivated: 'Deactivated: their sessions, tokens and links ended.', inactive: 'Inactive', home: 'My work' },
  'zh-CN': { setPassword: '设置密码', newPassword: '设置新密码', expired: '已过期', people: '人员', invited: '邀请已发送。', sent: '已发送', accepted: '已接受', changed: '修改已保存。', dispatcher: '调度员', resent: '已发送新的邀请，之前的链接已失效。', deactivated: '已停用：其会话、令牌和链接均已结束。', inactive: '已停用', home: '我的工作' },
} as const;

let mailsRead = 0;
async function nextMailTo(email: string): Promise<string> {
  const received = (await sink.waitFor(mailsRead + 1))[mailsRead]!;
  mailsRead += 1;
  expect(received.envelope.to).toEqual([email]);
  return /http:\/\/\S+\/password\?token=[A-Za-z0-9_-]+/.exec(received.text)![0];
}

/** Nothing wider than the window: the page never scrolls sideways. */
async function fitsWidth(page: Page, width: number): Promise<void> {
  // A string, run in the page: the test's TypeScript has no DOM types.
  expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
}

async function invite(page: Page, fields: { email: string; name: string; role: string; customerId?: number; dealerId?: number }, locale: string): Promise<string> {
  await page.goto(`${server.url}/people`);
  await page.click('a[href="/people/new"]');
  await page.fill('#f-email', fields.email);
  await page.fill('#f-name', fields.name);
  await page.selectOption('#f-role', fields.role);
  if (fields.customerId) await page.selectOption('#f-customerId', String(fields.customerId));
  if (fields.dealerId) await page.selectOption('#f-dealerId', String(fields.dealerId));
  await page.selectOption('#f-locale', locale);
  await page.click('form.invite button[type=submit]');
  await page.waitForURL(/\/people\/\d+\?done=invited$/);
  return page.url().replace(/\?.*$/, '');
}

type Words = (typeof WORDS)[keyof typeof WORDS];

/** A used, ended or expired link: a clear page with a way to ask for a new one, never the password form. */
async function refusedLink(page: Page, link: string, words: Words): Promise<void> {
  await page.goto(link);
  expect(await page.locator('h1').textContent()).not.toBe(words.setPassword);
  expect(await page.locator('form.forgot').count()).toBe(1);
  expect(await page.locator('#f-password').count()).toBe(0);
}

/** The link from the mail: a password set, the person lands signed in at home. */
async function acceptInvitation(page: Page, link: string, password: string, words: Words, title: string = words.setPassword): Promise<void> {
  await page.goto(link);
  expect(await page.locator('h1').textContent()).toBe(title);
  await page.fill('#f-password', password);
  await page.fill('#f-confirm', password);
  await page.click('form.password button[type=submit]');
  await page.waitForURL(`${server.url}/home`);
  expect(await page.locator('h1').textContent()).toBe(words.home);
}

async function signOutAndIn(page: Page, email: string, password: string, words: Words): Promise<void> {
  await page.click('form.signout button[type=submit]');
  await page.waitForURL(`${server.url}/?ended=signed_out`);
  await page.fill('#f-email', email);
  await page.fill('#f-password', password);
  await page.click('form.signin-password button[type=submit]');
  await page.waitForURL(`${server.url}/home`);
  expect(await page.locator('h1').textContent()).toBe(words.home);
}

const stateOn = async (page: Page, email: string) => {
  await page.goto(`${server.url}/people?q=${encodeURIComponent(email)}`);
  return (await page.locator('tbody tr .invitation').first().textContent())?.trim();
};

it.each([
  ['en', 1366],
  ['zh-CN', 390],
] as const)('%s at %i px: invites three people through the page, sees them accept, changes, resends and deactivates', async (locale, width) => {
  const words = WORDS[locale];
  const tag = locale.toLowerCase();
  await db.knex('users').where({ email: 'admin@localhost' }).update({ locale });
  const adminContext = await browser.newContext({ locale, viewport: { width, height: 860 } });
  const pmContext = await browser.newContext({ locale, viewport: { width, height: 860 } });
  const dealerContext = await browser.newContext({ locale, viewport: { width, height: 860 } });
  const contactContext = await browser.newContext({ locale, viewport: { width, height: 860 } });
  const resetContext = await browser.newContext({ locale, viewport: { width, height: 860 } });
  try {
    const admin = await adminContext.newPage();
    await admin.goto(server.url);
    await admin.fill('#f-token', ADMIN_TOKEN);
    await admin.click('form.signin button[type=submit]');
    await admin.waitForURL(`${server.url}/home`);
    await admin.click('header nav a[href="/people"]');
    expect(await admin.locator('h1').textContent()).toBe(words.people);
    await fitsWidth(admin, width);

    const pmEmail = `pm-${tag}@maker.test`;
    const dealerEmail = `dealer-${tag}@dealer.test`;
    const contactEmail = `contact-${tag}@hospital.test`;
    const pmPage = await invite(admin, { email: pmEmail, name: `PM ${tag}`, role: 'project_manager' }, locale);
    expect(await admin.locator('p.notice').textContent()).toBe(words.invited);
    await fitsWidth(admin, width);
    const pmLink = await nextMailTo(pmEmail);
    const dealerPage = await invite(admin, { email: dealerEmail, name: `Dealer ${tag}`, role: 'dealer', dealerId }, locale);
    const dealerFirstLink = await nextMailTo(dealerEmail);
    const contactPage = await invite(admin, { email: contactEmail, name: `Contact ${tag}`, role: 'customer', customerId }, locale);
    const contactFirstLink = await nextMailTo(contactEmail);
    expect(await stateOn(admin, pmEmail)).toBe(words.sent);
    await fitsWidth(admin, width);

    // The project manager accepts: sets a password through the link and is signed in.
    const pm = await pmContext.newPage();
    await pm.goto(pmLink);
    const password = locale === 'en' ? 'a kettle on a winter stove' : '山间的小路通向远方的村庄';
    await pm.fill('#f-password', password);
    await pm.fill('#f-confirm', password);
    await pm.click('form.password button[type=submit]');
    await pm.waitForURL(`${server.url}/home`);
    expect(await pm.locator('h1').textContent()).toBe(words.home);
    expect(await stateOn(admin, pmEmail)).toBe(words.accepted);
    expect(await stateOn(admin, dealerEmail)).toBe(words.sent);

    // A new role for the project manager.
    await admin.goto(pmPage);
    await fitsWidth(admin, width);
    await admin.selectOption('form.change #f-role', 'dispatcher');
    await admin.click('form.change button[type=submit]');
    await admin.waitForURL(/done=changed/);
    expect(await admin.locator('p.notice').textContent()).toBe(words.changed);
    expect(await admin.locator('dd.role').textContent()).toBe(words.dispatcher);

    // A new invitation for the dealer user: another mail, the notice says the old link ended.
    await admin.goto(dealerPage);
    await admin.click('form.resend button[type=submit]');
    await admin.waitForURL(/done=resent/);
    expect(await admin.locator('p.notice').textContent()).toBe(words.resent);
    const dealerLink = await nextMailTo(dealerEmail);

    // The dealer user: the first link ended with the resend (a clear page, a way to ask again); the new one works.
    const dealer = await dealerContext.newPage();
    await refusedLink(dealer, dealerFirstLink, words);
    const dealerPassword = locale === 'en' ? 'a ferry across the river' : '渡船慢慢驶过宽阔平静的江面';
    await acceptInvitation(dealer, dealerLink, dealerPassword, words);
    await signOutAndIn(dealer, dealerEmail, dealerPassword, words);

    // The customer's contact: the link expired; the admin sends a new one, which works.
    await db.knex('user_links').whereIn('user_id', db.knex('users').select('id').where({ email: contactEmail })).update({ expires_at: new Date(Date.now() - 60_000) });
    const contact = await contactContext.newPage();
    await refusedLink(contact, contactFirstLink, words);
    expect(await stateOn(admin, contactEmail)).toBe(words.expired);
    await admin.goto(contactPage);
    await admin.click('form.resend button[type=submit]');
    await admin.waitForURL(/done=resent/);
    const contactPassword = locale === 'en' ? 'a lamp in the clinic window' : '诊所窗前的那盏灯一直亮到天明';
    await acceptInvitation(contact, await nextMailTo(contactEmail), contactPassword, words);
    await signOutAndIn(contact, contactEmail, contactPassword, words);
    await fitsWidth(contact, width);

    // A reset by mail, from another browser, ends the dealer user's other session.
    const elsewhere = await resetContext.newPage();
    await elsewhere.goto(`${server.url}/password/forgot`);
    await elsewhere.fill('form.forgot #f-email', dealerEmail);
    await elsewhere.click('form.forgot button[type=submit]');
    await elsewhere.locator('p.notice').waitFor();
    const newPassword = locale === 'en' ? 'a second ferry at dawn' : '清晨的第二班渡船准时从码头出发';
    await acceptInvitation(elsewhere, await nextMailTo(dealerEmail), newPassword, words, words.newPassword);
    await dealer.goto(`${server.url}/home`);
    await dealer.waitForURL((url) => url.pathname === '/' && url.searchParams.get('ended') === 'password_changed');

    // Deactivating the one signed in ends their session at once.
    await admin.goto(pmPage);
    await admin.check('form.deactivate #f-confirm');
    await admin.click('form.deactivate button[type=submit]');
    await admin.waitForURL(/done=deactivated/);
    expect(await admin.locator('p.notice').textContent()).toBe(words.deactivated);
    expect(await admin.locator('dd.active').textContent()).toBe(words.inactive);
    await pm.goto(`${server.url}/home`);
    await pm.waitForURL((url) => url.pathname === '/' && url.searchParams.get('ended') === 'user_deactivated');

    // Units: a region and a team under it, shown as a tree that fits the window.
    await admin.goto(`${server.url}/units`);
    await admin.fill('form.unit-add #f-name', `Region ${tag}`);
    await admin.selectOption('form.unit-add #f-kind', 'region');
    await admin.click('form.unit-add button[type=submit]');
    await admin.waitForURL(/\/units\?done=added$/);
    const region = String((await db.knex('org_units').where({ name: `Region ${tag}` }).first('id')).id);
    await admin.fill('form.unit-add #f-name', `Team ${tag}`);
    await admin.selectOption('form.unit-add #f-kind', 'team');
    await admin.selectOption('form.unit-add #f-parentId', region);
    await admin.click('form.unit-add button[type=submit]');
    await admin.waitForURL(/\/units\?done=added$/);
    expect(await admin.locator('li.unit.depth-1 > .unit-name').allTextContents()).toContain(`Team ${tag}`);
    await fitsWidth(admin, width);
  } finally {
    for (const context of [adminContext, pmContext, dealerContext, contactContext, resetContext]) await context.close();
  }
});
