/**
 * The console loads only what the signed-in user may read (domain/access.ts): the work queue's
 * rows and every stage count, and a project page (another party's answers like a missing one).
 * Each user signs in through the form, as console.test.ts does.
 */
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { ContractsRepository } from '../../installedBase/contracts';
import { CustomersRepository } from '../../installedBase/customers';
import { ProjectAccessRepository } from '../../processes/delivery/projectAccess';
import { ProjectsRepository, type Project } from '../../processes/delivery/repository';
import { UsersRepository } from '../../people/repository';
import type { ProjectStage } from '../../processes/delivery/rules';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { freePort } from '../support/ports';

let db: TestDatabase;
let server: ApiServer;
/** The same console with single sign-on set, its provider unreachable (nothing listens on its port). */
let ssoServer: ApiServer;
const tokens: Record<'pm' | 'otherPm' | 'customer' | 'engineer' | 'serviceManager' | 'admin', string> = { pm: '', otherPm: '', customer: '', engineer: '', serviceManager: '', admin: 'ac_console-access-admin-token-1' };
let own: Project;
let other: Project;
let otherInstalling: Project;

const visitors = new Map<string, ConsoleVisitor>();

/** The page as `token`'s user sees it, signed in through the form like a browser (one session per user). */
async function page(path: string, token: string): Promise<{ status: number; body: string }> {
  let visitor = visitors.get(token);
  if (!visitor) {
    visitor = new ConsoleVisitor(server.url);
    const signedIn = await visitor.signIn(token);
    if (signedIn.status !== 303) throw new Error(`sign-in answered ${signedIn.status}`);
    visitors.set(token, visitor);
  }
  const answer = await visitor.get(path);
  return { status: answer.status, body: answer.body };
}

function listedContracts(html: string): string[] {
  const tbody = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...tbody.matchAll(/<a href="\/projects\/\d+">([^<]*)<\/a>/g)].map((m) => m[1]!);
}

/** Label → count of the stage filters. */
function counts(html: string): Record<string, number> {
  const nav = /<nav class="filters"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return Object.fromEntries([...nav.matchAll(/>([^<>]*) <span class="count">(\d+)<\/span>/g)].map((m) => [m[1]!, Number(m[2])]));
}

async function seed(contractNo: string, customerName: string, stage: ProjectStage, managerUserId: number): Promise<Project> {
  const customer = await new CustomersRepository(db.knex).create({ name: customerName, contacts: [{ name: 'C', email: 'c@hospital.test', role: 'interface', isPrimary: true }] });
  const contract = await new ContractsRepository(db.knex).create({ customerId: customer.id, contractNo, kind: 'project', policyOverrides: {}, resolvedPolicy: {} });
  const project = await new ProjectsRepository(db.knex).create({ customerId: customer.id, contractId: contract.id, contractNo, name: contractNo, projectManager: { name: 'PM', email: 'pm@maker.test' }, stage });
  await new ProjectAccessRepository(db.knex).setManagerUser(project.id, managerUserId);
  return project;
}

beforeAll(async () => {
  db = await createTestDatabase();
  const users = new UsersRepository(db.knex);
  const user = async (key: Exclude<keyof typeof tokens, 'admin'>, role: 'project_manager' | 'engineer' | 'service_manager' | 'customer', customerId?: number) => {
    const created = await users.create({ name: key, email: `${key}@access.test`, role, customerId, locale: 'en' });
    tokens[key] = await users.issueToken(created.id, 'console');
    return created;
  };
  const pm = await user('pm', 'project_manager');
  const otherPm = await user('otherPm', 'project_manager');
  own = await seed('HT-OWN', 'Own Hospital', 'installing', pm.id);
  other = await seed('HT-OTHER', 'Other Hospital', 'trial_run', otherPm.id);
  otherInstalling = await seed('HT-OTHER-2', 'Third Hospital', 'installing', otherPm.id);
  await user('customer', 'customer', own.customerId);
  await user('engineer', 'engineer');
  await user('serviceManager', 'service_manager');
  await users.ensureAdmin(tokens.admin);
  const app = createApp({ knex: db.knex });
  app.use(createConsole({ knex: db.knex }));
  server = await startApiServer(app, 0, '127.0.0.1');
  const ssoApp = createApp({ knex: db.knex });
  ssoApp.use(createConsole({ knex: db.knex, oidc: { issuer: `http://127.0.0.1:${await freePort()}`, clientId: 'aftercare', clientSecret: 'a-client-secret-of-32-characters', name: 'Maker ID', redirectUri: 'http://127.0.0.1:1/sign-in/oidc/callback' } }));
  ssoServer = await startApiServer(ssoApp, 0, '127.0.0.1');
});

afterAll(async () => {
  await ssoServer?.close();
  await server?.close();
  await db?.destroy();
});

describe('the console shows only what the user may read', () => {
  it('a project manager’s queue lists and counts their projects only', async () => {
    const queue = await page('/projects', tokens.pm);
    expect(queue.status).toBe(200);
    expect(listedContracts(queue.body)).toEqual(['HT-OWN']);
    expect(counts(queue.body)).toMatchObject({ All: 1, Installing: 1, 'Trial run': 0 });
    const filtered = await page('/projects?stage=trial_run', tokens.pm);
    expect(listedContracts(filtered.body)).toEqual([]);
  });

  it('a service manager sees every project', async () => {
    const queue = await page('/projects', tokens.serviceManager);
    expect(listedContracts(queue.body)).toEqual(['HT-OWN', 'HT-OTHER', 'HT-OTHER-2']);
    expect(counts(queue.body)).toMatchObject({ All: 3, Installing: 2, 'Trial run': 1 });
  });

  it('a customer sees its own organisation’s project; an engineer none', async () => {
    expect(listedContracts((await page('/projects', tokens.customer)).body)).toEqual(['HT-OWN']);
    const engineer = await page('/projects', tokens.engineer);
    expect(listedContracts(engineer.body)).toEqual([]);
    expect(counts(engineer.body)).toMatchObject({ All: 0, Installing: 0, 'Trial run': 0 });
  });

  it('another party’s project page answers 404, exactly like a project that does not exist', async () => {
    expect((await page(`/projects/${own.id}`, tokens.pm)).status).toBe(200);
    expect((await page(`/projects/${own.id}`, tokens.customer)).status).toBe(200);
    for (const [id, token] of [[other.id, tokens.pm], [otherInstalling.id, tokens.customer], [own.id, tokens.engineer], [other.id, tokens.customer]] as const) {
      const refused = await page(`/projects/${id}`, token);
      expect(refused.status).toBe(404);
      expect(refused.body).not.toContain('HT-OTHER');
      expect(refused.body).toContain(`There is no project ${id}.`);
    }
  });

  it('every role reaches its own profile and tokens; another person’s token is not there to revoke', async () => {
    for (const token of Object.values(tokens)) {
      expect((await page('/profile', token)).status).toBe(200);
      expect((await page('/profile/tokens', token)).status).toBe(200);
    }
    const users = new UsersRepository(db.knex);
    const pm = (await users.getByEmail('pm@access.test'))!;
    const pmTokenId = (await users.listTokens(pm.id))[0]!.id;
    const refused = await page(`/profile/tokens/${pmTokenId}/revoke`, tokens.customer);
    expect(refused.status).toBe(404);
    expect((await users.getToken(pmTokenId))?.revokedAt).toBeNull();
  });
});

describe('the second factor’s pages', () => {
  it('need a session; every signed-in user reaches their own enrolment page, and a session owing nothing passes the gate straight on', async () => {
    for (const path of ['/profile/second-factor', '/second-factor']) {
      const signedOut = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect({ path, status: signedOut.status, location: signedOut.headers.get('location') }).toEqual({ path, status: 303, location: `/?next=${encodeURIComponent(path)}` });
    }
    for (const key of ['pm', 'customer', 'engineer', 'serviceManager'] as const) {
      const profile = await page('/profile/second-factor', tokens[key]);
      expect({ key, status: profile.status, qr: profile.body.includes('class="factor-qr"') }).toEqual({ key, status: 200, qr: true });
      const gate = await page('/second-factor?next=%2Fprojects', tokens[key]);
      expect({ key, status: gate.status }).toEqual({ key, status: 303 });
    }
  });
});

describe('the sign-in pages of single sign-on (people/oidc/console.ts) show nobody’s records', () => {
  const SSO_PAGES = ['/sign-in/oidc?next=%2Fprojects', '/sign-in/oidc/callback?code=x&state=y'];

  it('without single sign-on set, both lead back to the sign-in page, for anyone', async () => {
    for (const path of SSO_PAGES) {
      const answer = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      expect([answer.status, answer.headers.get('location')]).toEqual([303, '/']);
      for (const token of Object.values(tokens)) expect((await page(path, token)).status).toBe(303);
    }
  });

  it('with it set: a signed-in user of any role is sent on to the page asked for, never into a new sign-in; a signed-out visitor gets the sign-in page with why', async () => {
    for (const token of Object.values(tokens)) {
      const visitor = new ConsoleVisitor(ssoServer.url);
      expect((await visitor.signIn(token)).status).toBe(303);
      const start = await visitor.get(SSO_PAGES[0]!);
      expect([start.status, start.headers.get('location')]).toEqual([303, '/projects']);
    }
    const start = await new ConsoleVisitor(ssoServer.url).get(SSO_PAGES[0]!);
    expect(start.status).toBe(503);
    expect(start.body).toContain('Maker ID cannot be reached right now.');
    const callback = await new ConsoleVisitor(ssoServer.url).get(SSO_PAGES[1]!);
    expect(callback.status).toBe(400);
    for (const answer of [start, callback]) expect(answer.body).not.toContain('HT-OWN');
  });
});

describe('people administration and units: each page answers by who administers whom', () => {
  it('/people, /people/new and /units answer each role as the rules say; a person not administered is a 404', async () => {
    const engineerId = Number((await db.knex('users').where({ email: 'engineer@access.test' }).first('id')).id);
    const customerId = Number((await db.knex('users').where({ email: 'customer@access.test' }).first('id')).id);
    const smId = Number((await db.knex('users').where({ email: 'serviceManager@access.test' }).first('id')).id);
    const expected: Array<[string, keyof typeof tokens, number]> = [
      ['/people', 'admin', 200],
      ['/people', 'serviceManager', 200],
      ['/people', 'pm', 200],
      ['/people', 'engineer', 403],
      ['/people', 'customer', 403],
      ['/people/new', 'admin', 200],
      ['/people/new', 'engineer', 403],
      [`/people/${engineerId}`, 'admin', 200],
      [`/people/${engineerId}`, 'serviceManager', 200],
      // A project manager administers their own customers' users only; a service manager not a peer or themselves.
      [`/people/${engineerId}`, 'pm', 404],
      [`/people/${customerId}`, 'pm', 200],
      [`/people/${customerId}`, 'otherPm', 404],
      [`/people/${smId}`, 'serviceManager', 404],
      ['/people/999999', 'admin', 404],
      ['/units', 'admin', 200],
      ['/units', 'engineer', 200],
      ['/units', 'customer', 200],
    ];
    const answers = [];
    for (const [path, who] of expected) answers.push([path, who, (await page(path, tokens[who])).status]);
    expect(answers).toEqual(expected);
    // The people list shows only whom the reader administers; the navigation links only who may use them.
    const byPm = await page('/people', tokens.pm);
    expect(byPm.body).toContain('customer@access.test');
    expect(byPm.body).not.toContain('engineer@access.test');
    expect((await page('/home', tokens.engineer)).body).not.toContain('href="/people"');
    expect((await page('/home', tokens.admin)).body).toContain('href="/units"');
  });

  it('only the admin changes units; a service manager’s post is refused and writes nothing', async () => {
    const visitor = visitors.get(tokens.serviceManager)!;
    await visitor.get('/units');
    const refused = await visitor.post('/units', { name: 'Rogue', kind: 'region', _once: 'sm-unit-1' });
    expect(refused.status).toBe(403);
    expect(await db.knex('org_units').where({ name: 'Rogue' }).first()).toBeUndefined();
    const admin = visitors.get(tokens.admin)!;
    await admin.get('/units');
    expect((await admin.post('/units', { name: 'West', kind: 'region', _once: 'admin-unit-1' })).status).toBe(303);
    // The same form twice (a double click) adds it once.
    expect((await admin.post('/units', { name: 'West', kind: 'region', _once: 'admin-unit-1' })).status).toBe(303);
    expect((await db.knex('org_units').where({ name: 'West' })).length).toBe(1);
    const bad = await admin.post('/units', { name: 'West', kind: 'region', _once: 'admin-unit-2' });
    expect(bad.status).toBe(409);
    expect(bad.body).toContain('A unit beside it is already called West');
  });
});
