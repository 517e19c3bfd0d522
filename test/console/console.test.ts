import express from 'express';
import { createApp, startApiServer, type ApiServer } from '../../api';
import { createConsole } from '../../console';
import { SESSION_COOKIE } from '../../console/session';
import { ContractsRepository } from '../../db/repositories/contracts';
import { CustomersRepository } from '../../db/repositories/customers';
import { DevicesRepository } from '../../db/repositories/devices';
import { ProjectsRepository, type Project } from '../../db/repositories/projects';
import { generateToken, UsersRepository } from '../../db/repositories/users';
import { PROJECT_STAGES, type ProjectStage } from '../../domain/delivery';
import { createTestDatabase, type TestDatabase } from '../support/db';

interface Page {
  status: number;
  headers: Headers;
  body: string;
}

const HOSTILE_NAME = 'DR room <script>alert("pwned")</script> & co';

let db: TestDatabase;
let app: express.Application;
let server: ApiServer;
let adminToken: string;
let engineerToken: string;
let installing: Project;
let trialRun: Project;
const logged: Array<[string, unknown]> = [];

async function request(method: string, path: string, options: { cookie?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Page> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  let body: string | undefined;
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const response = await fetch(`${server.url}${path}`, { method, headers, body, redirect: 'manual' });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

const session = (token: string) => `${SESSION_COOKIE}=${encodeURIComponent(token)}`;
const get = (path: string, token?: string) => request('GET', path, { cookie: token === undefined ? undefined : session(token) });

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

async function seedProject(contractNo: string, name: string, stage: ProjectStage, serials: string[]): Promise<Project> {
  const customer = await new CustomersRepository(db.knex).create({
    name: 'Nanchang First Hospital',
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
  app.use(createConsole({ knex: db.knex, logger: { error: (message, error) => logged.push([message, error]) } }));
  server = await startApiServer(app, 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

afterEach(() => {
  expect(logged).toEqual([]);
});

describe('sign-in', () => {
  it('shows the token form at / without a cookie, as HTML with a strict content policy', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toMatch(/<form class="signin" method="post" action="\/login">/);
    expect(page.body).toContain('name="token"');
    expect(page.body).not.toContain('Sign out');
  });

  it('answers a bad token with 401, the error on the form and no cookie', async () => {
    const page = await request('POST', '/login', { form: { token: 'ac_not-a-real-token' } });
    expect(page.status).toBe(401);
    expect(page.body).toContain('That token is not valid');
    expect(page.body).toContain('name="token"');
    expect(page.headers.get('set-cookie')).toBeNull();
  });

  it('answers an empty token with 400', async () => {
    const page = await request('POST', '/login', { form: { token: '   ' } });
    expect(page.status).toBe(400);
    expect(page.body).toContain('Enter an API token');
  });

  it('sets an HttpOnly, SameSite=Strict cookie for a good token and redirects to /projects', async () => {
    const page = await request('POST', '/login', { form: { token: adminToken } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/projects');
    const cookie = page.headers.get('set-cookie') ?? '';
    expect(cookie.startsWith(`${session(adminToken)};`)).toBe(true);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\//);

    const next = await get('/projects', adminToken);
    expect(next.status).toBe(200);
    expect(next.body).toContain('Administrator');
  });

  it('sends a signed-in visitor of / on to /projects', async () => {
    const page = await get('/', adminToken);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/projects');
  });

  it('refuses a sign-in form posted from another site', async () => {
    const page = await request('POST', '/login', { form: { token: adminToken }, headers: { origin: 'https://evil.example' } });
    expect(page.status).toBe(403);
    expect(page.headers.get('set-cookie')).toBeNull();
  });

  it('clears the cookie on logout', async () => {
    const page = await request('POST', '/logout', { cookie: session(adminToken) });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/');
    expect(page.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; Max-Age=0;`));
  });

  it('admits any role (the pages are read-only)', async () => {
    const page = await get('/projects', engineerToken);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Chen Jie · Engineer');
  });
});

describe('pages need the cookie', () => {
  it.each(['/projects', '/projects?stage=installing', '/projects/1', '/projects/999999'])('%s without a cookie redirects to /', async (path) => {
    const page = await get(path);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/');
  });

  it('an unknown or revoked token in the cookie redirects to / and clears the cookie', async () => {
    const users = new UsersRepository(db.knex);
    const user = await users.create({ name: 'Leaving Soon', email: 'leaving@maker.test', role: 'engineer' });
    const token = await users.issueToken(user.id, 'console test');
    expect((await get('/projects', token)).status).toBe(200);
    await users.revokeToken(token);
    for (const stale of [token, 'ac_unknown']) {
      const page = await get('/projects', stale);
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/');
      expect(page.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    }
  });
});

describe('GET /projects', () => {
  it('lists every project with contract no, name, stage, PM and creation time', async () => {
    const page = await get('/projects', adminToken);
    expect(page.status).toBe(200);
    expect(listedContracts(page.body)).toEqual(['HT-CONSOLE-1', 'HT-CONSOLE-2']);
    expect(page.body).toContain(`<a href="/projects/${installing.id}">HT-CONSOLE-1</a>`);
    expect(page.body).toContain('<span class="stage stage-installing">Installing</span>');
    expect(page.body).toContain('<span class="stage stage-trial_run">Trial run</span>');
    expect(page.body).toContain('<td>Zhang Wei</td>');
    expect(page.body).toContain('<time datetime="2026-01-05T01:00:00.000Z">2026-01-05 09:00</time>');
  });

  it('links a filter for every stage, with its count', async () => {
    const filters = stageFilters((await get('/projects', adminToken)).body);
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
    const trial = await get('/projects?stage=trial_run', adminToken);
    expect(trial.status).toBe(200);
    expect(listedContracts(trial.body)).toEqual(['HT-CONSOLE-2']);
    expect(stageFilters(trial.body).filter((f) => f.current).map((f) => f.href)).toEqual(['/projects?stage=trial_run']);
    expect(trial.body).toContain('<h1>Projects: Trial run</h1>');

    const completed = await get('/projects?stage=completed', adminToken);
    expect(listedContracts(completed.body)).toEqual([]);
    expect(completed.body).toContain('No projects in this stage.');
  });

  it('answers an unknown stage or page with 400', async () => {
    const stage = await get('/projects?stage=%3Cscript%3Ebogus', adminToken);
    expect(stage.status).toBe(400);
    expect(stage.body).toContain('There is no stage &quot;&lt;script&gt;bogus&quot;');
    expect((await get('/projects?page=0', adminToken)).status).toBe(400);
  });

  it('escapes a project name containing <script>', async () => {
    const page = await get('/projects', adminToken);
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('DR room &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; co');
  });
});

describe('GET /projects/:id', () => {
  it('shows the stage, the timeline in Asia/Shanghai time and the devices with warranty dates', async () => {
    const page = await get(`/projects/${installing.id}`, adminToken);
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
    const page = await get(`/projects/${trialRun.id}`, adminToken);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<dt>Ends<\/dt><dd><time datetime="2026-02-15T02:00:00.000Z">2026-02-15 10:00<\/time><\/dd>\s*<dt>Extensions<\/dt><dd>1<\/dd>/);
    expect(page.body).toContain('<td>I1</td>');
    expect(page.body).toContain('Image noise on detector 2');
    expect(page.body).toContain('<strong>open</strong>');
    expect(page.body).toContain('<td>CT-C-0001</td>\n      <td>Awaiting shipment</td>\n      <td>Transport</td>');
    expect(page.body).toContain('Cracked housing on arrival');
    expect(page.body).toContain('Nothing has happened yet.');
  });

  it.each(['999999', 'abc', '0', '1.5', '99999999999999999999'])('answers 404 for project %s', async (id) => {
    const page = await get(`/projects/${id}`, adminToken);
    expect(page.status).toBe(404);
    expect(page.body).toContain('Project not found');
  });
});

describe('paging (runs last: it adds projects)', () => {
  it('shows 50 projects a page with links to the neighbouring pages, keeping the stage filter', async () => {
    for (let i = 3; i <= 53; i += 1) await seedProject(`HT-CONSOLE-${i}`, `Bulk ${i}`, 'installing', [`BULK-${i}`]);
    const first = await get('/projects?stage=installing', adminToken);
    expect(listedContracts(first.body)).toHaveLength(50);
    expect(listedContracts(first.body)[0]).toBe('HT-CONSOLE-1');
    expect(first.body).toContain('Showing 1–50 of 52');
    expect(pageLink(first.body, 'prev')).toBeNull();
    expect(pageLink(first.body, 'next')).toBe('/projects?stage=installing&page=2');

    const second = await get('/projects?stage=installing&page=2', adminToken);
    expect(listedContracts(second.body)).toEqual(['HT-CONSOLE-52', 'HT-CONSOLE-53']);
    expect(second.body).toContain('Showing 51–52 of 52');
    expect(pageLink(second.body, 'prev')).toBe('/projects?stage=installing');
    expect(pageLink(second.body, 'next')).toBeNull();
  });
});

describe('failures', () => {
  it('answers an oversized sign-in form with 413, not a stack trace', async () => {
    const page = await request('POST', '/login', { form: { token: 'x'.repeat(20_000) } });
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
      const response = await fetch(`${brokenServer.url}/projects`, { headers: { cookie: session(adminToken) }, redirect: 'manual' });
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

  it('leaves paths it does not serve to whatever is mounted after it', async () => {
    app.get('/after-console', (_req, res) => {
      res.type('text').send('reached');
    });
    const page = await request('GET', '/after-console');
    expect(page.status).toBe(200);
    expect(page.body).toBe('reached');
  });
});
