/**
 * Printable acceptance certificates: made from the step the workflow recorded, only for those who
 * may read the project, in the reader's language, with a print stylesheet.
 */
import { startApiServer, type ApiServer } from '../../platform/http';
import { createApp } from '../../api/app';
import { createConsole } from '../../console';
import { ContractsRepository } from '../../installedBase/contracts';
import { CustomersRepository } from '../../installedBase/customers';
import { ProjectAccessRepository } from '../../processes/delivery/projectAccess';
import { ProjectsRepository, type Project } from '../../processes/delivery/repository';
import { UsersRepository } from '../../people/repository';
import { ConsoleVisitor } from '../support/consoleVisitor';
import { createTestDatabase, type TestDatabase } from '../support/db';

let db: TestDatabase;
let server: ApiServer;
let project: Project;
let otherProject: Project;
const tokens: Record<string, string> = {};

async function visit(who: string, path: string) {
  const visitor = new ConsoleVisitor(server.url);
  await visitor.signIn(tokens[who]!);
  return visitor.get(path);
}

beforeAll(async () => {
  db = await createTestDatabase();
  const knex = db.knex;
  const users = new UsersRepository(knex);
  const pm = await users.create({ name: 'Zhang Wei', email: 'pm@docs.test', role: 'project_manager', locale: 'en' });
  tokens.pm = await users.issueToken(pm.id, 'console');
  const otherPm = await users.create({ name: 'Li Na', email: 'other@docs.test', role: 'project_manager', locale: 'en' });
  tokens.otherPm = await users.issueToken(otherPm.id, 'console');
  const seed = async (contractNo: string, managerId: number) => {
    const customer = await new CustomersRepository(knex).create({ name: `Hospital ${contractNo}` });
    const contract = await new ContractsRepository(knex).create({ customerId: customer.id, contractNo, kind: 'project', policyOverrides: {}, resolvedPolicy: {} });
    const created = await new ProjectsRepository(knex).create({ customerId: customer.id, contractId: contract.id, contractNo, name: 'DR room', projectManager: { name: 'Zhang Wei', email: 'pm@docs.test' }, stage: 'trial_run' });
    await new ProjectAccessRepository(knex).setManagerUser(created.id, managerId);
    return created;
  };
  project = await seed('HT-DOC-1', pm.id);
  otherProject = await seed('HT-DOC-2', otherPm.id);
  await knex('project_events').insert({
    project_id: project.id,
    event_key: 'initial-acceptance',
    kind: 'initial_acceptance_passed',
    at: new Date('2026-03-02T02:00:00Z'),
    actor_user_id: pm.id,
    actor_name: 'Zhang Wei',
    actor_role: 'project_manager',
    summary: 'initial acceptance passed: certificate issued',
    data: JSON.stringify({
      items: [{ name: 'Image quality', passed: true, signedBy: 'Wang Fang' }, { name: 'Network', passed: false }],
      leftoverIssues: [{ title: 'Label printer missing' }],
      signatures: [{ name: 'Wang Fang', party: 'customer' }, { name: 'Zhang Wei', party: 'company' }],
    }),
  });
  const app = createApp({ knex });
  app.use(createConsole({ knex }));
  server = await startApiServer(app, 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await db?.destroy();
});

it('prints the initial-acceptance certificate from the recorded step', async () => {
  const page = await visit('pm', `/projects/${project.id}/certificates/initial`);
  expect(page.status).toBe(200);
  expect(page.body).toContain('<h1>Initial acceptance certificate</h1>');
  expect(page.body).toContain('<dd>HT-DOC-1-IA</dd>');
  expect(page.body).toContain('<tr><td>Image quality</td><td>passed</td><td>Wang Fang</td></tr>');
  expect(page.body).toContain('<tr><td>Network</td><td>not passed</td><td>—</td></tr>');
  expect(page.body).toContain('<li>Label printer missing</li>');
  expect(page.body).toContain('<td>Customer</td><td>Wang Fang</td>');
  expect(page.body).toContain('<td>Company</td><td>Zhang Wei</td>');
  // Accepted on 2 March, 10:00 in the customer's zone.
  expect(page.body).toContain('<time datetime="2026-03-02T02:00:00.000Z">2026-03-02 10:00</time>');
  const project_ = await visit('pm', `/projects/${project.id}`);
  expect(project_.body).toContain(`<a href="/projects/${project.id}/certificates/initial">Initial acceptance certificate</a>`);
});

it('has a print stylesheet that leaves the console frame out', async () => {
  const css = await (await fetch(`${server.url}/assets/console.css`)).text();
  expect(css).toMatch(/@media print \{[\s\S]*header\.site, footer, nav\.steps, \.no-print \{ display: none !important; \}/);
});

it('has no certificate before the acceptance, and none for a project out of reach', async () => {
  expect((await visit('pm', `/projects/${project.id}/certificates/final`)).status).toBe(404);
  expect((await visit('pm', `/projects/${project.id}/certificates/other`)).status).toBe(404);
  expect((await visit('otherPm', `/projects/${project.id}/certificates/initial`)).status).toBe(404);
  expect((await visit('pm', `/projects/${otherProject.id}/certificates/initial`)).status).toBe(404);
});
