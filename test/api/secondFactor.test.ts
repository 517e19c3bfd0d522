/**
 * The second factor over HTTP: a finance person invited through the API (a real SMTP sink) sets a
 * password and is held at enrolment, reaching nothing but it, sign-out and the language switch; they
 * enrol, get recovery codes; at the next sign-in a deep link survives the gate; wrong, reused and used
 * codes are refused beside the field; an admin resets the factor through the API and the sessions end;
 * a token's session is never held; and no secret or code is in a log line, an audit row, the outbox
 * or an API answer.
 */
import { Writable } from 'node:stream';
import * as OTPAuth from 'otpauth';
import { createConsole } from '../../console';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createLogger } from '../../platform/logging';
import { createMailTransport, NoticeOutbox, type MailTransport } from '../../platform/notices';
import { UsersRepository } from '../../people/repository';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startSmtpSink, type SmtpSink } from '../support/smtpSink';
import { auditRowsOnce } from '../support/auditRows';

const ADMIN_TOKEN = 'ac_second-factor-admin-token-001';
const PASSWORD = 'a ledger by the window';
const STEP = 30_000;

let db: TestDatabase;
let sink: SmtpSink;
let transport: MailTransport;
let server: ApiServer;
let engineerToken: string;
const logLines: string[] = [];
const consoleErrors: unknown[] = [];
const answers: string[] = [];
/** The console's clock, moved a step at a time so each code is a new one. */
let clock = new Date('2026-12-08T03:00:00.000Z');
const tick = () => (clock = new Date(clock.getTime() + STEP));
const mail = { outbox: undefined as unknown as NoticeOutbox, publicUrl: '' };
/** Everything secret the test saw, searched for at the end. */
const secrets: string[] = [];

async function api(method: string, path: string, token: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/api${path}`, { method, headers: { authorization: `Bearer ${token}`, ...headers } });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const codeAt = (secret: string, at: Date) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: at.getTime() });
const fieldError = (html: string) => /<p class="field-error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1] ?? null;
const secretIn = (html: string) => /<code class="factor-secret">([A-Z2-7 ]+)<\/code>/.exec(html)?.[1]?.replace(/ /g, '') ?? null;
const recoveryCodesIn = (html: string) => [...html.matchAll(/<li><code>([a-z2-9-]{19})<\/code><\/li>/g)].map((m) => m[1]!);

async function signIn(who: ConsoleVisitor, email: string, next?: string) {
  await who.get(next ? `/?next=${encodeURIComponent(next)}` : '/');
  return who.post('/login', { email, password: PASSWORD, ...(next ? { next } : {}) });
}

beforeAll(async () => {
  db = await createTestDatabase();
  sink = await startSmtpSink();
  transport = createMailTransport({ smtpUrl: sink.url, dataDir: db.dataDir, from: 'Aftercare <aftercare@maker.test>' });
  mail.outbox = new NoticeOutbox(db.knex, transport);
  const users = new UsersRepository(db.knex);
  await users.ensureAdmin(ADMIN_TOKEN);
  engineerToken = await users.issueToken((await users.create({ name: 'Engineer', email: 'eng@maker.test', role: 'engineer' })).id, 'test');
  const log = createLogger({ level: 'info', destination: new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }) });
  const app = createApp({ knex: db.knex, log, logger: { error: (message, error) => logLines.push(`${message} ${String(error)}`) }, mail });
  app.use(
    createConsole({
      knex: db.knex,
      logger: { error: (message, error) => consoleErrors.push([message, error]) },
      mail,
      secondFactor: { key: 'the second factor key of this test, 32+ chars', maxWaitMs: 60_000 },
      now: () => clock,
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

afterEach(() => expect(consoleErrors).toEqual([]));

let secret = '';
let recoveryCodes: string[] = [];
let financeId = 0;

describe('the second factor', () => {
  it('a finance person who sets a password is held at enrolment: nothing else opens but sign-out and the language', async () => {
    const response = await fetch(`${server.url}/api/users/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'fin@maker.test', name: 'Qian Cai', role: 'finance', locale: 'en' }),
    });
    expect(response.status).toBe(201);
    financeId = ((await response.json()) as { user: { id: number } }).user.id;
    const link = /http:\/\/[^\s]+\/password\?token=[A-Za-z0-9_-]+/.exec((await sink.waitFor(1))[0]!.text)![0];
    const who = new ConsoleVisitor(server.url);
    await who.get(link.replace(server.url, ''));
    const set = await who.post('/password', { token: new URL(link).searchParams.get('token')!, password: PASSWORD, confirm: PASSWORD });
    expect(set.headers.get('location')).toBe('/home');
    for (const path of ['/home', '/projects', '/second-factor', '/']) {
      const held = await who.get(path);
      expect({ path, status: held.status, location: held.headers.get('location') }).toEqual({ path, status: 303, location: { '/projects': '/profile/second-factor?next=%2Fprojects', '/second-factor': '/profile/second-factor?next=%2Fsecond-factor' }[path] ?? '/profile/second-factor' });
    }
    // The link pages need no session: a held one reaches them too, and a link's token never becomes a `next`.
    expect((await who.get('/password/forgot')).status).toBe(200);
    expect((await who.get('/password?token=not-a-token')).status).toBe(404);
    const page = await who.get('/profile/second-factor');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Your role requires a second factor');
    expect(page.body).toMatch(/<img class="factor-qr" src="data:image\/png;base64,/);
    expect(page.headers.get('content-security-policy')).toContain("img-src 'self' data:");
    secret = secretIn(page.body)!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    secrets.push(secret);
    // The language switch stays open (and the page follows it).
    expect((await who.post('/locale', { locale: 'zh-CN', back: '/profile/second-factor' })).status).toBe(303);
    const wrong = await who.post('/profile/second-factor', { step: 'confirm', code: codeAt(secret, clock) === '000000' ? '000001' : '000000' });
    expect(wrong.status).toBe(400);
    expect(fieldError(wrong.body)).toBe('验证码不正确。请检查手机时间，并输入当前的验证码。');
    const code = codeAt(secret, clock);
    secrets.push(code);
    const done = await who.post('/profile/second-factor', { step: 'confirm', code });
    expect(done.status).toBe(200);
    recoveryCodes = recoveryCodesIn(done.body);
    expect(recoveryCodes).toHaveLength(10);
    secrets.push(...recoveryCodes);
    // A double submit shows the codes no second time.
    expect((await who.post('/profile/second-factor', { step: 'confirm', code })).headers.get('location')).toBe('/profile/second-factor');
    expect((await who.get('/home')).status).toBe(200);
    expect((await who.post('/logout', {})).headers.get('location')).toBe('/?ended=signed_out');
  });

  it('the next sign-in passes the gate before anything, keeps the deep link, and refuses wrong, reused and used codes beside the field', async () => {
    const who = new ConsoleVisitor(server.url);
    const signedIn = await signIn(who, 'fin@maker.test', '/projects');
    expect(signedIn.headers.get('location')).toBe('/projects');
    const held = await who.get('/projects');
    expect(held.headers.get('location')).toBe('/second-factor?next=%2Fprojects');
    expect((await who.get('/profile/second-factor')).headers.get('location')).toBe('/second-factor?next=%2Fprofile%2Fsecond-factor');
    const gate = await who.get('/second-factor?next=%2Fprojects');
    expect(gate.status).toBe(200);
    expect(gate.body).toContain('name="next" value="/projects"');
    // zh-CN, as the person chose on the enrolment page.
    expect(gate.body).toContain('请输入双重验证码');
    const reused = await who.post('/second-factor', { code: codeAt(secret, clock), next: '/projects' });
    expect(reused.status).toBe(400);
    expect(fieldError(reused.body)).toBe('此验证码已使用过。请等待下一个验证码再输入。');
    expect(reused.body).toContain('name="next" value="/projects"');
    expect(fieldError((await who.post('/second-factor', { code: '12345', next: '/projects' })).body)).toBe('验证码为 6 位数字；恢复码为 16 位字母和数字。');
    tick();
    const code = codeAt(secret, clock);
    secrets.push(code);
    const passed = await who.post('/second-factor', { code, next: '/projects' });
    expect(passed.headers.get('location')).toBe('/projects');
    expect((await who.get('/projects')).status).toBe(200);
    expect((await who.get('/second-factor')).headers.get('location')).toBe('/home');

    const other = new ConsoleVisitor(server.url);
    await signIn(other, 'fin@maker.test');
    await other.get('/second-factor');
    expect(fieldError((await other.post('/second-factor', { code })).body)).toBe('此验证码已使用过。请等待下一个验证码再输入。');
    const recovery = await other.post('/second-factor', { code: recoveryCodes[0]!.toUpperCase() });
    expect(recovery.headers.get('location')).toBe('/home');
    const third = new ConsoleVisitor(server.url);
    await signIn(third, 'fin@maker.test');
    await third.get('/second-factor');
    const used = await third.post('/second-factor', { code: recoveryCodes[0]! });
    expect(used.status).toBe(400);
    expect(fieldError(used.body)).toBe('此恢复码无效或已使用过。');
    // Wrong codes: after five in a row the next try waits, said beside the field with Retry-After.
    for (let i = 0; i < 4; i += 1) expect((await third.post('/second-factor', { code: '000000' === codeAt(secret, clock) ? '000001' : '000000' })).status).toBe(400);
    const waiting = await third.post('/second-factor', { code: codeAt(secret, clock) });
    expect(waiting.status).toBe(429);
    expect(waiting.headers.get('retry-after')).toBe('1');
    expect(fieldError(waiting.body)).toBe('验证码错误次数过多：请等待 1 秒后再试。');

    const profile = await other.get('/profile/second-factor');
    expect(profile.body).toContain('您还有 9 个未使用的恢复码。');
    // Finance must keep a factor: no way to turn it off.
    expect(profile.body).not.toContain('factor-disable');
    tick();
    const renewed = await other.post('/profile/second-factor', { step: 'regenerate', code: codeAt(secret, clock) });
    expect(renewed.status).toBe(200);
    const fresh = recoveryCodesIn(renewed.body);
    expect(fresh).toHaveLength(10);
    secrets.push(...fresh);
    expect((await other.get('/profile/second-factor')).body).toContain('您还有 10 个未使用的恢复码。');
    const stale = await other.post('/profile/second-factor', { step: 'regenerate', code: codeAt(secret, clock) });
    expect(stale.status).toBe(400);
    expect(fieldError(stale.body)).toBe('此验证码已使用过。请等待下一个验证码再输入。');
  });

  it('an admin resets the factor through the API: the person’s sessions end and the next sign-in enrols afresh; nobody else may', async () => {
    expect((await api('POST', `/users/${financeId}/second-factor/reset`, engineerToken)).status).toBe(403);
    const who = new ConsoleVisitor(server.url);
    await signIn(who, 'fin@maker.test');
    await who.get('/second-factor');
    tick();
    const code = codeAt(secret, clock);
    expect((await who.post('/second-factor', { code })).status).toBe(303);
    const reset = await api('POST', `/users/${financeId}/second-factor/reset`, ADMIN_TOKEN);
    expect(reset.status).toBe(200);
    expect(reset.body).toMatchObject({ user: { id: financeId, role: 'finance' }, hadFactor: true });
    expect(reset.body.sessionsEnded).toBeGreaterThanOrEqual(1);
    expect((await who.get('/home')).headers.get('location')).toBe('/?ended=second_factor_reset');
    const again = new ConsoleVisitor(server.url);
    await signIn(again, 'fin@maker.test');
    expect((await again.get('/home')).headers.get('location')).toBe('/profile/second-factor');
    // Held, they can still sign out.
    const leaving = new ConsoleVisitor(server.url);
    await signIn(leaving, 'fin@maker.test');
    await leaving.get('/profile/second-factor');
    expect((await leaving.post('/logout', {})).headers.get('location')).toBe('/?ended=signed_out');
    const fresh = secretIn((await again.get('/profile/second-factor')).body)!;
    expect(fresh).not.toBe(secret);
    secrets.push(fresh);
    expect((await api('POST', '/users/999999/second-factor/reset', ADMIN_TOKEN)).status).toBe(404);
    const audit = await auditRowsOnce<{ status_code: number; entity_id: number | null }>(db.knex, (q) => q.where('action', 'like', '%/second-factor/reset%').orderBy('id'), (rows) => rows.length >= 3);
    expect(audit.map((row: { status_code: number; entity_id: number | null }) => [row.status_code, row.entity_id === null ? null : Number(row.entity_id)])).toEqual([[403, null], [200, financeId], [404, null]]);
  });

  it('a session opened with an admin’s or finance token is held like a signed-in one; the bootstrap admin token’s and other roles’ are not', async () => {
    const users = new UsersRepository(db.knex);
    const tokenOf = async (role: 'admin' | 'finance', email: string) => users.issueToken((await users.create({ name: `Token ${role}`, email, role })).id, 'test');
    // The bootstrap admin's own token named 'bootstrap' through the API is not the bootstrap token.
    const made = await fetch(`${server.url}/api/tokens`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bootstrap' }) });
    expect(made.status).toBe(201);
    const namedBootstrap = ((await made.json()) as { token: string }).token;
    for (const token of [await tokenOf('finance', 'fin-token@maker.test'), await tokenOf('admin', 'admin-token@maker.test'), namedBootstrap]) {
      const held = new ConsoleVisitor(server.url);
      await held.get('/');
      expect((await held.post('/login', { token })).status).toBe(303);
      const home = await held.get('/home');
      expect(home.status).toBe(303);
      expect(home.headers.get('location')).toMatch(/^\/profile\/second-factor(\?|$)/);
      expect((await held.get('/profile/second-factor')).body).toContain('factor-secret');
    }
    // The bootstrap admin token: the machine path docs/security.md says to retire.
    const bootstrap = new ConsoleVisitor(server.url);
    expect((await bootstrap.signIn(ADMIN_TOKEN)).headers.get('location')).toBe('/home');
    expect((await bootstrap.get('/home')).status).toBe(200);
    expect((await bootstrap.get('/profile/second-factor')).status).toBe(200);
    // An engineer's token (a role that need not enrol): a machine's session, not held.
    const engineer = new ConsoleVisitor(server.url);
    expect((await engineer.signIn(engineerToken)).headers.get('location')).toBe('/home');
    expect((await engineer.get('/home')).status).toBe(200);
  });

  it('no secret, code or recovery code in a log line, an audit row, the outbox or an API answer', async () => {
    expect(secrets.length).toBeGreaterThan(12);
    const places = {
      logs: logLines.join('\n'),
      audit: JSON.stringify(await db.knex('audit_log').select()),
      outbox: JSON.stringify(await db.knex('notice_outbox').select()),
      mail: JSON.stringify(sink.messages),
      api: answers.join('\n'),
      sessions: JSON.stringify(await db.knex('console_sessions').select()),
      factors: JSON.stringify(await db.knex('user_second_factors').select()),
      codes: JSON.stringify(await db.knex('user_recovery_codes').select()),
    };
    for (const text of secrets) {
      for (const [where, haystack] of Object.entries(places)) {
        // A 6-digit code may appear by chance inside a long number (a timestamp): look for it whole.
        const found = new RegExp(`(^|[^0-9A-Za-z])${text.replace(/-/g, '-?')}([^0-9A-Za-z]|$)`, 'i').test(haystack);
        expect({ where, text, found }).toEqual({ where, text, found: false });
      }
    }
  });
});
