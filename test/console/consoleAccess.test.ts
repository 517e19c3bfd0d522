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

let db: TestDatabase;
let server: ApiServer;
const tokens: Record<'pm' | 'otherPm' | 'customer' | 'engineer' | 'serviceManager', string> = { pm: '', otherPm: '', customer: '', engineer: '', serviceManager: '' };
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
  const user = async (key: keyof typeof tokens, role: 'project_manager' | 'engineer' | 'service_manager' | 'customer', customerId?: number) => {
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
  const app = createApp({ knex: db.knex });
  app.use(createConsole({ knex: db.knex }));
  server = await startApiServer(app, 0, '127.0.0.1');
});

afterAll(async () => {
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
