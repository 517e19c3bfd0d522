import express from 'express';
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { formFromApiError, formFromError } from '../../platform/console/forms';
import { DomainError } from '../../domain/errors';
import { SESSION_COOKIE } from '../../platform/console/session';
import { createRenderer } from '../../platform/console/views';
import { validationFailed } from '../../platform/http/errors';
import { ConsoleSessionsRepository } from '../../people/sessions';
import { generateToken, hashToken } from '../../platform/tokens';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { ContractsRepository } from '../../installedBase/contracts';
import { CustomersRepository } from '../../installedBase/customers';
import { DevicesRepository } from '../../installedBase/devices';
import { ProjectAccessRepository } from '../../processes/delivery/projectAccess';
import { ProjectsRepository, type Project } from '../../processes/delivery/repository';
import { UsersRepository } from '../../people/repository';
import { PROJECT_STAGES, type ProjectStage } from '../../processes/delivery/rules';
import { createTestDatabase, type TestDatabase } from '../support/db';

const HOSTILE_NAME = 'DR room <script>alert("pwned")</script> & co';
const HOUR = 3_600_000;

let db: TestDatabase;
let app: express.Application;
let server: ApiServer;
let adminToken: string;
let engineerToken: string;
let admin: ConsoleVisitor;
let installing: Project;
let trialRun: Project;
const logged: Array<[string, unknown]> = [];
/** The console's clock: null follows the real one; tests of expiry set it. */
let clock: Date | null = null;

const visitor = () => new ConsoleVisitor(server.url);
const get = (path: string, who: ConsoleVisitor = visitor()) => who.get(path);
const request = (method: string, path: string, options: { form?: Record<string, string>; headers?: Record<string, string> } = {}) => visitor().request(method, path, options);

async function signedIn(token: string): Promise<ConsoleVisitor> {
  const who = visitor();
  const page = await who.signIn(token);
  expect(page.status).toBe(303);
  return who;
}

/** Every <form> of a page, each of which must carry the CSRF token. */
function forms(html: string): string[] {
  return [...html.matchAll(/<form[\s\S]*?<\/form>/g)].map((m) => m[0]);
}

/** The rows of the work queue's table body: contract numbers, in order. */
function listedContracts(html: string): string[] {
  const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...tbody.matchAll(/<a href="\/projects\/\d+">([^<]*)<\/a>/g)].map((m) => m[1]!);
}

/** Undoes the attribute escaping Handlebars applies (`=` → `&#x3D;`, `&` → `&amp;`). */
const unescapeAttribute = (value: string) => value.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

/** The stage filter links: where they go, their label and count, and which one is current. */
function stageFilters(html: string): Array<{ href: string; label: string; count: number; current: boolean }> {
  const nav = /<nav class="filters"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return [...nav.matchAll(/<a href="([^"]*)"( aria-current="page")?>([^<]*) <span class="count">(\d+)<\/span><\/a>/g)].map((m) => ({
    href: unescapeAttribute(m[1]!),
    label: m[3]!,
    count: Number(m[4]),
    current: Boolean(m[2]),
  }));
}

/** The previous/next page links of the work queue. */
function pageLink(html: string, rel: 'prev' | 'next'): string | null {
  const match = new RegExp(`<a href="([^"]*)" rel="${rel}">`).exec(html);
  return match ? unescapeAttribute(match[1]!) : null;
}

async function seedProject(contractNo: string, name: string, stage: ProjectStage, serials: string[], timeZone = 'Asia/Shanghai'): Promise<Project> {
  const customer = await new CustomersRepository(db.knex).create({
    name: 'Nanchang First Hospital',
    timeZone,
    class: 'key',
    contacts: [{ name: 'Wang Fang', email: 'wang.fang@hospital.test', role: 'interface', isPrimary: true }],
  });
  const contract = await new ContractsRepository(db.knex).create({ customerId: customer.id, contractNo, kind: 'project', policyOverrides: {}, resolvedPolicy: {} });
  const project = await new ProjectsRepository(db.knex).create(
    {
      customerId: customer.id,
      contractId: contract.id,
      contractNo,
      name,
      projectManager: { name: 'Zhang Wei', email: 'pm@maker.test', locale: 'zh-CN' },
      serviceManager: { name: 'Liu Yang', email: 'service-manager@maker.test', locale: 'en' },
      stage,
    },
    new Date('2026-01-05T01:00:00Z'),
  );
  await new DevicesRepository(db.knex).createMany(
    customer.id,
    serials.map((serial) => ({ serial, model: 'DR-7000', brand: 'Tengyang', projectId: project.id })),
  );
  return project;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const users = new UsersRepository(db.knex);
  adminToken = generateToken();
  await users.ensureAdmin(adminToken);
  const engineer = await users.create({ name: 'Chen Jie', email: 'engineer@maker.test', role: 'engineer' });
  engineerToken = await users.issueToken(engineer.id, 'console test');

  installing = await seedProject('HT-CONSOLE-1', HOSTILE_NAME, 'installing', ['DR-C-0001', 'DR-C-0002']);
  trialRun = await seedProject('HT-CONSOLE-2', 'CT suite upgrade', 'trial_run', ['CT-C-0001']);

  const projects = new ProjectsRepository(db.knex);
  await new DevicesRepository(db.knex).setWarranty(['DR-C-0001'], new Date('2026-03-01T00:00:00Z'), new Date('2027-02-28T16:00:00Z'));
  await projects.addEvent(installing.id, {
    eventKey: 'started',
    kind: 'project_started',
    at: '2026-01-05T01:30:00Z', // 09:30 in Asia/Shanghai
    summary: 'Project started; kick-off due within 3 days',
  });
  await projects.addEvent(installing.id, {
    eventKey: 'kickoff',
    kind: 'kickoff',
    at: '2026-01-06T17:45:00Z', // the next day, 01:45, in Asia/Shanghai
    actor: { userId: engineer.id, name: 'Zhang Wei', role: 'project_manager' },
    summary: 'Kick-off meeting held with <b>the customer</b>',
  });
  await projects.applyPatch(trialRun.id, { trialStartedAt: '2026-02-01T02:00:00Z', trialEndsAt: '2026-02-15T02:00:00Z', trialExtensions: 1 });
  await projects.upsertTrialIssue(trialRun.id, { id: 'I1', title: 'Image noise on detector 2', round: 1, loggedAt: '2026-02-03T03:00:00Z' });
  await projects.upsertDoaCase(trialRun.id, {
    damage: { description: 'Cracked housing on arrival', cause: 'transport' },
    state: { serial: 'CT-C-0001', status: 'awaiting_shipment', shipBy: '2026-02-20T10:00:00Z' },
  });

  app = createApp({ knex: db.knex, logger: { error: (message, error) => logged.push([message, error]) } });
  app.use(
    createConsole({
      knex: db.knex,
      logger: { error: (message, error) => logged.push([message, error]) },
      // The tests sign in far more often than a person would.
      signInLimit: { attempts: 1000, windowMs: 60_000 },
      now: () => clock ?? new Date(),
    }),
  );
  server = await startApiServer(app, 0, '127.0.0.1');
  admin = await signedIn(adminToken);
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

afterEach(() => {
  clock = null;
  expect(logged).toEqual([]);
});

describe('sign-in', () => {
  it('shows the token form at / with a CSRF token, as HTML under helmet’s headers and a strict content policy', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none';style-src 'self';script-src 'self';img-src 'self';form-action 'self';frame-ancestors 'none';base-uri 'none'");
    // no-referrer made Chromium post the form with `Origin: null`.
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toMatch(/<form method="post" action="\/login" class="signin">\n<input type="hidden" name="_csrf" value="[0-9a-f]{64}\.[0-9a-f]{64}">/);
    expect(page.body).toContain('name="token" type="password"');
    expect(page.body).not.toContain('Sign out');
    expect(page.body).not.toMatch(/<script|style=|<style/);
  });

  it('serves the one stylesheet the content policy allows', async () => {
    const page = await get('/assets/console.css');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/css/);
    expect(page.body).toContain('.field-error');
  });

  it('answers a bad token with 401, the error beside the field and no session', async () => {
    const who = visitor();
    await who.get('/');
    const page = await who.post('/login', { token: 'ac_not-a-real-token' });
    expect(page.status).toBe(401);
    expect(page.body).toContain('aria-invalid="true" aria-describedby="f-token-error"');
    expect(page.body).toContain('<p class="field-error" id="f-token-error">That token is not valid');
    expect(page.body).not.toContain('ac_not-a-real-token');
    expect(who.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it('answers an empty token with 400', async () => {
    const who = visitor();
    await who.get('/');
    const page = await who.post('/login', { token: '   ' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('Enter an API token');
  });

  it('opens a session: a random id in an HttpOnly, SameSite=Lax cookie, only its hash stored, never the token', async () => {
    const who = visitor();
    await who.get('/');
    const page = await who.post('/login', { token: adminToken });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/home');
    const cookie = page.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`)) ?? '';
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; Max-Age=604800/);
    const sessionId = who.cookies.get(SESSION_COOKIE)!;
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessionId).not.toContain(adminToken);
    const row = await db.knex('console_sessions').where({ session_hash: hashToken(sessionId) }).first();
    expect(row).toBeDefined();
    const stored = JSON.stringify(await db.knex('console_sessions').select());
    expect(stored).not.toContain(sessionId);
    expect(stored).not.toContain(adminToken);

    const next = await who.get('/projects');
    expect(next.status).toBe(200);
    expect(next.body).toContain('Administrator');
  });

  it('takes a form posted with `Origin: null`, as Chromium sends it', async () => {
    const who = visitor();
    await who.get('/');
    const page = await who.post('/login', { token: adminToken }, { headers: { origin: 'null' } });
    expect(page.status).toBe(303);
  });

  it('refuses a sign-in form without the CSRF token or with another visitor’s, with a fresh form', async () => {
    const forger = visitor();
    const forged = await forger.post('/login', { token: adminToken }, { withoutCsrf: true, headers: { origin: 'https://evil.example' } });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('This form has expired or did not come from the console');
    expect(forger.cookies.has(SESSION_COOKIE)).toBe(false);

    const victim = visitor();
    await victim.get('/');
    const stolen = await forger.post('/login', { token: adminToken, _csrf: victim.csrfToken! });
    expect(stolen.status).toBe(403);
    // The fresh form it got works.
    expect((await forger.post('/login', { token: adminToken })).status).toBe(303);
  });

  it('sends a signed-in visitor of / on to their home', async () => {
    const page = await get('/', admin);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/home');
  });

  it('admits any role (the pages are read-only)', async () => {
    const engineer = await signedIn(engineerToken);
    const page = await engineer.post('/locale', { locale: 'en', back: '/projects' });
    expect(page.status).toBe(303);
    expect((await engineer.get('/projects')).body).toContain('<a class="profile" href="/profile">Chen Jie</a> · Engineer');
  });
});

describe('sessions end', () => {
  const sessionRow = async (who: ConsoleVisitor) => new ConsoleSessionsRepository(db.knex).get((await new ConsoleSessionsRepository(db.knex).idOf(who.cookies.get(SESSION_COOKIE)!))!);

  it('at sign-out: the session is revoked, and its old cookie is refused afterwards', async () => {
    const who = await signedIn(adminToken);
    const oldCookie = who.cookies.get(SESSION_COOKIE)!;
    const row = await sessionRow(who);
    const page = await who.post('/logout', {});
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/?ended=signed_out');
    expect(page.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=;`) && /Expires=Thu, 01 Jan 1970/.test(c))).toBe(true);
    expect((await new ConsoleSessionsRepository(db.knex).get(row!.id))?.revokedReason).toBe('signed_out');
    expect((await who.get('/?ended=signed_out')).body).toContain('You are signed out.');

    const replay = visitor();
    replay.cookies.set(SESSION_COOKIE, oldCookie);
    const refused = await replay.get('/projects');
    expect(refused.status).toBe(303);
    expect(refused.headers.get('location')).toBe('/?ended=signed_out&next=%2Fprojects');
    expect(replay.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it('a sign-out after the session ended just goes to the sign-in page', async () => {
    const start = new Date('2026-07-01T00:00:00Z');
    clock = start;
    const who = await signedIn(adminToken);
    clock = new Date(start.getTime() + 13 * HOUR);
    const page = await who.post('/logout', {});
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/');
  });

  it('refuses a sign-out without the CSRF token and stays signed in', async () => {
    const who = await signedIn(adminToken);
    const page = await who.post('/logout', {}, { withoutCsrf: true });
    expect(page.status).toBe(403);
    expect((await who.get('/projects')).status).toBe(200);
  });

  it('when its API token is revoked or its user deactivated, for good', async () => {
    const users = new UsersRepository(db.knex);
    const user = await users.create({ name: 'Leaving Soon', email: 'leaving@maker.test', role: 'engineer' });
    const token = await users.issueToken(user.id, 'console test');
    const who = await signedIn(token);
    expect((await who.get('/projects')).status).toBe(200);
    const row = await sessionRow(who);
    await users.revokeToken(token);
    const page = await who.get('/projects');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/?ended=token_revoked&next=%2Fprojects');
    expect((await new ConsoleSessionsRepository(db.knex).get(row!.id))?.revokedReason).toBe('token_revoked');

    const other = await users.create({ name: 'Deactivated Soon', email: 'deactivated@maker.test', role: 'engineer' });
    const second = await signedIn(await users.issueToken(other.id, 'console test'));
    const secondRow = await sessionRow(second);
    await db.knex('users').where({ id: other.id }).update({ active: false });
    expect((await second.get('/projects')).headers.get('location')).toBe('/?ended=user_deactivated&next=%2Fprojects');
    // Reactivating the user does not bring the session back.
    await db.knex('users').where({ id: other.id }).update({ active: true });
    expect((await second.get('/projects')).status).toBe(303);
    expect((await new ConsoleSessionsRepository(db.knex).get(secondRow!.id))?.revokedReason).toBe('user_deactivated');
  });

  it('after 12 hours idle, and after 7 days however busy', async () => {
    const start = new Date('2026-06-01T00:00:00Z');
    clock = start;
    const idle = await signedIn(adminToken);
    const busy = await signedIn(adminToken);
    clock = new Date(start.getTime() + 11 * HOUR);
    expect((await idle.get('/projects')).status).toBe(200);
    clock = new Date(start.getTime() + 23 * HOUR - 1000);
    expect((await idle.get('/projects')).status).toBe(200);
    clock = new Date(start.getTime() + 35 * HOUR);
    const page = await idle.get('/projects');
    expect(page.headers.get('location')).toBe('/?ended=idle&next=%2Fprojects');
    expect((await idle.get('/?ended=idle')).body).toContain('Your session ended after a long time without activity.');

    for (let hours = 10; hours < 7 * 24; hours += 10) {
      clock = new Date(start.getTime() + hours * HOUR);
      expect((await busy.get('/projects')).status).toBe(200);
    }
    clock = new Date(start.getTime() + 7 * 24 * HOUR);
    expect((await busy.get('/projects')).headers.get('location')).toBe('/?ended=expired&next=%2Fprojects');
  });

  it('a new sign-in in the same browser replaces the old session', async () => {
    const who = await signedIn(adminToken);
    const first = await sessionRow(who);
    await who.get('/projects');
    expect((await who.post('/login', { token: adminToken })).status).toBe(303);
    expect((await new ConsoleSessionsRepository(db.knex).get(first!.id))?.revokedReason).toBe('signed_out');
    expect((await who.get('/projects')).status).toBe(200);
  });
});

describe('the audit trail', () => {
  it('records sign-in, failed sign-in, language switch and sign-out, never with a token or session id', async () => {
    const users = new UsersRepository(db.knex);
    const user = await users.create({ name: 'Audited', email: 'audited@maker.test', role: 'finance' });
    const token = await users.issueToken(user.id, 'console test');
    const who = visitor();
    await who.get('/');
    await who.post('/login', { token: 'ac_wrong-guess' });
    expect((await who.signIn(token)).status).toBe(303);
    const sessionId = who.cookies.get(SESSION_COOKIE)!;
    const sessionRowId = await new ConsoleSessionsRepository(db.knex).idOf(sessionId);
    await who.post('/locale', { locale: 'en', back: '/projects' });
    await who.post('/logout', {});

    const since = (await db.knex('audit_log').where({ action: 'POST /login (console)', status_code: 401 }).orderBy('id', 'desc').first()) as { id: number };
    const rows = (await db.knex('audit_log').where('id', '>=', since.id).andWhere('action', 'like', '%(console)').orderBy('id')) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.action, r.status_code, r.actor_user_id === null ? null : Number(r.actor_user_id)])).toEqual([
      ['POST /login (console)', 401, null],
      ['POST /login (console)', 303, user.id],
      // Finance must enrol a second factor first, token or not (issue #21): the secret shown, then confirmed.
      ['GET /profile/second-factor (console)', 200, user.id],
      ['POST /profile/second-factor (console)', 200, user.id],
      ['POST /locale (console)', 303, user.id],
      ['POST /logout (console)', 303, user.id],
    ]);
    expect(rows[1]).toMatchObject({ entity_type: 'console_session', entity_id: String(sessionRowId) });
    const text = JSON.stringify(rows);
    for (const secret of [token, 'ac_wrong-guess', sessionId]) expect(text).not.toContain(secret);
  });
});

describe('pages need a session', () => {
  it.each(['/projects', '/projects?stage=installing', '/projects/1', '/projects/999999'])('%s without a cookie redirects to the sign-in form, which keeps the page asked for', async (path) => {
    const page = await get(path);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/?next=${encodeURIComponent(path)}`);
  });

  it('an unknown session id redirects to / and clears the cookie; the fresh form then works', async () => {
    const who = visitor();
    who.cookies.set(SESSION_COOKIE, 'made-up');
    const page = await who.get('/projects');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/?next=%2Fprojects');
    expect(who.cookies.has(SESSION_COOKIE)).toBe(false);
    expect((await who.signIn(adminToken)).status).toBe(303);
  });

  it('even the old cookie holding an API token signs nobody in', async () => {
    const who = visitor();
    who.cookies.set('aftercare_console', encodeURIComponent(adminToken));
    who.cookies.set(SESSION_COOKIE, encodeURIComponent(adminToken));
    expect((await who.get('/projects')).headers.get('location')).toBe('/?next=%2Fprojects');
  });
});

describe('sign-in rate limit', () => {
  it('answers 429 after too many failed sign-ins from one address, counted in the database; successful ones do not count', async () => {
    const limited = express();
    // Behind a proxy: each test address is its own client, whatever else this database counted.
    limited.set('trust proxy', true);
    limited.use(createConsole({ knex: db.knex, signInLimit: { attempts: 2, windowMs: 60_000 } }));
    const limitedServer = await startApiServer(limited, 0, '127.0.0.1');
    try {
      const headers = { 'x-forwarded-for': '192.0.2.77' };
      const who = new ConsoleVisitor(limitedServer.url);
      const signIn = (token: string) => who.request('POST', '/login', { form: { token }, headers });
      await who.get('/');
      expect((await signIn(adminToken)).status).toBe(303);
      await who.get('/home');
      expect((await who.post('/logout', {})).status).toBe(303);
      await who.get('/');
      expect((await signIn('ac_guess-1')).status).toBe(401);
      expect((await signIn('ac_guess-2')).status).toBe(401);
      const refused = await signIn(adminToken);
      expect(refused.status).toBe(429);
      expect(refused.body).toContain('Too many failed sign-ins');
      expect(who.cookies.has(SESSION_COOKIE)).toBe(false);
    } finally {
      await limitedServer.close();
    }
  });
});

describe('language', () => {
  it('follows the user’s locale, and the switch keeps the choice on the user', async () => {
    const users = new UsersRepository(db.knex);
    const user = await users.create({ name: '李娜', email: 'li.na@maker.test', role: 'project_manager', locale: 'zh-CN' });
    // She manages the project she opens: a project manager reads only her own (domain/access.ts).
    await new ProjectAccessRepository(db.knex).setManagerUser(installing.id, user.id);
    const who = await signedIn(await users.issueToken(user.id, 'console test'));
    const chinese = await who.get(`/projects/${installing.id}`);
    expect(chinese.body).toContain('<html lang="zh-CN">');
    expect(chinese.body).toContain('<h2>时间线</h2>');
    expect(chinese.body).toContain('<span class="stage stage-installing">安装中</span>');
    expect(chinese.body).toContain('<a class="profile" href="/profile">李娜</a> · 项目经理');

    const switched = await who.post('/locale', { locale: 'en', back: `/projects/${installing.id}` });
    expect(switched.status).toBe(303);
    expect(switched.headers.get('location')).toBe(`/projects/${installing.id}`);
    expect((await users.get(user.id))?.locale).toBe('en');
    const english = await who.get(`/projects/${installing.id}`);
    expect(english.body).toContain('<html lang="en">');
    expect(english.body).toContain('<h2>Timeline</h2>');

    // A later session, in another browser, keeps the choice.
    const elsewhere = await signedIn((await users.issueToken(user.id, 'second browser')));
    expect((await elsewhere.get('/projects')).body).toContain('<html lang="en">');
  });

  it('shows the sign-in page in the browser’s language, switchable before signing in', async () => {
    const who = visitor();
    const chinese = await who.request('GET', '/', { headers: { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.5' } });
    expect(chinese.body).toContain('<h1>登录</h1>');
    expect((await who.post('/locale', { locale: 'en', back: '/' })).headers.get('location')).toBe('/');
    expect((await who.request('GET', '/', { headers: { 'accept-language': 'zh-CN' } })).body).toContain('<h1>Sign in</h1>');
  });

  it('never sends the switch off the site, and refuses an unknown locale', async () => {
    const who = await signedIn(adminToken);
    for (const back of ['//evil.example/x', 'https://evil.example', '/\\evil.example']) {
      expect((await who.post('/locale', { locale: 'en', back })).headers.get('location')).toBe('/home');
    }
    expect((await who.post('/locale', { locale: 'fr', back: '/' })).status).toBe(400);
  });
});

describe('every form carries the CSRF token', () => {
  it.each(['/', '/projects', '/projects?stage=trial_run', '/projects/999999'])('%s', async (path) => {
    const who = path === '/' ? visitor() : admin;
    const page = await who.get(path);
    const all = forms(page.body);
    expect(all.length).toBeGreaterThan(0);
    for (const form of all) expect(form).toMatch(/<input type="hidden" name="_csrf" value="[0-9a-f]{64}\.[0-9a-f]{64}">/);
  });
});

describe('the form kit', () => {
  it('shows the API’s field errors beside their fields and the others above the form', () => {
    const render = createRenderer();
    const body = validationFailed([
      { field: 'password', message: 'must start with ac_' },
      { field: 'devices.0.serial', message: 'unknown serial' },
    ]).body;
    const html = render('login', {
      title: 'Sign in',
      locale: 'en',
      timeZone: 'Asia/Shanghai',
      csrfToken: 'token-for-this-page',
      user: null,
      here: '/',
      locales: [],
      notice: null,
      form: formFromApiError(body, { password: 'secret' }, 'fallback'),
    });
    expect(html).toContain('<p class="field-error" id="f-password-error">must start with ac_</p>');
    expect(html).toContain('<li>devices.0.serial: unknown serial</li>');
    expect(html).not.toContain('secret');
    expect(html).toContain('<input type="hidden" name="_csrf" value="token-for-this-page">');
    const noField = formFromApiError({ error: { code: 'conflict', message: 'not in this stage', details: [] } }, {}, 'fallback');
    expect(noField).toEqual({ values: {}, errors: {}, problems: ['not in this stage'] });
    expect(formFromApiError('<html>bad gateway</html>', {}, 'fallback').problems).toEqual(['fallback']);
  });

  it('takes thrown errors the API would answer with a 4xx, and rethrows the rest', () => {
    expect(formFromError(new DomainError('must be after the meeting', 'meetingDate'), { meetingDate: '2026-01-01' }, 'fallback', 'en')).toEqual({
      values: { meetingDate: '2026-01-01' },
      errors: { meetingDate: ['must be after the meeting'] },
      problems: [],
    });
    const bug = new TypeError('undefined is not a function');
    expect(() => formFromError(bug, {}, 'fallback', 'en')).toThrow(bug);
  });

  it('refuses to render a form without a CSRF token', () => {
    const render = createRenderer();
    expect(() => render('login', { title: 'x', locale: 'en', timeZone: 'UTC', csrfToken: '', user: null, here: '/', locales: [], notice: null, form: formFromApiError(null, {}, 'x') })).toThrow(/csrfToken/);
  });
});

describe('times in the record’s time zone', () => {
  it('shows a project of a customer in Berlin in Berlin time, on the queue and its page', async () => {
    const berlin = await seedProject('HT-CONSOLE-BERLIN', 'Berlin clinic', 'awaiting_kickoff', ['BER-0001'], 'Europe/Berlin');
    try {
      const queue = await get('/projects?stage=awaiting_kickoff', admin);
      expect(queue.body).toContain('<time datetime="2026-01-05T01:00:00.000Z">2026-01-05 02:00</time>');
      const page = await get(`/projects/${berlin.id}`, admin);
      expect(page.body).toContain('<dt>Time zone</dt><dd>Europe/Berlin</dd>');
      expect(page.body).toContain('<time datetime="2026-01-05T01:00:00.000Z">2026-01-05 02:00</time>');
    } finally {
      await db.knex('devices').where({ project_id: berlin.id }).delete();
      await db.knex('projects').where({ id: berlin.id }).delete();
    }
  });
});

describe('GET /projects', () => {
  it('lists every project with contract no, name, stage, PM and creation time', async () => {
    const page = await get('/projects', admin);
    expect(page.status).toBe(200);
    expect(listedContracts(page.body)).toEqual(['HT-CONSOLE-1', 'HT-CONSOLE-2']);
    expect(page.body).toContain(`<a href="/projects/${installing.id}">HT-CONSOLE-1</a>`);
    expect(page.body).toContain('<span class="stage stage-installing">Installing</span>');
    expect(page.body).toContain('<span class="stage stage-trial_run">Trial run</span>');
    expect(page.body).toContain('<td>Zhang Wei</td>');
    expect(page.body).toContain('<time datetime="2026-01-05T01:00:00.000Z">2026-01-05 09:00</time>');
  });

  it('links a filter for every stage, with its count', async () => {
    const filters = stageFilters((await get('/projects', admin)).body);
    expect(filters.map((f) => f.href)).toEqual(['/projects', ...PROJECT_STAGES.map((stage) => `/projects?stage=${stage}`)]);
    expect(filters[0]).toEqual({ href: '/projects', label: 'All', count: 2, current: true });
    expect(filters.find((f) => f.href === '/projects?stage=installing')).toEqual({ href: '/projects?stage=installing', label: 'Installing', count: 1, current: false });
    expect(filters.find((f) => f.href === '/projects?stage=trial_run')?.count).toBe(1);
    expect(filters.filter((f) => f.count === 0).map((f) => f.label)).toEqual([
      'Awaiting kickoff',
      'Awaiting unboxing',
      'Initial acceptance',
      'Final acceptance',
      'Handover',
      'Completed',
      'Cancelled',
    ]);
  });

  it('filters by stage', async () => {
    const trial = await get('/projects?stage=trial_run', admin);
    expect(trial.status).toBe(200);
    expect(listedContracts(trial.body)).toEqual(['HT-CONSOLE-2']);
    expect(stageFilters(trial.body).filter((f) => f.current).map((f) => f.href)).toEqual(['/projects?stage=trial_run']);
    expect(trial.body).toContain('<h1>Projects: Trial run</h1>');

    const completed = await get('/projects?stage=completed', admin);
    expect(listedContracts(completed.body)).toEqual([]);
    expect(completed.body).toContain('No projects in this stage.');
  });

  it('answers an unknown stage or page with 400', async () => {
    const stage = await get('/projects?stage=%3Cscript%3Ebogus', admin);
    expect(stage.status).toBe(400);
    expect(stage.body).toContain('There is no stage &quot;&lt;script&gt;bogus&quot;');
    expect((await get('/projects?page=0', admin)).status).toBe(400);
  });

  it('escapes a project name containing <script>', async () => {
    const page = await get('/projects', admin);
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('DR room &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; co');
  });
});

describe('GET /projects/:id', () => {
  it('shows the stage, the timeline in Asia/Shanghai time and the devices with warranty dates', async () => {
    const page = await get(`/projects/${installing.id}`, admin);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<span class="stage stage-installing">Installing</span>');
    expect(page.body).toContain('<td><time datetime="2026-01-05T01:30:00.000Z">2026-01-05 09:30</time></td><td>system</td><td>Project started</td><td>Project started; kick-off due within 3 days</td>');
    expect(page.body).toContain(
      '<td><time datetime="2026-01-06T17:45:00.000Z">2026-01-07 01:45</time></td><td>Zhang Wei (Project manager)</td><td>Kickoff</td><td>Kick-off meeting held with &lt;b&gt;the customer&lt;/b&gt;</td>',
    );
    expect(page.body.indexOf('2026-01-05 09:30')).toBeLessThan(page.body.indexOf('2026-01-07 01:45'));
    expect(page.body).toContain('<td>DR-C-0001</td><td>DR-7000</td><td>Tengyang</td>');
    expect(page.body).toContain('<td>DR-C-0002</td>');
    expect(page.body).toContain('<time datetime="2026-03-01T00:00:00.000Z">2026-03-01 08:00</time>');
    expect(page.body).toContain('<time datetime="2027-02-28T16:00:00.000Z">2027-03-01 00:00</time>');
    expect(page.body).toContain('The trial run has not started.');
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('DR room &lt;script&gt;');
  });

  it('shows the trial run, its issues and DOA cases', async () => {
    const page = await get(`/projects/${trialRun.id}`, admin);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<dt>Ends<\/dt><dd><time datetime="2026-02-15T02:00:00.000Z">2026-02-15 10:00<\/time><\/dd>\s*<dt>Extensions<\/dt><dd>1<\/dd>/);
    expect(page.body).toContain('<td>I1</td>');
    expect(page.body).toContain('Image noise on detector 2');
    expect(page.body).toContain('<strong>open</strong>');
    expect(page.body).toContain('<td>CT-C-0001</td>\n      <td>Awaiting shipment</td>\n      <td>Transport</td>');
    expect(page.body).toContain('Cracked housing on arrival');
    expect(page.body).toContain('Nothing has happened yet.');
  });

  it('tells a Chinese reader the timeline, its kinds and the DOA case in Chinese; an entry stored before words keeps its sentence', async () => {
    const zh = await seedProject('HT-CONSOLE-ZH', 'CT 升级', 'trial_run', ['CT-ZH-0001']);
    try {
      const projects = new ProjectsRepository(db.knex);
      await projects.addEvent(zh.id, { eventKey: 'started', kind: 'project_started', at: '2026-01-05T01:30:00Z', summary: 'project CT (HT-CONSOLE-ZH) started', words: { key: 'timeline.project.project_started', params: { name: 'CT 升级', contractNo: 'HT-CONSOLE-ZH' } } });
      await projects.addEvent(zh.id, { eventKey: 'doa:CT-ZH-0001:excluded', kind: 'doa_excluded', at: '2026-01-06T01:30:00Z', summary: 'DOA CT-ZH-0001: not dead-on-arrival: force majeure', words: { key: 'timeline.doa.excluded', params: { serial: 'CT-ZH-0001', cause: 'force_majeure' } } });
      await projects.addEvent(zh.id, { eventKey: 'old', kind: 'kickoff_recorded', at: '2026-01-07T01:30:00Z', summary: 'kickoff meeting on 2026-01-07' });
      await projects.upsertDoaCase(zh.id, { damage: { description: '外壳破裂', cause: 'force_majeure' }, state: { serial: 'CT-ZH-0001', status: 'excluded', exclusion: 'force majeure' } });
      const users = new UsersRepository(db.knex);
      const reader = await users.create({ name: '周敏', email: 'zhou.min@maker.test', role: 'service_manager', locale: 'zh-CN' });
      const chinese = await (await signedIn(await users.issueToken(reader.id, 'console test'))).get(`/projects/${zh.id}`);
      expect(chinese.body).toContain('<td>项目启动</td><td>项目 CT 升级（HT-CONSOLE-ZH）已启动</td>');
      expect(chinese.body).toContain('<td>不属于开箱不良</td><td>开箱不良 CT-ZH-0001：不属于开箱不良：不可抗力</td>');
      // Stored before words: its English sentence, under its kind in Chinese.
      expect(chinese.body).toContain('<td>启动会</td><td>kickoff meeting on 2026-01-07</td>');
      expect(chinese.body).toContain('<td>CT-ZH-0001</td>\n      <td>不予更换</td>\n      <td>不可抗力</td>');
      expect(chinese.body).toContain('不予更换: 不可抗力');

      const english = await get(`/projects/${zh.id}`, admin);
      expect(english.body).toContain('<td>Project started</td><td>project CT 升级 (HT-CONSOLE-ZH) started</td>');
      expect(english.body).toContain('<td>DOA CT-ZH-0001: not dead-on-arrival: force majeure</td>');
      expect(english.body).toContain('<td>CT-ZH-0001</td>\n      <td>Excluded</td>\n      <td>Force majeure</td>');
    } finally {
      for (const table of ['project_events', 'doa_cases', 'devices']) await db.knex(table).where({ project_id: zh.id }).delete();
      await db.knex('projects').where({ id: zh.id }).delete();
    }
  });

  it.each(['999999', 'abc', '0', '1.5', '99999999999999999999'])('answers 404 for project %s', async (id) => {
    const page = await get(`/projects/${id}`, admin);
    expect(page.status).toBe(404);
    expect(page.body).toContain('Project not found');
  });
});

describe('paging (runs last: it adds projects)', () => {
  it('shows 50 projects a page with links to the neighbouring pages, keeping the stage filter', async () => {
    for (let i = 3; i <= 53; i += 1) await seedProject(`HT-CONSOLE-${i}`, `Bulk ${i}`, 'installing', [`BULK-${i}`]);
    const first = await get('/projects?stage=installing', admin);
    expect(listedContracts(first.body)).toHaveLength(50);
    expect(listedContracts(first.body)[0]).toBe('HT-CONSOLE-1');
    expect(first.body).toContain('Showing 1–50 of 52');
    expect(pageLink(first.body, 'prev')).toBeNull();
    expect(pageLink(first.body, 'next')).toBe('/projects?stage=installing&page=2');

    const second = await get('/projects?stage=installing&page=2', admin);
    expect(listedContracts(second.body)).toEqual(['HT-CONSOLE-52', 'HT-CONSOLE-53']);
    expect(second.body).toContain('Showing 51–52 of 52');
    expect(pageLink(second.body, 'prev')).toBe('/projects?stage=installing');
    expect(pageLink(second.body, 'next')).toBeNull();
  });
});

describe('failures', () => {
  it('reads a form with a long Chinese text (a 5,000-character report percent-encodes to 45 kB)', async () => {
    const page = await request('POST', '/login', { form: { token: '安'.repeat(5_000) } });
    expect(page.status).not.toBe(413);
  });

  it('answers an oversized sign-in form with 413, not a stack trace', async () => {
    const page = await request('POST', '/login', { form: { token: 'x'.repeat(300_000) } });
    expect(page.status).toBe(413);
    expect(page.body).toContain('The form could not be read.');
  });

  it('shows a plain 500 page when the database fails, and logs the error', async () => {
    const broken = await createTestDatabase();
    await broken.destroy();
    const errors: Array<[string, unknown]> = [];
    const brokenApp = express();
    brokenApp.use(createConsole({ knex: broken.knex, logger: { error: (message, error) => errors.push([message, error]) } }));
    const brokenServer = await startApiServer(brokenApp, 0, '127.0.0.1');
    try {
      const response = await fetch(`${brokenServer.url}/projects`, { headers: { cookie: `${SESSION_COOKIE}=any` }, redirect: 'manual' });
      const body = await response.text();
      expect(response.status).toBe(500);
      expect(body).toContain('Something went wrong');
      expect(body).not.toMatch(/ at |Error:/);
      expect(errors.map(([message]) => message)).toEqual(['[console] GET /projects failed']);
    } finally {
      await brokenServer.close();
    }
  });

  it("leaves errors raised before it to the app's own handlers", async () => {
    const other = express();
    other.use('/elsewhere', () => {
      throw Object.assign(new Error('not mine'), { status: 418 });
    });
    other.use(createConsole({ knex: db.knex }));
    other.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(599).type('text').send('app handler');
    });
    const otherServer = await startApiServer(other, 0, '127.0.0.1');
    try {
      const response = await fetch(`${otherServer.url}/elsewhere`);
      expect(response.status).toBe(599);
      expect(await response.text()).toBe('app handler');
    } finally {
      await otherServer.close();
    }
  });
});

describe('living next to the API', () => {
  it('leaves /api and /healthz to the API', async () => {
    const unknown = await request('GET', '/api/nope');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.code).toBe('not_found');
    const projects = await request('GET', '/api/users/me', { headers: { authorization: `Bearer ${adminToken}` } });
    expect(projects.headers.get('content-type')).toMatch(/json/);
    expect((await request('GET', '/healthz')).headers.get('content-type')).toMatch(/json/);
  });

  it('the API answers under helmet’s headers too, with a content policy that allows nothing', async () => {
    for (const path of ['/api/users/me', '/healthz']) {
      const answer = await request('GET', path);
      expect(answer.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
      expect(answer.headers.get('strict-transport-security')).toMatch(/^max-age=/);
    }
  });

  it('leaves paths it does not serve to whatever is mounted after it', async () => {
    app.get('/after-console', (_req, res) => {
      res.type('text').send('reached');
    });
    const page = await request('GET', '/after-console');
    expect(page.status).toBe(200);
    expect(page.body).toBe('reached');
  });
});
