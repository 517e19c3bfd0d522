import crypto from 'node:crypto';
/**
 * People sign in as people, over HTTP: invitations through the API and the real SMTP sink, the link
 * pages, sign-in with a password, resets, the limits, deactivation, and that no password or link
 * token ends up in an answer, a log line, an audit row or the outbox.
 */
import { Writable } from 'node:stream';
import express from 'express';
import { createConsole } from '../../console';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createLogger } from '../../platform/logging';
import { createMailTransport, NoticeOutbox, type MailTransport } from '../../platform/notices';
import { SECURE_COOKIES, SESSION_COOKIE } from '../../platform/console/session';
import { UsersRepository, type User } from '../../people/repository';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '../support/smtpSink';

const HOUR = 3_600_000;
const PASSWORD = 'a quiet tram at dusk';
const NEW_PASSWORD = 'lanterns over the river';

let db: TestDatabase;
let sink: SmtpSink;
let transport: MailTransport;
let server: ApiServer;
let adminToken: string;
let serviceManagerToken: string;
let admin: User;
/** Every log line the API wrote, and every error the console reported. */
const logLines: string[] = [];
const consoleErrors: unknown[] = [];
/** Every API answer's body, to search for secrets afterwards. */
const answers: string[] = [];
/** The console's clock: null follows the real one. */
let clock: Date | null = null;
const mail = { outbox: undefined as unknown as NoticeOutbox, publicUrl: '' };

async function api(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** The link in a received mail's text (the only place it exists). */
function linkIn(received: ReceivedMail): string {
  const found = /http:\/\/[^\s]+\/password\?token=[A-Za-z0-9_-]+/.exec(received.text);
  if (!found) throw new Error(`no link in ${received.text}`);
  return found[0];
}

const pathOf = (link: string) => link.replace(server.url, '');
const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

/** The mails the tests have read so far; the next one is the next arrival. */
let mailsRead = 0;
async function nextMail(): Promise<ReceivedMail> {
  const received = (await sink.waitFor(mailsRead + 1))[mailsRead]!;
  mailsRead += 1;
  return received;
}

/** Opens a link in a fresh visitor and sets the password; returns the signed-in visitor. */
async function acceptLink(link: string, password: string): Promise<ConsoleVisitor> {
  const who = new ConsoleVisitor(server.url);
  expect((await who.get(pathOf(link))).status).toBe(200);
  const set = await who.post('/password', { token: tokenOf(link), password, confirm: password });
  expect(set.status).toBe(303);
  expect(set.headers.get('location')).toBe('/home');
  return who;
}

async function signInWithPassword(who: ConsoleVisitor, email: string, password: string, next?: string) {
  await who.get(next ? `/?next=${encodeURIComponent(next)}` : '/');
  return who.post('/login', { email, password, ...(next ? { next } : {}) });
}

beforeAll(async () => {
  db = await createTestDatabase();
  sink = await startSmtpSink();
  transport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: 'Aftercare <aftercare@maker.test>' });
  mail.outbox = new NoticeOutbox(db.knex, transport);
  const users = new UsersRepository(db.knex);
  adminToken = 'ac_people-test-admin-token-0001';
  admin = await users.ensureAdmin(adminToken);
  const sm = await users.create({ name: 'Service Manager', email: 'sm@maker.test', role: 'service_manager', locale: 'en' });
  serviceManagerToken = await users.issueToken(sm.id, 'test');

  const log = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }) });
  const app = createApp({ knex: db.knex, log, logger: { error: (message, error) => logLines.push(`${message} ${String(error)}`) }, mail, linkLifetimes: { invitationMs: 72 * HOUR, resetMs: HOUR } });
  app.use(
    createConsole({
      knex: db.knex,
      logger: { error: (message, error) => consoleErrors.push([message, error]) },
      signInLimit: { attempts: 1000, windowMs: 60_000 },
      mail,
      linkLifetimes: { invitationMs: 72 * HOUR, resetMs: HOUR },
      now: () => clock ?? new Date(),
    }),
  );
  server = await startApiServer(app, 0, '127.0.0.1');
  mail.publicUrl = server.url;
});

afterAll(async () => {
  await server?.close();
  await transport?.close();
  await sink?.stop();
  await db?.destroy();
});

afterEach(() => {
  clock = null;
  expect(consoleErrors).toEqual([]);
});

describe('invitations', () => {
  it('an admin invites a person: the account exists, the mail in their language carries a single-use link, the answer does not', async () => {
    const answer = await api('POST', '/users/invitations', adminToken, { email: 'Li.Na@Maker.test', name: '李娜', role: 'project_manager', locale: 'zh-CN', timeZone: 'Asia/Shanghai' });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ created: true, user: { email: 'li.na@maker.test', role: 'project_manager', locale: 'zh-CN', timeZone: 'Asia/Shanghai', active: true }, invitation: { mail: 'sent' } });
    expect(Date.parse(answer.body.invitation.expiresAt) - Date.now()).toBeGreaterThan(71 * HOUR);
    const invitation = await nextMail();
    expect(invitation.envelope.to).toEqual(['li.na@maker.test']);
    expect(invitation.subject).toBe('Aftercare 账户邀请：请设置密码');
    expect(invitation.text).toContain('Administrator 邀请您使用 Aftercare');
    const link = linkIn(invitation);
    expect(JSON.stringify(answer.body)).not.toContain(tokenOf(link));
    // The outbox keeps that it was sent, not the link.
    const rows = await db.knex('notice_outbox').where({ template: 'invitation' });
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe('sent');
    expect(JSON.stringify(rows)).not.toContain(tokenOf(link));
  });

  it('a service manager invites staff up to their own role; nobody grants above their own, only admins grant admin and finance; refusals in the reader’s language', async () => {
    const engineer = await api('POST', '/users/invitations', serviceManagerToken, { email: 'eng1@maker.test', name: 'Zhou Qiang', role: 'engineer', locale: 'en' });
    expect(engineer.status).toBe(201);
    await nextMail();
    for (const role of ['admin', 'finance', 'leadership', 'dealer', 'customer']) {
      const refused = await api('POST', '/users/invitations', serviceManagerToken, { email: `x-${role}@maker.test`, name: 'X', role });
      expect({ role, status: refused.status, field: refused.body.error.details[0]?.field, body: refused.status === 403 ? null : refused.body }).toEqual({ role, status: 403, field: 'role', body: null });
    }
    const inChinese = await api('POST', '/users/invitations', serviceManagerToken, { email: 'x@maker.test', name: 'X', role: 'finance' }, { 'accept-language': 'zh-CN' });
    expect(inChinese.body.error.message).toBe('您无权授予角色 finance。');
    // Nor may they rewrite an account above their own by inviting its address.
    await new UsersRepository(db.knex).create({ name: 'Second Admin', email: 'admin2@maker.test', role: 'admin' });
    const takeover = await api('POST', '/users/invitations', serviceManagerToken, { email: 'admin2@maker.test', name: 'Me', role: 'engineer' });
    expect(takeover.status).toBe(403);
    expect(takeover.body.error.details[0].field).toBe('email');
    // Without naming the account's role.
    expect(takeover.body.error.message).toBe('An account you do not administer has this address.');
    expect((await new UsersRepository(db.knex).getByEmail('admin2@maker.test'))?.role).toBe('admin');
    // Nor a peer: one service manager does not demote another.
    await new UsersRepository(db.knex).create({ name: 'Peer Manager', email: 'sm2@maker.test', role: 'service_manager' });
    const peer = await api('POST', '/users/invitations', serviceManagerToken, { email: 'sm2@maker.test', name: 'Peer Manager', role: 'engineer' });
    expect([peer.status, peer.body.error.details[0].field]).toEqual([403, 'email']);
    expect((await new UsersRepository(db.knex).getByEmail('sm2@maker.test'))?.role).toBe('service_manager');
    // Roles that invite nobody.
    const users = new UsersRepository(db.knex);
    const engineerUser = (await users.getByEmail('eng1@maker.test'))!;
    const engineerToken = await users.issueToken(engineerUser.id, 'test');
    expect((await api('POST', '/users/invitations', engineerToken, { email: 'y@maker.test', name: 'Y', role: 'engineer' })).status).toBe(403);
    // The admin grants finance, and a customer's user for an existing customer only.
    expect((await api('POST', '/users/invitations', adminToken, { email: 'fin@maker.test', name: 'Finance', role: 'finance', locale: 'en' })).status).toBe(201);
    await nextMail();
    const noCustomer = await api('POST', '/users/invitations', adminToken, { email: 'c@customer.test', name: 'C', role: 'customer', customerId: 999999 });
    expect(noCustomer.status).toBe(400);
    expect(noCustomer.body.error.details[0].field).toBe('customerId');
  });

  it('the link opens the page to set a password: weak ones are refused beside the field, a good one signs the person in; the link then works no more', async () => {
    await api('POST', '/users/invitations', adminToken, { email: 'pm2@maker.test', name: 'Gao Yang', role: 'project_manager', locale: 'en' });
    const link = linkIn(await nextMail());
    const who = new ConsoleVisitor(server.url);
    const page = await who.get(pathOf(link));
    expect(page.status).toBe(200);
    expect(page.body).toContain('Set your password');
    expect(page.body).toContain('You sign in as pm2@maker.test.');
    const cases: Array<[string, string, string]> = [
      ['short', 'short', 'Use at least 12 characters.'],
      ['123456789012', '123456789012', 'This is one of the most common passwords'],
      ['gao yang is great', 'gao yang is great', 'must not contain your name or your e-mail'],
      ['pm2 rides the bus', 'pm2 rides the bus', 'must not contain your name or your e-mail'],
      [PASSWORD, 'something else entirely', 'The two passwords differ.'],
    ];
    for (const [password, confirm, problem] of cases) {
      const refused = await who.post('/password', { token: tokenOf(link), password, confirm });
      expect(refused.status).toBe(400);
      expect(refused.body).toContain(problem);
      expect(refused.body).not.toContain(`value="${password}"`);
    }
    const set = await who.post('/password', { token: tokenOf(link), password: PASSWORD, confirm: PASSWORD });
    expect(set.status).toBe(303);
    expect(set.headers.get('location')).toBe('/home');
    expect(who.cookies.has(SESSION_COOKIE)).toBe(true);
    expect((await who.get('/home')).status).toBe(200);

    const again = await new ConsoleVisitor(server.url).get(pathOf(link));
    expect(again.status).toBe(410);
    expect(again.body).toContain('This link was already used');
    expect(again.body).toContain('action="/password/forgot"');
    const forged = await new ConsoleVisitor(server.url).get('/password?token=forged-token');
    expect(forged.status).toBe(404);
    expect(forged.body).toContain('This link is not valid');
  });

  it('an expired link gets its own page, in the reader’s language, with a way to ask for a new one', async () => {
    await api('POST', '/users/invitations', adminToken, { email: 'late@maker.test', name: 'Late Comer', role: 'engineer', locale: 'zh-CN' });
    const link = linkIn(await nextMail());
    clock = new Date(Date.now() + 73 * HOUR);
    const who = new ConsoleVisitor(server.url);
    const page = await who.request('GET', pathOf(link), { headers: { 'accept-language': 'zh-CN' } });
    expect(page.status).toBe(410);
    expect(page.body).toContain('此链接已过期');
    expect(page.body).toContain('发送链接');
  });
});

describe('sign-in with a password', () => {
  it('refuses a wrong password beside the field, signs in with the right one, and a deep link survives sign-in', async () => {
    const who = new ConsoleVisitor(server.url);
    const redirected = await who.get('/projects?stage=awaiting_kickoff');
    expect(redirected.headers.get('location')).toBe('/?next=%2Fprojects%3Fstage%3Dawaiting_kickoff');
    const form = await who.get(redirected.headers.get('location')!);
    expect(form.body).toContain('Sign in to open the page you asked for.');
    expect(form.body).toContain('name="next" value="/projects?stage&#x3D;awaiting_kickoff"');
    // The password form comes first on the page; the token form is the second.
    expect(form.body.indexOf('class="signin-password"')).toBeLessThan(form.body.indexOf('class="signin"'));
    expect(/<button[^>]*>([^<]*)<\/button>/.exec(form.body.slice(form.body.indexOf('<main>')))?.[1]).toBe('Sign in');
    const wrong = await who.post('/login', { email: 'pm2@maker.test', password: 'not the password', next: '/projects?stage=awaiting_kickoff' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatch(/id="f-password-error">That e-mail address and password do not match an active account\./);
    expect(wrong.body).toContain('value="pm2@maker.test"');
    const right = await who.post('/login', { email: 'PM2@maker.test', password: PASSWORD, next: '/projects?stage=awaiting_kickoff' });
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/projects?stage=awaiting_kickoff');
    expect((await who.get('/projects?stage=awaiting_kickoff')).status).toBe(200);
  });

  it('sends nobody to another site after sign-in', async () => {
    for (const next of ['//evil.test/x', 'https://evil.test/', '/\\evil.test']) {
      const who = new ConsoleVisitor(server.url);
      const answer = await signInWithPassword(who, 'pm2@maker.test', PASSWORD, next);
      expect(answer.headers.get('location')).toBe('/home');
    }
  });

  it('answers an unknown address exactly as a wrong password', async () => {
    const who = new ConsoleVisitor(server.url);
    const unknown = await signInWithPassword(who, 'nobody@maker.test', PASSWORD);
    const wrong = await signInWithPassword(who, 'pm2@maker.test', 'not the password');
    expect(unknown.status).toBe(401);
    const error = (body: string) => /id="f-password-error">([^<]*)</.exec(body)?.[1];
    expect(error(unknown.body)).toBe(error(wrong.body));
  });

  it('after 5 failures for an account each further try waits, doubling; the right password after the wait works', async () => {
    await api('POST', '/users/invitations', adminToken, { email: 'slow@maker.test', name: 'Slow Poke', role: 'engineer', locale: 'en' });
    await acceptLink(linkIn(await nextMail()), PASSWORD);
    const who = new ConsoleVisitor(server.url);
    const t0 = Date.now();
    clock = new Date(t0);
    for (let i = 0; i < 5; i++) expect((await signInWithPassword(who, 'slow@maker.test', `wrong ${i}`)).status).toBe(401);
    // The 6th try comes too soon: it waits 1 s, even with the right password.
    const early = await signInWithPassword(who, 'slow@maker.test', PASSWORD);
    expect(early.status).toBe(429);
    expect(early.headers.get('retry-after')).toBe('1');
    expect(early.body).toContain('wait 1 second, then try again');
    clock = new Date(t0 + 1_000);
    expect((await signInWithPassword(who, 'slow@maker.test', 'wrong 6')).status).toBe(401);
    clock = new Date(t0 + 2_000);
    expect((await signInWithPassword(who, 'slow@maker.test', PASSWORD)).headers.get('retry-after')).toBe('1');
    clock = new Date(t0 + 3_000);
    const right = await signInWithPassword(who, 'slow@maker.test', PASSWORD);
    expect(right.status).toBe(303);
    // The run of failures is cleared by the good sign-in.
    expect(await db.knex('sign_in_failures').where({ email_hash: crypto.createHash('sha256').update('slow@maker.test').digest('hex') })).toEqual([]);
  });

  it('answers an address without an account exactly as one with an account, also after 5 failures: nobody learns which exist', async () => {
    await api('POST', '/users/invitations', adminToken, { email: 'exists@maker.test', name: 'Exists Somewhere', role: 'engineer', locale: 'en' });
    await acceptLink(linkIn(await nextMail()), PASSWORD);
    const who = new ConsoleVisitor(server.url);
    const t0 = Date.now();
    clock = new Date(t0);
    const answersOf = async (email: string) => {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await signInWithPassword(who, email, `wrong ${i}`)).status);
      return statuses;
    };
    expect(await answersOf('exists@maker.test')).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await answersOf('no-such-person@maker.test')).toEqual([401, 401, 401, 401, 401, 429]);
    clock = new Date(t0 + 120_000);
    expect((await signInWithPassword(who, 'exists@maker.test', PASSWORD)).status).toBe(303);
  });

  it('counts tries sent at once before checking them: a burst of wrong passwords is held back', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const who = new ConsoleVisitor(server.url);
        return (await signInWithPassword(who, 'burst@maker.test', `wrong ${i}`)).status;
      }),
    );
    // However the tries interleave, at most the free ones and the few that overlap them are checked.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(10);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  });

  it('limits failures per client address in the database, the address taken through the trust proxy setting', async () => {
    const limited = express();
    limited.set('trust proxy', true);
    limited.use(createConsole({ knex: db.knex, signInLimit: { attempts: 3, windowMs: 60_000 }, mail }));
    const limitedServer = await startApiServer(limited, 0, '127.0.0.1');
    try {
      const from = (address: string) => ({ 'x-forwarded-for': address });
      const who = new ConsoleVisitor(limitedServer.url);
      await who.get('/');
      for (const email of ['a@maker.test', 'b@maker.test', 'c@maker.test']) {
        expect((await who.request('POST', '/login', { form: { email, password: 'guess guess guess' }, headers: from('198.51.100.9') })).status).toBe(401);
      }
      const refused = await who.request('POST', '/login', { form: { email: 'pm2@maker.test', password: PASSWORD }, headers: from('198.51.100.9') });
      expect(refused.status).toBe(429);
      expect(refused.body).toContain('Too many failed sign-ins from this address');
      // Another address behind the same proxy is not held up; a failed token counts as well.
      expect((await who.request('POST', '/login', { form: { token: 'ac_guess' }, headers: from('198.51.100.10') })).status).toBe(401);
      expect((await who.request('POST', '/login', { form: { email: 'pm2@maker.test', password: PASSWORD }, headers: from('198.51.100.10') })).status).toBe(303);
      // The three wrong tries stay on record; the refused one was pm2's, whose good sign-in ended its run.
      const rows = await db.knex('sign_in_failures').where({ address: '198.51.100.9' });
      expect(rows).toHaveLength(3);
    } finally {
      await limitedServer.close();
    }
  });

  it('marks cookies Secure when the public URL is https', async () => {
    const secure = express();
    secure.set(SECURE_COOKIES, true);
    secure.use(createConsole({ knex: db.knex, mail }));
    const secureServer = await startApiServer(secure, 0, '127.0.0.1');
    try {
      const who = new ConsoleVisitor(secureServer.url);
      await who.get('/');
      const response = await fetch(`${secureServer.url}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...who.cookies].map(([n, v]) => `${n}=${v}`).join('; ') },
        body: new URLSearchParams({ _csrf: who.csrfToken!, email: 'pm2@maker.test', password: PASSWORD }).toString(),
      });
      expect(response.status).toBe(303);
      const session = response.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`))!;
      expect(session).toMatch(/; Secure/);
      expect(session).toMatch(/; HttpOnly/);
    } finally {
      await secureServer.close();
    }
  });
});

describe('password reset', () => {
  it('answers the same for any address, mails a link to an active account, and the new password ends the person’s other sessions', async () => {
    const elsewhere = new ConsoleVisitor(server.url);
    expect((await signInWithPassword(elsewhere, 'pm2@maker.test', PASSWORD)).status).toBe(303);

    const who = new ConsoleVisitor(server.url);
    await who.get('/password/forgot');
    const unknown = await who.post('/password/forgot', { email: 'nobody@maker.test' });
    const known = await who.post('/password/forgot', { email: 'PM2@maker.test' });
    expect([unknown.status, known.status]).toEqual([200, 200]);
    const said = (body: string) => /<p class="notice" role="status">([^<]*)</.exec(body)?.[1];
    expect(said(unknown.body)).toBe('If an account has this address, a link is on its way. Check your mail.');
    expect(said(known.body)).toBe(said(unknown.body));
    const reset = await nextMail();
    expect(sink.messages.length).toBe(mailsRead);
    expect(reset.envelope.to).toEqual(['pm2@maker.test']);
    expect(reset.subject).toBe('Aftercare: choose a new password');

    const link = linkIn(reset);
    const page = await who.get(pathOf(link));
    expect(page.body).toContain('Choose a new password');
    const set = await who.post('/password', { token: tokenOf(link), password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    expect(set.status).toBe(303);
    // The other browser's session ended, and says why.
    expect((await elsewhere.get('/home')).headers.get('location')).toBe('/?ended=password_changed');
    expect((await signInWithPassword(new ConsoleVisitor(server.url), 'pm2@maker.test', PASSWORD)).status).toBe(401);
    expect((await signInWithPassword(new ConsoleVisitor(server.url), 'pm2@maker.test', NEW_PASSWORD)).status).toBe(303);
    // The reset link lives an hour (asked for again after the two minutes a mail is not sent again).
    clock = new Date(Date.now() + 3 * 60_000);
    await who.get('/password/forgot');
    await who.post('/password/forgot', { email: 'pm2@maker.test' });
    const second = linkIn(await nextMail());
    clock = new Date(Date.now() + 3 * 60_000 + HOUR + 1000);
    expect((await new ConsoleVisitor(server.url).get(pathOf(second))).status).toBe(410);
  });
});

describe('password reset, asked again', () => {
  it('sends one mail when a reset is asked for twice at once (nobody floods a mailbox)', async () => {
    await api('POST', '/users/invitations', adminToken, { email: 'twice@maker.test', name: 'Twice Asked', role: 'engineer', locale: 'en' });
    await acceptLink(linkIn(await nextMail()), PASSWORD);
    const who = new ConsoleVisitor(server.url);
    await who.get('/password/forgot');
    expect((await who.post('/password/forgot', { email: 'twice@maker.test' })).status).toBe(200);
    await nextMail();
    await who.get('/password/forgot');
    expect((await who.post('/password/forgot', { email: 'twice@maker.test' })).status).toBe(200);
    const user = (await new UsersRepository(db.knex).getByEmail('twice@maker.test'))!;
    // The second answer came back before any mail could; the links table says none was made.
    expect(await db.knex('user_links').where({ user_id: user.id, purpose: 'reset' })).toHaveLength(1);
  });
});

describe('deactivation', () => {
  it('ends every session, token and link of the person at once', async () => {
    await api('POST', '/users/invitations', adminToken, { email: 'leaver@maker.test', name: 'Leaver', role: 'dispatcher', locale: 'en' });
    const who = await acceptLink(linkIn(await nextMail()), PASSWORD);
    const users = new UsersRepository(db.knex);
    const leaver = (await users.getByEmail('leaver@maker.test'))!;
    const token = await users.issueToken(leaver.id, 'script');
    expect((await api('GET', '/users/me', token)).status).toBe(200);
    await who.get('/password/forgot');
    await who.post('/password/forgot', { email: 'leaver@maker.test' });
    const pending = linkIn(await nextMail());

    expect((await api('POST', `/users/${leaver.id}/deactivate`, adminToken)).status).toBe(200);
    expect((await who.get('/home')).headers.get('location')).toBe('/?ended=user_deactivated');
    expect((await api('GET', '/users/me', token)).status).toBe(401);
    expect((await new ConsoleVisitor(server.url).get(pathOf(pending))).status).toBe(410);
    expect((await signInWithPassword(new ConsoleVisitor(server.url), 'leaver@maker.test', PASSWORD)).status).toBe(401);
    const sessions = await db.knex('console_sessions').where({ user_id: leaver.id });
    expect(sessions.every((row: { revoked_at: unknown }) => row.revoked_at !== null)).toBe(true);
    // Invited again (a service manager may invite a dispatcher): the old password stays dead until the new link is used.
    const again = await api('POST', '/users/invitations', serviceManagerToken, { email: 'leaver@maker.test', name: 'Leaver', role: 'dispatcher', locale: 'en' });
    expect(again.status).toBe(201);
    const fresh = linkIn(await nextMail());
    expect((await signInWithPassword(new ConsoleVisitor(server.url), 'leaver@maker.test', PASSWORD)).status).toBe(401);
    await acceptLink(fresh, NEW_PASSWORD);
    expect((await signInWithPassword(new ConsoleVisitor(server.url), 'leaver@maker.test', NEW_PASSWORD)).status).toBe(303);
  });
});

describe('secrets stay secret', () => {
  it('no password, link token or password hash in an API answer, a log line, an audit row or the outbox', async () => {
    const links = sink.messages.flatMap((m) => (/token=([A-Za-z0-9_-]+)/.exec(m.text)?.[1] ? [/token=([A-Za-z0-9_-]+)/.exec(m.text)![1]!] : []));
    expect(links.length).toBeGreaterThanOrEqual(5);
    const hashes = (await db.knex('users').whereNotNull('password_hash').pluck('password_hash')) as string[];
    expect(hashes.every((hash) => hash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$'))).toBe(true);
    const audit = JSON.stringify(await db.knex('audit_log').select());
    const outbox = JSON.stringify(await db.knex('notice_outbox').select());
    const logs = logLines.join('\n');
    const api = answers.join('\n');
    for (const secret of [PASSWORD, NEW_PASSWORD, ...links, ...hashes]) {
      for (const [where, text] of [['audit', audit], ['outbox', outbox], ['logs', logs], ['api', api]] as const) {
        expect({ where, found: text.includes(secret) }).toEqual({ where, found: false });
      }
    }
    expect(audit).toContain('password_set');
    expect(admin.id).toBeGreaterThan(0);
  });
});
